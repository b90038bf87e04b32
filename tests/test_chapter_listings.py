"""The code of Section 8.6, run on the NumPy engine with only its import lines changed.

Each listing below is the chapter's text (its indentation repaired where the page broke it);
the data are small generated images, so the networks can be seen to learn in seconds.
"""

import contextlib
import io
import re

import numpy as np

IMPORTS = """
import cnnlab as torch
from cnnlab import nn, optim
import cnnlab.nn.functional as F
"""

NET_8_22 = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()

        #define layers with learnable parameters
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.conv1(x)
        out = torch.tanh(out)           # function
        out = F.max_pool2d(out, 2)     # function
        out = self.conv2(out)
        out = torch.tanh(out)         # function
        out = F.max_pool2d(out, 2)    # function
        out = out.view(-1, 8 * 8 * 8) # function
        out = self.fc1(out)
        out = torch.tanh(out)         # function
        out = self.fc2(out)
        return out
"""

PARAMETER_COUNT = """
model = Net()
numel_list = [p.numel() for p in model.parameters()]
result = sum(numel_list), numel_list
"""

TRAINING_LOOP = """
import datetime
def training_loop(n_epochs, optimizer, model, loss_fn, train_loader):
    for epoch in range(1, n_epochs + 1):
        loss_train = 0.0
        for imgs, labels in train_loader:
            outputs = model(imgs) # imgs:[batch_size,C,H,W]accepted by conv2d
            loss = loss_fn(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_train += loss.item()
        if epoch == 1 or epoch % 10 == 0:
            print('{} Epoch {}, Training loss {}'.format(
                datetime.datetime.now(), epoch,
                loss_train / len(train_loader)))
"""

PREPARE_AND_RUN = """
train_loader = torch.utils.data.DataLoader(cifar2, batch_size=64,
                                           shuffle=True)
model = Net() #
optimizer = optim.SGD(model.parameters(), lr=1e-2) #
loss_fn = nn.CrossEntropyLoss()
training_loop(
n_epochs = 10,
optimizer = optimizer,
model = model,
loss_fn = loss_fn,
train_loader = train_loader,
)
"""

VALIDATE = """
test_loader = torch.utils.data.DataLoader(cifar2_test, batch_size=64,
                                           shuffle=False)

def validate(model, train_loader, test_loader):
    for name, loader in [("train", train_loader), ("test", test_loader)]:
        correct = 0
        total = 0
        with torch.no_grad():
            for imgs, labels in loader:
                outputs = model(imgs)
                _, predicted = torch.max(outputs, dim=1)
                total += labels.shape[0]
                correct += int((predicted == labels).sum())
        print("Accuracy {}: {:.2f}".format(name, correct / total))

validate(model, train_loader, test_loader)
"""

LENET5_BN = """
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):

    def __init__(self):
        # define self functions for all layers with learning parameters
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3,6,5)
        # define function self.conv1 for Conv layer1

        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6,16,5)
        self.bn1 = nn.BatchNorm2d(6) # batch normalization
        self.fc1 = nn.Linear(16*5*5, 120)
        self.fc2 = nn.Linear(120,84)
        self.bn2 = nn.BatchNorm1d(84) # batch normalization
        self.fc3 = nn.Linear(84,10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = F.max_pool2d(x,2,2)
        x = self.bn1(x) # batch normalization
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x,2,2)
        x = x.view(-1, 16*5*5)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.bn2(x) # batch normalization
        x = self.fc3(x)
        return x

net = Net()
numel_list = [p.numel() for p in net.parameters()]
result = sum(numel_list), numel_list
"""

TRAIN_LENET5 = """
import torch.optim as optim
criterion = nn.CrossEntropyLoss()
#optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
optimizer = optim.Adam(net.parameters(), lr=0.001)
for epoch in range(5): # loop over the dataset multiple times

    running_loss = 0.0
    for i, data in enumerate(trainloader,0):
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()

    if i % 100 == 99: # print every 100 mini-batches
        print('[%d, %5d] loss: %.3f' %
              (epoch + 1, i + 1, running_loss / 100))
        running_loss = 0.0

print('Finished Training')
"""

TEST_LENET5 = """
correct = 0
total = 0
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print('Accuracy of the network on the 10000 test images: %d %%' % (
    100 * correct / total))

class_correct = list(0. for i in range(10))
class_total = list(0. for i in range(10))
with torch.no_grad():
    for data in testloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs, 1)
        c = (predicted == labels).squeeze()
        for i in range(len(labels)):
            label = labels[i]
            class_correct[label] += c[i].item()
            class_total[label] += 1

for i in range(10):
    print('Accuracy of %5s : %2d %%' % (
        classes[i], 100 * class_correct[i] / class_total[i]))
"""


def run(source: str, namespace: dict) -> str:
    """Execute a listing the way a notebook cell would, returning what it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(
            source.replace("import torch.nn as nn", "from cnnlab import nn")
            .replace("import torch.nn.functional as F", "import cnnlab.nn.functional as F")
            .replace("import torch.optim as optim", "from cnnlab import optim"),
            namespace,
        )
    return printed.getvalue()


def images_with_class_patterns(n: int, classes: int, seed: int):
    """3x32x32 images: a bright 8x8 square whose place on a 4x4 grid is the class, plus noise."""
    import cnnlab

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    images = rng.normal(0, 0.5, (n, 3, 32, 32)).astype(np.float32)
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 4)
        images[i, :, row * 8 : row * 8 + 8, col * 8 : col * 8 + 8] += 1.5
    return [(cnnlab.tensor(image), int(label)) for image, label in zip(images, labels, strict=True)]


def test_the_two_class_net_counts_18090_parameters_trains_and_validates():
    import cnnlab

    cnnlab.manual_seed(0)
    namespace: dict = {}
    run(IMPORTS + NET_8_22 + PARAMETER_COUNT, namespace)
    assert namespace["result"] == (18090, [432, 16, 1152, 8, 16384, 32, 64, 2])

    namespace["cifar2"] = images_with_class_patterns(512, 2, seed=1)
    namespace["cifar2_test"] = images_with_class_patterns(256, 2, seed=2)
    log = run(TRAINING_LOOP + PREPARE_AND_RUN, namespace)
    losses = [float(v) for v in re.findall(r"Training loss ([\d.]+)", log)]
    assert len(losses) == 2 and losses[1] < 0.75 * losses[0], log

    report = run(VALIDATE, namespace)
    accuracies = dict(re.findall(r"Accuracy (\w+): ([\d.]+)", report))
    assert float(accuracies["train"]) > 0.85 and float(accuracies["test"]) > 0.85, report


def test_lenet5_with_batch_norm_counts_62186_parameters_trains_and_reports_per_class():
    import cnnlab

    cnnlab.manual_seed(0)
    namespace: dict = {}
    run(IMPORTS + LENET5_BN, namespace)
    assert namespace["result"] == (
        62186,
        [450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84, 840, 10],
    )

    train = images_with_class_patterns(640, 10, seed=3)
    test = images_with_class_patterns(320, 10, seed=4)
    namespace["trainloader"] = cnnlab.utils.data.DataLoader(train, batch_size=16, shuffle=True)
    namespace["testloader"] = cnnlab.utils.data.DataLoader(test, batch_size=16, shuffle=False)
    namespace["classes"] = (
        "plane",
        "car",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )
    assert "Finished Training" in run(TRAIN_LENET5, namespace)

    namespace["net"].eval()
    report = run(TEST_LENET5, namespace)
    overall = int(re.search(r"test images: (\d+) %", report).group(1))
    per_class = [int(v) for v in re.findall(r"Accuracy of\s+\w+ :\s*(\d+) %", report)]
    assert overall >= 90, report
    assert len(per_class) == 10 and min(per_class) >= 70, report
