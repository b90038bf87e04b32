"""The ``Module`` API as programs use it, each behaviour checked against ``torch.nn`` on the same
module tree: hooks, ``apply``, traversal order, registration rules, containers, casting and
devices, and the text every new layer prints."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import cnnlab


def tree(nn):
    """Nested containers, a shared layer and a buffer: a traversal-order test bed."""
    shared = nn.Linear(3, 3)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), shared)
            self.skip = shared
            self.heads = nn.ModuleDict({"a": nn.Linear(3, 2), "b": nn.Identity()})
            self.extra = nn.ModuleList([nn.Tanh(), nn.Linear(3, 1)])
            self.scales = nn.ParameterList([nn.Parameter(nn.init.ones_(nn.Linear(1, 2).bias))])
            self.register_buffer("count", (cnnlab if nn is cnnlab.nn else torch).zeros(1))

        def forward(self, x):
            return self.heads["a"](self.skip(self.body(x)))

    return Block()


def names(pairs):
    return [name for name, _ in pairs]


def test_traversal_order_and_names_are_torchs():
    ours, theirs = tree(cnnlab.nn), tree(torch.nn)
    for method in ("named_modules", "named_children", "named_parameters", "named_buffers"):
        assert names(getattr(ours, method)()) == names(getattr(theirs, method)()), method
    assert names(ours.named_modules(remove_duplicate=False)) == names(
        theirs.named_modules(remove_duplicate=False)
    )
    assert names(ours.named_parameters(prefix="net", recurse=True)) == names(
        theirs.named_parameters(prefix="net")
    )
    assert names(ours.named_parameters(recurse=False)) == names(
        theirs.named_parameters(recurse=False)
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]
    assert type(ours.get_submodule("body.2")).__name__ == "Linear"
    assert ours.get_parameter("heads.a.bias").shape == (2,)
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        ours.get_submodule("body.nope")


def test_apply_visits_children_first_as_torch():
    visits = []
    for lib in (cnnlab, torch):
        order = []
        tree(lib.nn).apply(lambda m, order=order: order.append(type(m).__name__))
        visits.append(order)
    assert visits[0] == visits[1]


def test_d2l_init_weights_with_apply():
    """d2l: ``net.apply(init_weights)`` with ``xavier_uniform_`` on every Linear and Conv2d."""

    def init_weights(m):
        if type(m) in (cnnlab.nn.Linear, cnnlab.nn.Conv2d):
            cnnlab.nn.init.xavier_uniform_(m.weight)

    net = cnnlab.nn.Sequential(
        cnnlab.nn.Conv2d(1, 6, 5), cnnlab.nn.Flatten(), cnnlab.nn.Linear(6 * 24 * 24, 10)
    )
    cnnlab.manual_seed(0)
    net.apply(init_weights)
    bound = np.sqrt(6 / (6 * 24 * 24 + 10))
    weight = net[2].weight.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.99 * bound


def test_forward_hooks_read_feature_maps_and_come_off_with_their_handles():
    results = []
    for lib in (cnnlab, torch):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.ReLU(), lib.nn.Flatten())
        seen, calls = [], []
        handles = [
            layer.register_forward_hook(lambda m, args, out, seen=seen: seen.append(out.shape))
            for layer in net
        ]
        pre = net.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        first = net.register_forward_pre_hook(
            lambda m, args, calls=calls: calls.append("first"), prepend=True
        )
        replaced = net[1].register_forward_hook(lambda m, args, out: out + 1)
        x = lib.ones(1, 1, 4, 4)
        out = net(x)
        pre.remove()
        first.remove()
        replaced.remove()
        replaced.remove()  # harmless twice
        for h in handles:
            h.remove()
        with net.register_forward_hook(
            lambda m, args, kwargs, out, calls=calls: calls.append(len(kwargs)), with_kwargs=True
        ):
            net(x)
        net(x)
        results.append(([tuple(s) for s in seen], calls, out.detach().numpy().round(6)))
    assert results[0][0] == results[1][0] == [(1, 2, 2, 2), (1, 2, 2, 2), (1, 8)]
    assert results[0][1] == results[1][1] == ["first", 0]
    assert results[0][2].shape == results[1][2].shape


def test_forward_pre_hook_with_kwargs_and_always_call():
    for lib in (cnnlab, torch):
        layer = lib.nn.Identity()
        layer.register_forward_pre_hook(
            lambda m, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True
        )
        assert layer(lib.zeros(1)).tolist() == [1.0]
        failing = lib.nn.Linear(2, 2)
        seen = []
        failing.register_forward_hook(lambda m, a, o, seen=seen: seen.append(o), always_call=True)
        with pytest.raises((RuntimeError, ValueError), match="5"):
            failing(lib.zeros(3, 5))
        assert seen == [None]


def test_registration_rules_are_torchs():
    for lib in (cnnlab, torch):
        nn = lib.nn
        m = nn.Module()
        m.register_buffer("running", lib.zeros(2))
        m.register_buffer("scratch", lib.zeros(2), persistent=False)
        m.register_parameter("w", nn.Parameter(lib.ones(2)))
        m.register_parameter("nothing", None)
        m.add_module("child", nn.ReLU())
        m.register_module("other", None)
        assert list(m.state_dict()) == ["w", "running"]
        assert names(m.named_buffers()) == ["running", "scratch"]
        m.running = lib.ones(2)  # a tensor assigned to a buffer's name stays a buffer
        assert "running" in dict(m.named_buffers())
        m.w = nn.Parameter(lib.zeros(3))
        assert names(m.named_parameters()) == ["w"]
        m.running = nn.Parameter(lib.zeros(1))  # a Parameter moves from buffers to parameters
        assert names(m.named_parameters()) == ["w", "running"] and "running" not in dict(
            m.named_buffers()
        )
        del m.child
        assert names(m.named_children()) == []
        with pytest.raises(KeyError, match=r'contain "\."'):
            m.register_buffer("a.b", lib.zeros(1))
        with pytest.raises(KeyError, match="already exists"):
            m.register_buffer("training", lib.zeros(1))
        with pytest.raises(KeyError, match="empty string"):
            m.register_parameter("", None)
        with pytest.raises(TypeError):
            m.register_buffer("x", [1, 2])
        with pytest.raises(TypeError):
            m.w = lib.zeros(3)
        with pytest.raises(TypeError):
            m.add_module("y", lambda x: x)


def test_sequential_and_module_list_behave_as_torchs():
    for lib in (cnnlab, torch):
        nn = lib.nn
        seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())
        assert type(seq[1:3]).__name__ == "Sequential" and len(seq[1:3]) == 2
        assert list(seq[1:3].state_dict()) == ["2.weight", "2.bias"]  # slices keep the names
        seq[1] = nn.Sigmoid()
        del seq[0]
        assert [type(m).__name__ for m in seq] == ["Sigmoid", "Linear", "Tanh"]
        assert list(seq.state_dict()) == ["1.weight", "1.bias"]
        seq.insert(0, nn.Identity())
        seq.extend([nn.ReLU()])
        assert [type(m).__name__ for m in seq] == ["Identity", "Sigmoid", "Linear", "Tanh", "ReLU"]
        assert type(seq.pop(1)).__name__ == "Sigmoid" and len(seq) == 4
        with pytest.raises(IndexError, match="index 9 is out of range"):
            seq[9]
        named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 1, 1)), ("act", nn.ReLU())]))
        assert list(named.state_dict()) == ["conv.weight", "conv.bias"] and named.act is named[1]
        layers = nn.ModuleList([nn.Linear(1, 1)])
        layers += [nn.ReLU(), nn.Linear(1, 2)]
        layers.append(nn.Linear(2, 2))
        assert len(layers) == 4 and type(layers[-1]).__name__ == "Linear"
        assert list(layers[1:].state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias"]
        heads = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        heads.update([("c", nn.Identity())])
        assert list(heads.keys()) == ["b", "a", "c"] and "a" in heads
        assert type(heads.pop("a")).__name__ == "Tanh" and len(heads) == 2
        params = nn.ParameterDict({"gamma": nn.Parameter(lib.ones(2))})
        params["beta"] = lib.zeros(2)  # a plain tensor becomes a Parameter
        assert list(params.state_dict()) == ["gamma", "beta"]
        assert isinstance(params["beta"], nn.Parameter)


def test_to_cpu_cuda_and_dtype_casts():
    net = cnnlab.nn.Sequential(cnnlab.nn.Linear(2, 2), cnnlab.nn.BatchNorm1d(2))
    assert net.to("cpu") is net and net.cpu() is net and net.to(device="cpu") is net
    assert net.to("cpu", cnnlab.float64).state_dict()["0.weight"].dtype == np.float64
    assert net.to(cnnlab.zeros(1)).state_dict()["0.weight"].dtype == np.float32
    assert net.state_dict()["1.num_batches_tracked"].dtype == np.int64
    for call in (lambda: net.to("cuda"), lambda: net.cuda(), lambda: net.to("cuda:0")):
        with pytest.raises(RuntimeError, match="CPU only"):  # torch's own on a CPU-only build
            call()
    with pytest.raises(TypeError, match="only accepts floating point dtypes"):
        net.to(cnnlab.int64)
    with pytest.raises(NotImplementedError, match="half"):
        net.half()


def test_requires_grad_zero_grad_and_train_propagate():
    net = tree(cnnlab.nn)
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(cnnlab.ones(2, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(p.grad is None or not p.grad.numpy().any() for p in net.parameters())

    calls = []

    class Tracked(cnnlab.nn.Module):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    outer = cnnlab.nn.Sequential(Tracked())
    outer.eval()
    assert calls == [False]  # train() reaches children through their own train()


REPRS = {
    "activations": lambda nn: nn.Sequential(
        nn.LeakyReLU(),
        nn.LeakyReLU(0.2, True),
        nn.ReLU6(inplace=True),
        nn.Hardtanh(-2, 3),
        nn.ELU(0.5, True),
        nn.GELU(),
        nn.GELU("tanh"),
        nn.SiLU(),
        nn.SiLU(True),
        nn.Hardswish(),
        nn.Hardsigmoid(),
        nn.Softplus(2, 10),
        nn.Mish(),
        nn.Softmax2d(),
        nn.Softmax(),
    ),
    "dropout": lambda nn: nn.Sequential(nn.Dropout(), nn.Dropout2d(0.2, inplace=True)),
    "pooling": lambda nn: nn.Sequential(
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.AdaptiveAvgPool2d((None, 3)),
        nn.AdaptiveMaxPool2d(2),
        nn.MaxPool2d(2, return_indices=True),
        nn.AvgPool2d(2, count_include_pad=False),
    ),
    "convolutions": lambda nn: nn.Sequential(
        nn.Conv2d(4, 8, 3, groups=4, bias=False),
        nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"),
        nn.ConvTranspose2d(3, 4, 3),
        nn.ConvTranspose2d(4, 4, 3, 2, 1, output_padding=1, groups=2, dilation=2, bias=False),
        nn.LazyConv2d(16, 3),
        nn.LazyConvTranspose2d(2, 2),
    ),
    "normalization": lambda nn: nn.Sequential(
        nn.LayerNorm(4),
        nn.LayerNorm([3, 4], elementwise_affine=False),
        nn.LayerNorm(4, bias=False),
        nn.GroupNorm(2, 4),
        nn.GroupNorm(2, 4, affine=False),
        nn.LazyBatchNorm2d(),
        nn.LazyBatchNorm1d(momentum=None),
    ),
    "linear": lambda nn: nn.Sequential(
        nn.LazyLinear(10),
        nn.LazyLinear(3, bias=False),
        nn.Unflatten(1, (2, 5)),
        nn.Flatten(0),
    ),
    "losses": lambda nn: nn.Sequential(
        nn.NLLLoss(),
        nn.L1Loss(),
        nn.BCELoss(),
        nn.BCEWithLogitsLoss(),
        nn.SmoothL1Loss(),
        nn.HuberLoss(),
        nn.CrossEntropyLoss(label_smoothing=0.1),
    ),
    "resizing": lambda nn: nn.Sequential(
        nn.Upsample(scale_factor=2),
        nn.Upsample(size=(3, 4), mode="bilinear"),
        nn.UpsamplingNearest2d(scale_factor=2),
        nn.UpsamplingBilinear2d(size=3),
        nn.ZeroPad2d(1),
        nn.ReflectionPad2d((1, 2, 3, 4)),
        nn.ReplicationPad2d(2),
        nn.ConstantPad2d(1, 3.0),
    ),
    "containers": lambda nn: nn.ModuleDict(
        {
            "list": nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU()]),
            "empty": nn.ModuleList(),
        }
    ),
}


@pytest.mark.parametrize("name", list(REPRS))
def test_every_new_layer_prints_as_torch(name):
    assert repr(REPRS[name](cnnlab.nn)) == repr(REPRS[name](torch.nn))


def test_parameter_containers_print_as_torch():
    for make in (
        lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2)), lib.zeros(2, 3)]),
        lambda lib: lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.zeros(2))}),
    ):
        assert repr(make(cnnlab)) == repr(make(torch)).replace("torch.", "cnnlab.")
