"""Small versions of well-known public PyTorch programs, written once against a ``torch``
argument and run on cnnlab and on torch from the same initial weights and data: "What is
torch.nn really?", the FashionMNIST quickstart, a Kaggle-style MNIST CNN, and "Learning PyTorch
with examples" (a polynomial fit, by hand, with nn, with an optimizer, and with a custom
autograd Function). Their losses and accuracies must agree."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as real_torch

import cnnlab

RNG = np.random.default_rng(0)
IMAGES = RNG.random((96, 784)).astype(np.float32)
LABELS = (IMAGES[:, :392].sum(1) > IMAGES[:, 392:].sum(1)).astype(np.int64) + 2 * (
    IMAGES[:, ::2].sum(1) > IMAGES[:, 1::2].sum(1)
)


def initial_state(model) -> dict:
    """A copy of the torch model's weights as it was built (before the program trains it)."""
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def run_both(program):
    """``program(torch, build)`` on both libraries, the torch model built first; ``build(fn)``
    builds a model and makes the cnnlab one start from the torch one's weights."""
    models = {}

    def builder(lib):
        def build(make):
            model = make()
            if lib is real_torch:
                models["start"] = initial_state(model)
            else:
                model.load_state_dict({k: cnnlab.tensor(v) for k, v in models["start"].items()})
            return model

        return build

    theirs = program(real_torch, builder(real_torch))
    ours = program(cnnlab, builder(cnnlab))
    return ours, theirs


def assert_traces_agree(ours, theirs, tolerance=1e-4):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b), (a, b)
        assert abs(a - b) <= tolerance * max(1.0, abs(b)), (ours, theirs)


def nn_really(torch, build):
    """ "What is torch.nn really?": a logistic model by hand, then nn.Module, Lambda layers, a
    CNN over TensorDataset/DataLoader, with F.cross_entropy and the accuracy of argmax."""
    import math as m

    nn = torch.nn
    F = torch.nn.functional
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset

    x_train, y_train = map(torch.tensor, (IMAGES, LABELS))
    n, c = x_train.shape
    trace = [n, c, x_train.min().item() >= 0, y_train.max().item()]

    weights = torch.tensor(np.full((784, 10), 1 / m.sqrt(784), np.float32))
    weights.requires_grad_()
    bias = torch.zeros(10, requires_grad=True)

    def model(xb):
        return F.log_softmax(xb @ weights + bias, dim=-1)

    def accuracy(out, yb):
        preds = torch.argmax(out, dim=1)
        return (preds == yb).float().mean()

    bs, lr = 32, 0.5
    for i in range((n - 1) // bs + 1):
        xb, yb = x_train[i * bs : i * bs + bs], y_train[i * bs : i * bs + bs]
        loss = F.nll_loss(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
    trace += [loss.item(), accuracy(model(x_train), y_train).item()]

    class Lambda(nn.Module):
        def __init__(self, func):
            super().__init__()
            self.func = func

        def forward(self, x):
            return self.func(x)

    def preprocess(x):
        return x.view(-1, 1, 28, 28)

    cnn = build(
        lambda: nn.Sequential(
            Lambda(preprocess),
            nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 10, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            Lambda(lambda x: x.view(x.size(0), -1)),
        )
    )
    opt = torch.optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
    train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=bs)
    for _ in range(2):
        cnn.train()
        for xb, yb in train_dl:
            loss = F.cross_entropy(cnn(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        cnn.eval()
        with torch.no_grad():
            valid_loss = sum(F.cross_entropy(cnn(xb), yb) for xb, yb in train_dl)
        trace.append(valid_loss.item() / len(train_dl))
    return trace


def fashion_quickstart(torch, build):
    """The FashionMNIST quickstart: nn.Flatten + nn.Sequential, train/test loops with
    ``loss.item()`` and ``(pred.argmax(1) == y).type(torch.float).sum().item()``."""
    nn = torch.nn
    DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset

    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = TensorDataset(torch.tensor(IMAGES).reshape(-1, 1, 28, 28), torch.tensor(LABELS))
    train_dataloader = DataLoader(data, batch_size=16)
    test_dataloader = DataLoader(data, batch_size=32)

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10)
            )

        def forward(self, x):
            x = self.flatten(x)
            return self.linear_relu_stack(x)

    model = build(lambda: NeuralNetwork().to(device))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)
    trace = []

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)
            pred = model(X)
            loss = loss_fn(pred, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 2 == 0:
                loss, current = loss.item(), (batch + 1) * len(X)
                trace.append(loss)
                trace.append(current / size)

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        trace.extend([test_loss / num_batches, correct / size])

    for _ in range(2):
        train(train_dataloader, model, loss_fn, optimizer)
        test(test_dataloader, model, loss_fn)
    model.eval()
    x, y = data[0][0], data[0][1]
    with torch.no_grad():
        pred = model(x.to(device))
        trace.append(pred[0].argmax(0).item() == y.item())
    return trace


def kaggle_mnist_cnn(torch, build):
    """A Kaggle-style MNIST CNN: ``x.size(0)``, ``torch.max(outputs.data, 1)``, ``torch.sum``,
    ``correct / total``, Adam and StepLR, per-class accuracy dictionaries."""
    nn, F = torch.nn, torch.nn.functional

    class CNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=5)
            self.conv2 = nn.Conv2d(4, 8, kernel_size=5)
            self.bn = nn.BatchNorm2d(8)
            self.conv2_drop = nn.Dropout2d(p=0.0)
            self.fc1 = nn.Linear(8 * 4 * 4, 16)
            self.fc2 = nn.Linear(16, 4)

        def forward(self, x):
            x = F.relu(F.max_pool2d(self.conv1(x), 2))
            x = F.relu(F.max_pool2d(self.conv2_drop(self.bn(self.conv2(x))), 2))
            x = x.view(x.size(0), -1)
            x = F.relu(self.fc1(x))
            x = F.dropout(x, training=self.training, p=0.0)
            return F.log_softmax(self.fc2(x), dim=1)

    # in float64: a float32 prediction near a tie may go either way on two sound engines
    features = torch.from_numpy(IMAGES.astype(np.float64)).view(-1, 1, 28, 28)
    targets = torch.from_numpy(LABELS).type(torch.LongTensor)
    train = torch.utils.data.TensorDataset(features, targets)
    loader = torch.utils.data.DataLoader(train, batch_size=24, shuffle=False)
    model = build(lambda: CNN().double())
    optimizer = torch.optim.Adam(model.parameters(), lr=0.003)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    criterion = nn.NLLLoss()
    trace = []
    for _ in range(2):
        model.train()
        for images, labels in loader:
            optimizer.zero_grad()
            outputs = model(images)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
        scheduler.step()
        trace.append(loss.item())
        correct, total = 0, 0
        class_correct = {c: 0 for c in range(4)}
        model.eval()
        with torch.no_grad():
            for images, labels in loader:
                outputs = model(images)
                _, predicted = torch.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
                correct_tensor = torch.sum(predicted == labels)
                for label, prediction in zip(labels, predicted, strict=True):
                    class_correct[label.item()] += int(label == prediction)
        trace += [correct / total, correct_tensor.item() / labels.size(0)]
        trace += [class_correct[c] for c in range(4)]
    trace.append(optimizer.param_groups[0]["lr"])
    return trace


def learning_with_examples(torch, build):
    """ "Learning PyTorch with examples": y = sin(x) fitted by a cubic, by hand with tensors,
    with nn.Sequential + nn.Flatten(0, 1) + MSELoss(reduction='sum'), with RMSprop, and with a
    custom autograd.Function (the Legendre polynomial P3)."""
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
    y = torch.sin(x)
    trace = []

    a, b, c, d = (
        torch.tensor(v, device=device, dtype=dtype, requires_grad=True)
        for v in (0.1, -0.2, 0.3, 0.05)
    )
    learning_rate = 1e-6
    for _ in range(50):
        y_pred = a + b * x + c * x**2 + d * x**3
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= learning_rate * p.grad
                p.grad = None
    trace += [loss.item(), a.item(), d.item()]

    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = build(lambda: torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1)))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    for _ in range(30):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 1e-6 * param.grad
    linear_layer = model[0]
    trace += [loss.item(), linear_layer.bias.item(), linear_layer.weight[:, 0].item()]

    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    for _ in range(30):
        loss = loss_fn(model(xx), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    trace.append(loss.item())

    class LegendrePolynomial3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    a, b, c, d = (
        torch.full((), v, device=device, dtype=dtype, requires_grad=True)
        for v in (0.0, -1.0, 0.0, 0.3)
    )
    for _ in range(50):
        P3 = LegendrePolynomial3.apply
        y_pred = a + b * P3(c + d * x)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for q in (a, b, c, d):
                q -= 5e-6 * q.grad
                q.grad = None
    trace += [loss.item(), b.item(), d.item()]
    return trace


PROGRAMS = {
    "What is torch.nn really?": nn_really,
    "FashionMNIST quickstart": fashion_quickstart,
    "Kaggle-style MNIST CNN": kaggle_mnist_cnn,
    "Learning PyTorch with examples": learning_with_examples,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_runs_on_cnnlab_as_on_torch(name):
    ours, theirs = run_both(PROGRAMS[name])
    assert_traces_agree(ours, theirs)
