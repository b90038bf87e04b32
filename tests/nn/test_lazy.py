"""Lazy layers against ``torch.nn``'s: placeholders until the first call, then the shapes of
the first input and the default initialization; ``state_dict`` loading into a lazy module;
printing before and after."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

import cnnlab
from layer_differential import compare_layer

LAZY = {
    "LazyConv2d": ((8, 3), (2, 3, 6, 6)),
    "LazyConvTranspose2d": ((4, 2), (2, 3, 4, 4)),
    "LazyLinear": ((5,), (2, 3, 7)),
    "LazyBatchNorm2d": ((), (4, 3, 2, 2)),
    "LazyBatchNorm1d": ((), (4, 6)),
}


@pytest.mark.parametrize("name", list(LAZY))
def test_lazy_layer_is_torchs_before_and_after_its_first_call(name):
    args, shape = LAZY[name]
    ours, theirs = getattr(cnnlab.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    assert all(type(p).__name__ == "UninitializedParameter" for p in ours.parameters())
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        next(ours.parameters()).shape  # noqa: B018
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours(cnnlab.tensor(x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name.removeprefix("Lazy")
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert not hasattr(ours, "_initialize_hook")  # the first-call hook is gone


@pytest.mark.parametrize("name", list(LAZY))
def test_state_dict_loaded_into_a_lazy_module_gives_torchs_outputs_and_gradients(name):
    args, shape = LAZY[name]
    ours, theirs = getattr(cnnlab.nn, name)(*args), getattr(torch.nn, name)(*args)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    theirs(torch.tensor(x))  # materialized with torch's initialization
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    loaded_lazy = getattr(torch.nn, name)(*args)
    loaded_lazy.load_state_dict(theirs.state_dict())
    assert repr(ours) == repr(loaded_lazy)  # still lazy until called, as torch
    compare_layer(name, ours, loaded_lazy, x)
    assert repr(ours) == repr(loaded_lazy)


def test_lazy_linear_weights_are_initialized_as_linear():
    cnnlab.manual_seed(0)
    layer = cnnlab.nn.LazyLinear(300)
    layer(cnnlab.zeros(2, 500))
    bound = 1 / math.sqrt(500)
    for values in (layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()):
        values = values.astype(np.float64)
        assert stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3


def test_d2l_lenet_written_lazily_runs_and_inits_as_d2l():
    """d2l's LeNet: LazyConv2d/LazyLinear, a dummy forward, then ``apply(init_cnn)``."""

    def lenet(nn):
        return nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2),
            nn.Sigmoid(),
            nn.AvgPool2d(2, stride=2),
            nn.LazyConv2d(16, kernel_size=5),
            nn.Sigmoid(),
            nn.AvgPool2d(2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120),
            nn.Sigmoid(),
            nn.LazyLinear(84),
            nn.Sigmoid(),
            nn.LazyLinear(10),
        )

    def init_cnn(module):
        if type(module) is cnnlab.nn.Linear or type(module) is cnnlab.nn.Conv2d:
            cnnlab.nn.init.xavier_uniform_(module.weight)

    net, reference = lenet(cnnlab.nn), lenet(torch.nn)
    net(cnnlab.zeros(1, 1, 28, 28))
    reference(torch.zeros(1, 1, 28, 28))
    net.apply(init_cnn)
    assert repr(net) == repr(reference)
    assert sum(p.numel() for p in net.parameters()) == 61706
    shapes = []
    x = cnnlab.rand(1, 1, 28, 28)
    for layer in net:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert shapes[-1] == (1, 10) and shapes[6] == (1, 400)


def test_a_lazy_module_that_cannot_infer_raises():
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input"):
        cnnlab.nn.LazyConv2d(2, 3)(cnnlab.zeros(5, 5))
