"""pytorch/examples' MNIST program on both libraries: a few steps of Adadelta with StepLR on
96 embedded digits lower the loss, and its accuracy code counts correct digits."""

import numpy as np
import torch

import cnnlab

SMALL = "--epochs 2 --train-size 96 --test-size 100 --batch-size 32 --test-batch-size 50"


def test_mnist_main_learns(example, capsys):
    program = example("mnist_main")
    history = program.main([*SMALL.split(), "--log-interval", "2"])

    assert len(history["train_loss"]) == 2 * 3
    assert history["test_loss"][-1] < history["train_loss"][0] - 0.2
    assert history["test_loss"][-1] < history["test_loss"][0]
    assert history["lr"] == [1.0, 0.7]  # StepLR(step_size=1, gamma=0.7) after each epoch
    correct = history["correct"][-1]
    assert isinstance(correct, int) and 20 <= correct <= 100  # chance is 10 of 100
    out = capsys.readouterr().out
    assert f"Accuracy: {correct}/100" in out
    assert "Train Epoch: 2 [64/96 (67%)]" in out


def test_mnist_net_shapes_and_accuracy_code(example):
    program = example("mnist_main")
    torch = program.torch
    torch.manual_seed(0)
    model = program.Net()
    model.eval()
    x = torch.rand(size=(5, 1, 28, 28), dtype=torch.float32)
    with torch.no_grad():
        output = model(x)
    assert tuple(output.shape) == (5, 10)
    np.testing.assert_allclose(output.exp().sum(1).numpy(), np.ones(5), rtol=1e-5)
    pred = output.argmax(dim=1, keepdim=True)
    assert tuple(pred.shape) == (5, 1)
    target = torch.tensor([int(p) for p in pred.flatten().tolist()])
    assert pred.eq(target.view_as(pred)).sum().item() == 5


def test_mnist_main_saves_a_state_dict_both_libraries_read(example, tmp_path, monkeypatch):
    program = example("mnist_main")
    monkeypatch.chdir(tmp_path)
    history = program.main(
        [
            "--epochs",
            "1",
            "--train-size",
            "32",
            "--test-size",
            "10",
            "--batch-size",
            "32",
            "--save-model",
        ]
    )
    saved = history["model"].state_dict()
    for load in (torch.load, cnnlab.load):
        state = load(tmp_path / "mnist_cnn.pt", weights_only=True)
        assert list(state) == list(saved)
        for key, value in saved.items():
            np.testing.assert_array_equal(state[key].numpy(), value.numpy())
