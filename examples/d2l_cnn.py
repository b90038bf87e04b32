"""The CNNs of d2l.ai's chapters "Convolutional Neural Networks" and "Modern Convolutional
Neural Networks" (PyTorch version), trained with the book's ``train_ch6``: only the imports
differ from PyTorch.

The library is picked before anything else: ``EXAMPLES_LIBRARY=torch`` runs the same text on
PyTorch, anything else (the default) on cnnlab. The networks are written as the book writes
them, with ``nn.LazyConv2d``, ``nn.LazyBatchNorm2d`` and ``nn.LazyLinear``; ``shrink`` divides
every layer width (1 = the book's). The data are the 5,000 MNIST digits embedded in cnnlab
(the book uses Fashion-MNIST), resized with ``F.interpolate`` as ``transforms.Resize`` would:
the book resizes to 224 for AlexNet, VGG, NiN and GoogLeNet and to 96 for ResNet and DenseNet.

    python examples/d2l_cnn.py --model lenet --epochs 10
    EXAMPLES_LIBRARY=torch python examples/d2l_cnn.py --model resnet --resize 96 --shrink 4
"""

import argparse
import os

if os.environ.get("EXAMPLES_LIBRARY") == "torch":
    import torch
    import torch.nn.functional as F
    from torch import nn
    from torch.utils import data
else:
    import cnnlab as torch
    import cnnlab.nn.functional as F
    from cnnlab import nn
    from cnnlab.utils import data

from cnnlab.data import load

# ---------------------------------------------------------------- 7.6 LeNet


def lenet(num_classes=10, shrink=1):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120),
        nn.Sigmoid(),
        nn.LazyLinear(84),
        nn.Sigmoid(),
        nn.LazyLinear(num_classes),
    )


# ---------------------------------------------------------------- 8.1 AlexNet


def alexnet(num_classes=10, shrink=1):
    return nn.Sequential(
        nn.LazyConv2d(96 // shrink, kernel_size=11, stride=4, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(256 // shrink, kernel_size=5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(384 // shrink, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.LazyConv2d(384 // shrink, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.LazyConv2d(256 // shrink, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.LazyLinear(4096 // shrink),
        nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.LazyLinear(4096 // shrink),
        nn.ReLU(),
        nn.Dropout(p=0.5),
        nn.LazyLinear(num_classes),
    )


# ---------------------------------------------------------------- 8.2 VGG


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(num_classes=10, shrink=1, arch=((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))):
    conv_blks = []
    for num_convs, out_channels in arch:
        conv_blks.append(vgg_block(num_convs, out_channels // shrink))
    return nn.Sequential(
        *conv_blks,
        nn.Flatten(),
        nn.LazyLinear(4096 // shrink),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.LazyLinear(4096 // shrink),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.LazyLinear(num_classes),
    )


# ---------------------------------------------------------------- 8.3 NiN


def nin_block(out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.LazyConv2d(out_channels, kernel_size, strides, padding),
        nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1),
        nn.ReLU(),
        nn.LazyConv2d(out_channels, kernel_size=1),
        nn.ReLU(),
    )


def nin(num_classes=10, shrink=1):
    return nn.Sequential(
        nin_block(96 // shrink, kernel_size=11, strides=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        nin_block(256 // shrink, kernel_size=5, strides=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        nin_block(384 // shrink, kernel_size=3, strides=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
        nin_block(num_classes, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )


# ---------------------------------------------------------------- 8.4 GoogLeNet


class Inception(nn.Module):
    # c1--c4 are the number of output channels for each branch
    def __init__(self, c1, c2, c3, c4, **kwargs):
        super(Inception, self).__init__(**kwargs)
        # Branch 1
        self.b1_1 = nn.LazyConv2d(c1, kernel_size=1)
        # Branch 2
        self.b2_1 = nn.LazyConv2d(c2[0], kernel_size=1)
        self.b2_2 = nn.LazyConv2d(c2[1], kernel_size=3, padding=1)
        # Branch 3
        self.b3_1 = nn.LazyConv2d(c3[0], kernel_size=1)
        self.b3_2 = nn.LazyConv2d(c3[1], kernel_size=5, padding=2)
        # Branch 4
        self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.b4_2 = nn.LazyConv2d(c4, kernel_size=1)

    def forward(self, x):
        b1 = F.relu(self.b1_1(x))
        b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
        b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
        b4 = F.relu(self.b4_2(self.b4_1(x)))
        return torch.cat((b1, b2, b3, b4), dim=1)


def googlenet(num_classes=10, shrink=1):
    def c(n):
        return max(1, n // shrink)

    def inception(c1, c2, c3, c4):
        return Inception(c(c1), (c(c2[0]), c(c2[1])), (c(c3[0]), c(c3[1])), c(c4))

    b1 = nn.Sequential(
        nn.LazyConv2d(c(64), kernel_size=7, stride=2, padding=3),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(
        nn.LazyConv2d(c(64), kernel_size=1),
        nn.ReLU(),
        nn.LazyConv2d(c(192), kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b3 = nn.Sequential(
        inception(64, (96, 128), (16, 32), 32),
        inception(128, (128, 192), (32, 96), 64),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b4 = nn.Sequential(
        inception(192, (96, 208), (16, 48), 64),
        inception(160, (112, 224), (24, 64), 64),
        inception(128, (128, 256), (24, 64), 64),
        inception(112, (144, 288), (32, 64), 64),
        inception(256, (160, 320), (32, 128), 128),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b5 = nn.Sequential(
        inception(256, (160, 320), (32, 128), 128),
        inception(384, (192, 384), (48, 128), 128),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )
    return nn.Sequential(b1, b2, b3, b4, b5, nn.LazyLinear(num_classes))


# ---------------------------------------------------------------- 8.5 Batch normalization


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # Use is_grad_enabled to determine whether we are in training mode
    if not torch.is_grad_enabled():
        # In prediction mode, use mean and variance obtained by moving average
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            # When using a fully connected layer, calculate the mean and
            # variance on the feature dimension
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            # When using a two-dimensional convolutional layer, calculate the
            # mean and variance on the channel dimension (axis=1). Here we
            # need to maintain the shape of X, so that the broadcasting
            # operation can be carried out later
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        # In training mode, the current mean and variance are used
        X_hat = (X - mean) / torch.sqrt(var + eps)
        # Update the mean and variance using moving average
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # Scale and shift
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    # num_features: the number of outputs for a fully connected layer or the
    # number of output channels for a convolutional layer. num_dims: 2 for a
    # fully connected layer and 4 for a convolutional layer
    def __init__(self, num_features, num_dims):
        super().__init__()
        if num_dims == 2:
            shape = (1, num_features)
        else:
            shape = (1, num_features, 1, 1)
        # The scale parameter and the shift parameter (model parameters) are
        # initialized to 1 and 0, respectively
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        # The variables that are not model parameters are initialized to 0 and
        # 1
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        # If X is not on the main memory, copy moving_mean and moving_var to
        # the device where X is located
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        # Save the updated moving_mean and moving_var
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


def bn_lenet_scratch(num_classes=10, shrink=1):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5),
        BatchNorm(6, num_dims=4),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5),
        BatchNorm(16, num_dims=4),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120),
        BatchNorm(120, num_dims=2),
        nn.Sigmoid(),
        nn.LazyLinear(84),
        BatchNorm(84, num_dims=2),
        nn.Sigmoid(),
        nn.LazyLinear(num_classes),
    )


def bn_lenet(num_classes=10, shrink=1):
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5),
        nn.LazyBatchNorm2d(),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.LazyConv2d(16, kernel_size=5),
        nn.LazyBatchNorm2d(),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.LazyLinear(120),
        nn.LazyBatchNorm1d(),
        nn.Sigmoid(),
        nn.LazyLinear(84),
        nn.LazyBatchNorm1d(),
        nn.Sigmoid(),
        nn.LazyLinear(num_classes),
    )


# ---------------------------------------------------------------- 8.6 ResNet


class Residual(nn.Module):
    """The Residual block of ResNet models."""

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
        Y += X
        return F.relu(Y)


def resnet_b1(num_channels=64):
    return nn.Sequential(
        nn.LazyConv2d(num_channels, kernel_size=7, stride=2, padding=3),
        nn.LazyBatchNorm2d(),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )


def resnet_block(num_residuals, num_channels, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels))
    return nn.Sequential(*blk)


def resnet(num_classes=10, shrink=1, arch=((2, 64), (2, 128), (2, 256), (2, 512))):
    net = nn.Sequential(resnet_b1(64 // shrink))
    for i, b in enumerate(arch):
        net.add_module(f"b{i + 2}", resnet_block(b[0], b[1] // shrink, first_block=(i == 0)))
    net.add_module(
        "last",
        nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.LazyLinear(num_classes)),
    )
    return net


# ---------------------------------------------------------------- 8.7 DenseNet


def conv_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
    )


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            # Concatenate input and output of each block along the channels
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(num_channels):
    return nn.Sequential(
        nn.LazyBatchNorm2d(),
        nn.ReLU(),
        nn.LazyConv2d(num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )


def densenet(num_classes=10, shrink=1, num_channels=64, growth_rate=32, arch=(4, 4, 4, 4)):
    num_channels, growth_rate = num_channels // shrink, growth_rate // shrink
    net = nn.Sequential(resnet_b1(num_channels))
    for i, num_convs in enumerate(arch):
        net.add_module(f"dense_blk{i + 1}", DenseBlock(num_convs, growth_rate))
        # The number of output channels in the previous dense block
        num_channels += num_convs * growth_rate
        # A transition layer that halves the number of channels is added
        # between the dense blocks
        if i != len(arch) - 1:
            num_channels //= 2
            net.add_module(f"tran_blk{i + 1}", transition_block(num_channels))
    net.add_module(
        "last",
        nn.Sequential(
            nn.LazyBatchNorm2d(),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.LazyLinear(num_classes),
        ),
    )
    return net


# ---------------------------------------------------------------- MobileNet-style blocks


def depthwise_separable(in_channels, out_channels, stride=1):
    """A 3x3 depthwise convolution (one filter per channel) then a 1x1 pointwise one."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            in_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=in_channels,
            bias=False,
        ),
        nn.BatchNorm2d(in_channels),
        nn.ReLU6(inplace=True),
        nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True),
    )


def mobilenet(num_classes=10, shrink=1):
    def c(n):
        return max(1, n // shrink)

    return nn.Sequential(
        nn.Conv2d(1, c(32), kernel_size=3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(c(32)),
        nn.ReLU6(inplace=True),
        depthwise_separable(c(32), c(64)),
        depthwise_separable(c(64), c(128), stride=2),
        depthwise_separable(c(128), c(128)),
        depthwise_separable(c(128), c(256), stride=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(c(256), num_classes),
    )


MODELS = {
    "lenet": lenet,
    "alexnet": alexnet,
    "vgg": vgg,
    "nin": nin,
    "googlenet": googlenet,
    "bn_lenet_scratch": bn_lenet_scratch,
    "bn_lenet": bn_lenet,
    "resnet": resnet,
    "densenet": densenet,
    "mobilenet": mobilenet,
}

# ---------------------------------------------------------------- data and train_ch6


def load_data_mnist(batch_size, resize=None, train_size=None, test_size=None):
    """The digits as float tensors in [0, 1] of shape (1, resize, resize)."""

    def dataset(train, size):
        digits = load("mnist5k", train=train)
        X = torch.from_numpy(digits.images[:size]).float() / 255
        if resize:
            X = F.interpolate(X, size=(resize, resize), mode="bilinear", align_corners=False)
        y = torch.from_numpy(digits.labels[:size])
        return data.TensorDataset(X, y)

    return (
        data.DataLoader(dataset(True, train_size), batch_size, shuffle=True),
        data.DataLoader(dataset(False, test_size), batch_size, shuffle=False),
    )


def layer_summary(net, X_shape):
    X = torch.randn(*X_shape)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape:\t", X.shape)
    return X


class Accumulator:
    """For accumulating sums over `n` variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy_gpu(net, data_iter, device=None):
    """Compute the accuracy for a model on a dataset using a GPU."""
    if isinstance(net, nn.Module):
        net.eval()  # Set the model to evaluation mode
        if not device:
            device = next(iter(net.parameters())).device
    # No. of correct predictions, no. of predictions
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            if isinstance(X, list):
                X = [x.to(device) for x in X]
            else:
                X = X.to(device)
            y = y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def try_gpu(i=0):
    """Return gpu(i) if exists, otherwise return cpu()."""
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def train_ch6(net, train_iter, test_iter, num_epochs, lr, device):
    """Train a model with a GPU."""

    def init_weights(m):
        if type(m) == nn.Linear or type(m) == nn.Conv2d:
            nn.init.xavier_uniform_(m.weight)

    net(next(iter(train_iter))[0])  # the lazy layers take their shapes from a first batch
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    history = []
    for epoch in range(num_epochs):
        # Sum of training loss, sum of training accuracy, no. of examples
        metric = Accumulator(3)
        net.train()
        for i, (X, y) in enumerate(train_iter):
            optimizer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            optimizer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
        train_l = metric[0] / metric[2]
        train_acc = metric[1] / metric[2]
        test_acc = evaluate_accuracy_gpu(net, test_iter)
        history.append((train_l, train_acc, test_acc))
        print(
            f"epoch {epoch + 1}, loss {train_l:.3f}, train acc {train_acc:.3f}, "
            f"test acc {test_acc:.3f}"
        )
    return history


def main(argv=None):
    parser = argparse.ArgumentParser(description="d2l.ai's CNNs")
    parser.add_argument("--model", choices=MODELS, default="lenet")
    parser.add_argument("--shrink", type=int, default=1, help="divide every width by this")
    parser.add_argument("--resize", type=int, default=None, help="side of the input images")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.9)
    parser.add_argument("--train-size", type=int, default=None, help="first N digits only")
    parser.add_argument("--test-size", type=int, default=None, help="first N digits only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    net = MODELS[args.model](num_classes=10, shrink=args.shrink)
    side = args.resize or 28
    X = layer_summary(net, (2, 1, side, side))
    train_iter, test_iter = load_data_mnist(
        args.batch_size, args.resize, args.train_size, args.test_size
    )
    history = train_ch6(net, train_iter, test_iter, args.epochs, args.lr, try_gpu())
    return {"net": net, "output_shape": tuple(X.shape), "history": history}


if __name__ == "__main__":
    main()
