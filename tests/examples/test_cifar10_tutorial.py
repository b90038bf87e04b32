"""PyTorch's CIFAR-10 tutorial on both libraries, on a small set of three colour classes
written in CIFAR-10's own file format: the loss falls, and its accuracy code (``torch.max``,
per-class dicts indexed by 0-d label tensors) counts what the network's outputs say."""

import numpy as np
import pytest

from dataset_files import write_colour_cifar


@pytest.fixture(scope="module")
def cifar_dir(tmp_path_factory):
    return write_colour_cifar(
        tmp_path_factory.mktemp("cifar"), per_batch=24, test_count=24, classes=3
    )


def test_cifar10_tutorial_learns_and_counts(example, cifar_dir, capsys):
    program = example("cifar10_tutorial")
    result = program.main(
        [
            "--data-dir",
            str(cifar_dir),
            "--epochs",
            "2",
            "--lr",
            "0.01",
            "--print-every",
            "15",
            "--no-save",
        ]
    )  # batches of 4 and two loading workers, as the tutorial has them
    losses = result["losses"]
    assert len(losses) == 4  # 120 images in batches of 4: two lines per epoch
    assert losses[-1] < losses[0]
    assert min(losses[1:]) < losses[0] - 0.5

    torch, net = program.torch, result["net"]
    testset = program.CIFAR10(str(cifar_dir), train=False)
    with torch.no_grad():
        outputs = net(torch.from_numpy(testset.images)).numpy()
    predicted = outputs.argmax(1)
    expected_correct = int((predicted == testset.labels).sum())
    assert result["total"] == 24
    assert result["correct"] == expected_correct
    assert sum(result["total_pred"].values()) == 24
    assert sum(result["correct_pred"].values()) == expected_correct
    for k, name in enumerate(program.classes):
        assert result["total_pred"][name] == int((testset.labels == k).sum())
        hits = int(((predicted == k) & (testset.labels == k)).sum())
        assert result["correct_pred"][name] == hits
    out = capsys.readouterr().out
    assert f"Accuracy of the network on the 24 test images: {100 * expected_correct // 24} %" in out
    assert "Finished Training" in out


def test_cifar_net_shapes(example):
    program = example("cifar10_tutorial")
    torch = program.torch
    net = program.Net()
    outputs = net(torch.rand(size=(3, 3, 32, 32)))
    assert tuple(outputs.shape) == (3, 10)
    values, indices = torch.max(outputs.data, 1)
    np.testing.assert_allclose(values.numpy(), outputs.detach().numpy().max(1), rtol=1e-6)
    assert indices.dtype == torch.int64
    label = torch.tensor(2)
    assert program.classes[label] == "bird"
    assert bool(label == torch.tensor([2])[0])


def test_cifar10_tutorial_saves_and_reloads(example, cifar_dir, tmp_path, capsys):
    program = example("cifar10_tutorial")
    path = tmp_path / "cifar_net.pth"
    result = program.main(
        [
            "--data-dir",
            str(cifar_dir),
            "--epochs",
            "1",
            "--print-every",
            "15",
            "--num-workers",
            "0",
            "--path",
            str(path),
        ]
    )
    torch = program.torch
    state = torch.load(path, weights_only=True)
    assert list(state) == list(program.Net().state_dict())
    for key, value in result["net"].state_dict().items():
        np.testing.assert_array_equal(state[key].numpy(), value.numpy())
    assert "Predicted: " in capsys.readouterr().out
