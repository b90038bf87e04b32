"""Training on the NumPy engine follows PyTorch step for step from the same initial weights."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import cnnlab
from reference import relative_error


def lenet5_bn(nn):
    """LeNet-5 with the chapter's two batch-norm layers (Section 8.6.6), for either engine."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(3, 6, 5)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2, 2)),
                ("bn1", nn.BatchNorm2d(6)),
                ("conv2", nn.Conv2d(6, 16, 5)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2, 2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(400, 120)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(120, 84)),
                ("relu4", nn.ReLU()),
                ("bn2", nn.BatchNorm1d(84)),
                ("fc3", nn.Linear(84, 10)),
            ]
        )
    )


def chapter_net(nn):
    """The two-class net of Fig. 8.22, with average pooling and tanh for variety."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(3, 16, kernel_size=3, padding=1)),
                ("tanh1", nn.Tanh()),
                ("pool1", nn.AvgPool2d(2)),
                ("conv2", nn.Conv2d(16, 8, kernel_size=3, padding=1)),
                ("tanh2", nn.Tanh()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(512, 32)),
                ("tanh3", nn.Tanh()),
                ("fc2", nn.Linear(32, 2)),
            ]
        )
    )


def lenet5(nn):
    """LeNet-5 with ReLU and max pooling on 3x32x32 (Fig. 8.11), for either engine."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(3, 6, 5)),
                ("relu1", nn.ReLU()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(6, 16, 5)),
                ("relu2", nn.ReLU()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(400, 120)),
                ("relu3", nn.ReLU()),
                ("fc2", nn.Linear(120, 84)),
                ("relu4", nn.ReLU()),
                ("fc3", nn.Linear(84, 10)),
            ]
        )
    )


def patterned_batch(rng: np.random.Generator, classes: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 3x32x32 images with a bright square whose place on a 4x4 grid is the class."""
    labels = rng.integers(0, classes, 64)
    images = rng.normal(0, 0.5, (64, 3, 32, 32))
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 4)
        images[i, :, row * 8 : row * 8 + 8, col * 8 : col * 8 + 8] += 1.5
    return images.astype(dtype), labels


def sgd(optim, params):
    return optim.SGD(params, lr=0.05, momentum=0.9)


def nesterov(optim, params):
    return optim.SGD(params, lr=0.1, momentum=0.5, nesterov=True, weight_decay=1e-3)


def adam(optim, params):
    return optim.Adam(params, lr=1e-3)


# Batch normalization divides by batch deviations that can be tiny, and Adam by gradient
# magnitudes that can be tiny: both amplify rounding step by step. In float32 two correct
# implementations drift apart to ~1e-5 within 20 steps; in float64 the same drift starts at 1e-16
# and stays below 1e-11, which shows it is rounding and not a difference in the math.
CASES = [
    (lenet5, 10, sgd, np.float32, 1e-5),
    (chapter_net, 2, nesterov, np.float32, 1e-5),
    (lenet5_bn, 10, sgd, np.float64, 1e-9),
    (lenet5_bn, 10, adam, np.float64, 1e-9),
]


@pytest.mark.parametrize(("build", "classes", "make_optimizer", "dtype", "tolerance"), CASES)
def test_twenty_steps_from_the_same_weights_give_the_same_losses(
    build, classes, make_optimizer, dtype, tolerance
):
    torch.manual_seed(0)
    theirs = build(torch.nn).to(torch.float64 if dtype == np.float64 else torch.float32)
    ours = build(cnnlab.nn).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    opt_theirs = make_optimizer(torch.optim, theirs.parameters())
    opt_ours = make_optimizer(cnnlab.optim, ours.parameters())
    rng = np.random.default_rng(0)
    for step in range(20):
        x, y = patterned_batch(rng, classes, dtype)
        loss_theirs = torch.nn.functional.cross_entropy(
            theirs(torch.from_numpy(x)), torch.from_numpy(y)
        )
        loss_ours = cnnlab.nn.functional.cross_entropy(
            ours(cnnlab.from_numpy(x)), cnnlab.from_numpy(y)
        )
        if step == 0:
            first = loss_theirs.item()
        difference = abs(loss_ours.item() - loss_theirs.item())
        assert difference <= tolerance * abs(loss_theirs.item()), f"step {step}: {difference:.3g}"
        for optimizer, loss in ((opt_theirs, loss_theirs), (opt_ours, loss_ours)):
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert loss_theirs.item() < 0.9 * first, "the networks should have learned something"
    final_theirs, final_ours = theirs.state_dict(), ours.state_dict()
    assert list(final_ours) == list(final_theirs)
    for key in final_theirs:
        assert relative_error(final_ours[key], final_theirs[key]) <= 100 * tolerance, key
