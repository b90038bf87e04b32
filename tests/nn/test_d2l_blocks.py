"""d2l.ai's ResNet (``Y += X``) and DenseNet, written with lazy layers as the book writes them,
built on both libraries from the same state_dict: equal outputs, parameter gradients and running
statistics in training and in evaluation mode (float64, relative error within 1e-10)."""

import numpy as np
import pytest
import torch

import cnnlab
from reference import assert_close


def resnet(lib, num_classes=10):
    nn, F = lib.nn, lib.nn.functional

    class Residual(nn.Module):
        """The Residual block of d2l's ResNet chapter."""

        def __init__(self, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = nn.LazyBatchNorm2d()
            self.bn2 = nn.LazyBatchNorm2d()

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X  # in place, on a tensor the graph needs: as d2l writes it
            return F.relu(Y)

    def block(num_residuals, num_channels, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    return nn.Sequential(
        nn.Sequential(
            nn.LazyConv2d(8, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
        ),
        block(2, 8, first_block=True),
        block(2, 16),
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)),
    )


def densenet(lib, num_classes=10):
    nn = lib.nn

    def conv_block(num_channels):
        return nn.Sequential(
            nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        )

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, num_channels):
            super().__init__()
            self.net = nn.Sequential(*[conv_block(num_channels) for _ in range(num_convs)])

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = lib.cat((X, Y), dim=1)  # the channels of input and output side by side
            return X

    def transition_block(num_channels):
        return nn.Sequential(
            nn.LazyBatchNorm2d(),
            nn.ReLU(),
            nn.LazyConv2d(num_channels, kernel_size=1),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )

    return nn.Sequential(
        nn.Sequential(nn.LazyConv2d(8, kernel_size=3, padding=1), nn.LazyBatchNorm2d(), nn.ReLU()),
        DenseBlock(2, 4),
        transition_block(8),
        DenseBlock(2, 4),
        nn.LazyBatchNorm2d(),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.LazyLinear(num_classes),
    )


@pytest.mark.parametrize("build", [resnet, densenet], ids=["resnet", "densenet"])
def test_d2l_network_equals_torchs_from_the_same_state_dict(build):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    theirs = build(torch).double()
    theirs(torch.zeros(2, 1, 16, 16, dtype=torch.float64))  # materialize the lazy layers
    ours = build(cnnlab).double()
    ours.load_state_dict(theirs.state_dict())
    ours(cnnlab.zeros(2, 1, 16, 16, dtype=cnnlab.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())  # undo the batch statistics of the dummy call
    for step, training in enumerate([True, True, False]):
        ours.train(training)
        theirs.train(training)
        ours.zero_grad()
        theirs.zero_grad()
        x = rng.standard_normal((4, 1, 16, 16))
        labels = rng.integers(0, 10, 4)
        results = []
        for lib, net in ((cnnlab, ours), (torch, theirs)):
            out = net(lib.tensor(x))
            lib.nn.functional.cross_entropy(out, lib.tensor(labels)).backward()
            results.append((out, dict(net.named_parameters()), net.state_dict()))
        (out, params, state), (ref, ref_params, ref_state) = results
        mode = "train" if training else "eval"
        assert_close(f"{build.__name__} {mode} output", out, ref, np.float64)
        # a conv bias before batch norm has a zero gradient in training (the mean removes it):
        # there both libraries return rounding noise, measured against the largest gradient
        largest = max(np.abs(p.grad.numpy()).max() for p in ref_params.values())
        for name, p in ref_params.items():
            ours_grad, ref_grad = params[name].grad.numpy(), p.grad.numpy()
            scale = max(np.abs(ref_grad).max(), 1e-3 * largest)
            error = np.abs(ours_grad - ref_grad).max() / scale
            assert error <= 1e-10, (build.__name__, mode, name, error)
        for name, value in ref_state.items():
            assert np.allclose(state[name].numpy(), value.numpy(), rtol=1e-10, atol=0), (step, name)
