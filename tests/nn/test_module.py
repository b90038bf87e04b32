"""``nn.Module`` against ``torch.nn.Module``: registration order, names, state_dicts both ways,
load errors, printing, modes, ``zero_grad`` and casting."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import cnnlab
from reference import assert_close


def chapter_net(nn):
    """The small CIFAR-2 net of Fig. 8.22 (§8.6), as the chapter's listing writes it."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
            self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
            self.fc1 = nn.Linear(8 * 8 * 8, 32)
            self.fc2 = nn.Linear(32, 2)

        def forward(self, x):
            lib = cnnlab if nn is cnnlab.nn else torch
            F = nn.functional
            out = F.max_pool2d(lib.tanh(self.conv1(x)), 2)
            out = F.max_pool2d(lib.tanh(self.conv2(out)), 2)
            out = out.view(-1, 8 * 8 * 8)
            out = lib.tanh(self.fc1(out))
            return self.fc2(out)

    return Net()


def lenet5_bn(nn):
    """The LeNet-5 listing of §8.6.6, which assigns ``self.bn1`` twice."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.bn1 = nn.BatchNorm2d(6)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.bn1 = nn.BatchNorm2d(6)  # batch normalization
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.bn2 = nn.BatchNorm1d(84)  # batch normalization
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), 2, 2)
            x = self.bn1(x)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2)
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc2(F.relu(self.fc1(x))))
            x = self.bn2(x)
            return self.fc3(x)

    return Net()


def sequential_net(nn):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding="same", bias=False),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Sequential(OrderedDict([("flat", nn.Flatten()), ("fc", nn.Linear(4 * 3 * 3, 5))])),
        nn.Dropout(0.25),
        nn.LogSoftmax(dim=1),
    )


class Reassigned:
    """Attributes reassigned, replaced by another kind, deleted and registered by hand."""

    @staticmethod
    def build(nn):
        lib = cnnlab if nn is cnnlab.nn else torch

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(2, 3)
                self.scale = nn.Parameter(lib.ones(3))
                self.b = nn.Linear(3, 3)
                self.a = nn.Linear(2, 3, bias=False)  # keeps its place
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("cache", lib.zeros(2), persistent=False)
                self.add_module("c", nn.Tanh())
                self.register_parameter("offset", nn.Parameter(lib.zeros(3)))
                self.gone = nn.Linear(1, 1)
                del self.gone
                self.scale = nn.Parameter(lib.full((3,), 2.0))  # keeps its place

        return Net()


MODELS = {
    "chapter net": chapter_net,
    "lenet5 with batch norm": lenet5_bn,
    "sequential": sequential_net,
    "reassigned": Reassigned.build,
}


@pytest.mark.parametrize("model", list(MODELS))
def test_names_order_and_shapes_are_torchs(model):
    ours, theirs = MODELS[model](cnnlab.nn), MODELS[model](torch.nn)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert [(n, tuple(b.shape)) for n, b in ours.named_buffers()] == [
        (n, tuple(b.shape)) for n, b in theirs.named_buffers()
    ]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]


def test_lenet5_listing_parameter_sizes_in_order():
    """§8.6.6: the second ``self.bn1 = ...`` keeps bn1 in its first place (62,006 + BN params)."""
    sizes = [p.numel() for p in lenet5_bn(cnnlab.nn).parameters()]
    assert sizes == [450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84, 840, 10]
    assert sum(sizes) == 62186
    assert sum(p.numel() for p in chapter_net(cnnlab.nn).parameters()) == 18090


@pytest.mark.parametrize("model", ["chapter net", "lenet5 with batch norm", "sequential"])
def test_state_dicts_move_both_ways_and_outputs_agree(model):
    shape = {"chapter net": (2, 3, 32, 32), "lenet5 with batch norm": (3, 3, 32, 32)}.get(
        model, (2, 1, 6, 6)
    )
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    for source_lib in (torch, cnnlab):
        torch.manual_seed(1)
        cnnlab.manual_seed(2)
        ours, theirs = MODELS[model](cnnlab.nn), MODELS[model](torch.nn)
        if source_lib is torch:
            assert ours.load_state_dict(theirs.state_dict()) == ([], [])
        else:
            state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
            assert not theirs.load_state_dict(state).missing_keys
        ours.eval()
        theirs.eval()
        with torch.no_grad():
            expected = theirs(torch.tensor(x))
        assert_close(
            f"{model} output after a state_dict transfer",
            ours(cnnlab.tensor(x)),
            expected,
            np.float32,
        )
        for key, value in ours.state_dict().items():
            np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[key].numpy())


def test_state_dict_holds_detached_values_sharing_memory():
    net = chapter_net(cnnlab.nn)
    state = net.state_dict()
    assert all(not v.requires_grad for v in state.values())
    state["fc2.bias"][0] = 7.0
    assert net.fc2.bias[0].item() == 7.0
    kept = net.state_dict(keep_vars=True)
    assert kept["fc2.bias"] is net.fc2.bias


def test_load_state_dict_copies_values_into_the_same_parameters():
    net = chapter_net(cnnlab.nn)
    weight = net.fc1.weight
    source = {
        k: np.full(tuple(v.shape), 0.5, dtype=np.float64) for k, v in net.state_dict().items()
    }
    net.load_state_dict(source)
    assert net.fc1.weight is weight and weight.dtype == np.float32
    assert float(weight.detach().numpy().mean()) == 0.5
    source["fc1.bias"][0] = 3.0
    assert net.fc1.bias[0].item() == 0.5


def test_load_state_dict_errors_are_torchs_text():
    messages = []
    for lib in (cnnlab, torch):
        net = lenet5_bn(lib.nn)
        state = dict(net.state_dict())
        del state["fc3.bias"]
        state["extra.weight"] = lib.zeros(1)
        state["fc3.weight"] = lib.zeros(3, 3)
        state["bn1.zzz"] = lib.zeros(1)
        with pytest.raises(RuntimeError) as error:
            net.load_state_dict(state)
        messages.append(str(error.value).replace("torch.Size", "cnnlab.Size"))
    assert messages[0] == messages[1]
    assert 'Missing key(s) in state_dict: "fc3.bias"' in messages[0]
    assert "size mismatch for fc3.weight" in messages[0]


def test_load_state_dict_not_strict_reports_keys_as_torch():
    results = []
    for lib in (cnnlab, torch):
        net = lenet5_bn(lib.nn)
        result = net.load_state_dict({"fc3.bias": lib.ones(10), "zzz": lib.ones(1)}, strict=False)
        results.append((result.missing_keys, result.unexpected_keys, net.fc3.bias.tolist()))
        with pytest.raises(RuntimeError) as error:
            net.load_state_dict({"fc3.bias": lib.ones(9)}, strict=False)
        results.append(str(error.value).replace("torch.Size", "cnnlab.Size"))
    assert results[:2] == results[2:]
    assert repr(cnnlab.nn.Linear(2, 2).load_state_dict(torch.nn.Linear(2, 2).state_dict())) == (
        "<All keys matched successfully>"
    )


REPRS = {
    "Conv2d": lambda nn: nn.Conv2d(3, 16, kernel_size=3),
    "Conv2d padding": lambda nn: nn.Conv2d(3, 16, 3, padding=1),
    "Conv2d full": lambda nn: nn.Conv2d(
        3, 16, (3, 5), stride=2, padding=(1, 2), dilation=2, bias=False
    ),
    "Conv2d same": lambda nn: nn.Conv2d(1, 2, 3, padding="same"),
    "Conv2d valid": lambda nn: nn.Conv2d(1, 2, 3, padding="valid"),
    "Linear": lambda nn: nn.Linear(400, 120),
    "Linear no bias": lambda nn: nn.Linear(4, 5, bias=False),
    "MaxPool2d": lambda nn: nn.MaxPool2d(2),
    "MaxPool2d full": lambda nn: nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True),
    "AvgPool2d": lambda nn: nn.AvgPool2d(2),
    "AvgPool2d full": lambda nn: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    "BatchNorm2d": lambda nn: nn.BatchNorm2d(6),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(84, eps=1e-3, momentum=None, affine=False),
    "BatchNorm2d no stats": lambda nn: nn.BatchNorm2d(3, track_running_stats=False),
    "BatchNorm2d no bias": lambda nn: nn.BatchNorm2d(3, bias=False),
    "ReLU": lambda nn: nn.ReLU(),
    "Tanh": lambda nn: nn.Tanh(),
    "Sigmoid": lambda nn: nn.Sigmoid(),
    "Softmax": lambda nn: nn.Softmax(dim=1),
    "LogSoftmax": lambda nn: nn.LogSoftmax(dim=1),
    "Dropout": lambda nn: nn.Dropout(0.2),
    "Flatten": lambda nn: nn.Flatten(),
    "Identity": lambda nn: nn.Identity(),
    "CrossEntropyLoss": lambda nn: nn.CrossEntropyLoss(),
    "Sequential": sequential_net,
    "empty Sequential": lambda nn: nn.Sequential(),
    "ModuleList": lambda nn: nn.ModuleList([nn.ReLU(), nn.Linear(2, 2)]),
    "chapter Net": chapter_net,
    "LeNet-5 Net": lenet5_bn,
}


@pytest.mark.parametrize("name", list(REPRS))
def test_repr_is_torchs_text(name):
    assert repr(REPRS[name](cnnlab.nn)) == repr(REPRS[name](torch.nn))


def test_train_and_eval_reach_every_submodule():
    net = sequential_net(cnnlab.nn)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net[4].train()
    assert net[4].training and net[4].fc.training and not net.training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("eval")


def test_eval_changes_what_dropout_and_batch_norm_compute():
    net = sequential_net(cnnlab.nn)
    x = cnnlab.randn(4, 1, 6, 6)
    net.eval()
    first, second = net(x), net(x)
    np.testing.assert_array_equal(first.detach().numpy(), second.detach().numpy())
    net.train()
    assert not np.array_equal(net(x).detach().numpy(), first.detach().numpy())


def test_zero_grad_sets_to_none_or_zero():
    for lib in (cnnlab, torch):
        net = chapter_net(lib.nn)
        net(lib.randn(2, 3, 32, 32)).sum().backward()
        assert all(p.grad is not None for p in net.parameters())
        net.zero_grad(set_to_none=False)
        assert all(p.grad is not None and not p.grad.numpy().any() for p in net.parameters())
        net.zero_grad()
        assert all(p.grad is None for p in net.parameters())


def test_to_float64_casts_parameters_and_buffers_but_not_counts():
    for lib in (cnnlab, torch):
        net = lenet5_bn(lib.nn)
        net(lib.randn(2, 3, 32, 32)).sum().backward()
        assert net.to(lib.float64) is net
        for name, t in [*net.named_parameters(), *net.named_buffers()]:
            expected = "int64" if name.endswith("num_batches_tracked") else "float64"
            assert str(t.dtype).removeprefix("torch.") == expected, name
        assert all(str(p.grad.dtype).endswith("float64") for p in net.parameters())
        out = net(lib.randn(2, 3, 32, 32, dtype=lib.float64))
        assert str(out.dtype).endswith("float64")
        assert all(str(p.dtype).endswith("float32") for p in net.float().parameters())


def test_parameters_are_leaves_that_require_grad():
    p = cnnlab.nn.Parameter(cnnlab.zeros(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, cnnlab.Tensor)
    assert not cnnlab.nn.Parameter(cnnlab.zeros(2), requires_grad=False).requires_grad
    assert repr(cnnlab.nn.Parameter(cnnlab.tensor([1.0, 2.0]))) == repr(
        torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    )


def test_shared_modules_and_parameters_are_listed_once():
    for nn in (cnnlab.nn, torch.nn):
        layer = nn.Linear(2, 2)
        net = nn.Sequential(layer, nn.ReLU(), layer)
        assert len(list(net.parameters())) == 2
        assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
        assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_assignment_errors():
    class Early(cnnlab.nn.Module):
        def __init__(self):
            self.fc = cnnlab.nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Early()
    net = chapter_net(cnnlab.nn)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        net.fc1.weight = cnnlab.zeros(32, 512)
    with pytest.raises(TypeError, match="cannot assign 'int' as child module 'fc1'"):
        net.fc1 = 3
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc9'"):
        _ = net.fc9
    net.fc1 = None
    assert "fc1.weight" not in net.state_dict()


def test_sequential_indexing_len_iteration_append():
    for nn in (cnnlab.nn, torch.nn):
        net = sequential_net(nn)
        assert len(net) == 7
        assert type(net[2]).__name__ == "ReLU" and type(net[-1]).__name__ == "LogSoftmax"
        assert [type(m).__name__ for m in net[1:3]] == ["BatchNorm2d", "ReLU"]
        assert [type(m).__name__ for m in net][:2] == ["Conv2d", "BatchNorm2d"]
        net.append(nn.Identity())
        assert len(net) == 8 and list(net.state_dict())[-1] == "4.fc.bias"
