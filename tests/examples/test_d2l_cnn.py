"""d2l.ai's CNNs (LeNet to DenseNet, and a MobileNet-style net) with the book's ``train_ch6``,
on both libraries: the book's layer summary gives the output shape, the training loss falls on
32 digits, the book's accuracy code agrees with a count made here, and a network built on
cnnlab and on PyTorch from one state_dict gives the same outputs and parameter gradients."""

import io
from contextlib import redirect_stdout

import numpy as np
import pytest

from example_programs import load_example

# model: (arguments that make it small, learning rate, epochs, least fall of the loss)
CASES = {
    "lenet": ("", 0.3, 6, 0.3),
    "alexnet": ("--shrink 16 --resize 96", 0.1, 12, 0.05),
    "vgg": ("--shrink 16 --resize 32", 0.1, 12, 0.05),
    "nin": ("--shrink 16 --resize 96", 0.3, 12, 0.03),
    "googlenet": ("--shrink 16 --resize 32", 0.3, 12, 0.1),
    "bn_lenet_scratch": ("", 0.5, 6, 1.0),
    "bn_lenet": ("", 0.5, 6, 1.0),
    "resnet": ("--shrink 8", 0.1, 6, 1.0),
    "densenet": ("--shrink 8 --resize 32", 0.1, 6, 0.5),
    "mobilenet": ("--shrink 8", 0.1, 6, 0.3),
}
SMALL = "--train-size 32 --test-size 32 --batch-size 32"
HAS_DROPOUT = {"alexnet", "vgg", "nin", "mobilenet"}


def run(program, model, *more):
    extra, lr, epochs, _ = CASES[model]
    argv = f"--model {model} {extra} {SMALL} --lr {lr} --epochs {epochs}".split()
    with redirect_stdout(io.StringIO()) as out:
        result = program.main([*argv, *more])
    return result, out.getvalue()


@pytest.mark.parametrize("model", CASES)
def test_d2l_model_trains(example, model):
    program = example("d2l_cnn")
    result, out = run(program, model)
    assert result["output_shape"] == (2, 10)
    assert "output shape:" in out and "training on cpu" in out
    losses = [loss for loss, _, _ in result["history"]]
    assert min(losses[-3:]) < losses[0] - CASES[model][3], losses

    torch, net = program.torch, result["net"]
    _, test_iter = program.load_data_mnist(32, program.MODELS and _resize(model), None, 32)
    X, y = next(iter(test_iter))
    net.eval()
    with torch.no_grad():
        predicted = net(X).numpy().argmax(1)
    expected = float((predicted == y.numpy()).mean())
    assert program.evaluate_accuracy_gpu(net, test_iter) == pytest.approx(expected, abs=1e-12)
    assert result["history"][-1][2] == pytest.approx(expected, abs=1e-12)


def _resize(model):
    words = CASES[model][0].split()
    return int(words[words.index("--resize") + 1]) if "--resize" in words else None


def test_d2l_batch_norm_from_scratch_trains_as_lazy_batch_norm(example):
    program = example("d2l_cnn")
    scratch, _ = run(program, "bn_lenet_scratch")
    concise, _ = run(program, "bn_lenet")
    # the training loss and accuracy; the test accuracy may differ: the book's moving variance
    # is the biased one, BatchNorm's running_var the unbiased one
    train = np.array(scratch["history"])[:, :2]
    np.testing.assert_allclose(train, np.array(concise["history"])[:, :2], rtol=1e-4, atol=1e-5)


def built(monkeypatch, library, model, X):
    """The network ``model`` of the program on ``library``, its lazy layers set by ``X``."""
    program = load_example("d2l_cnn", library, monkeypatch)
    torch = program.torch
    extra = CASES[model][0].split()
    shrink = int(extra[extra.index("--shrink") + 1]) if "--shrink" in extra else 1
    net = program.MODELS[model](num_classes=10, shrink=shrink)
    net(torch.from_numpy(X))
    return torch, net


def outputs_and_gradients(torch, net, X, y, train):
    net.train(train)
    net.zero_grad()
    out = net(torch.from_numpy(X))
    torch.nn.functional.cross_entropy(out, torch.from_numpy(y)).backward()
    grads = {name: p.grad.numpy().copy() for name, p in net.named_parameters()}
    return out.detach().numpy(), grads


@pytest.mark.parametrize("model", CASES)
def test_d2l_model_equal_on_both_libraries(monkeypatch, model):
    side = _resize(model) or 28
    rng = np.random.default_rng(0)
    X = rng.random((4, 1, side, side), dtype=np.float32)
    y = rng.integers(0, 10, size=4)
    mine, net = built(monkeypatch, "cnnlab", model, X)
    ref, ref_net = built(monkeypatch, "torch", model, X)
    state = {k: ref.from_numpy(v.numpy().copy()) for k, v in net.state_dict().items()}
    ref_net.load_state_dict(state)
    for train in (False,) if model in HAS_DROPOUT else (True, False):
        out, grads = outputs_and_gradients(mine, net, X, y, train)
        ref_out, ref_grads = outputs_and_gradients(ref, ref_net, X, y, train)
        np.testing.assert_allclose(out, ref_out, rtol=1e-4, atol=1e-5)
        assert grads.keys() == ref_grads.keys()
        # a conv's bias before batch norm has a zero gradient, met as rounding noise
        scale = max(np.abs(grad).max() for grad in ref_grads.values())
        for name, grad in grads.items():
            np.testing.assert_allclose(
                grad, ref_grads[name], rtol=1e-3, atol=1e-4 * scale, err_msg=name
            )
