"""PyTorch's "Training a Classifier" tutorial (CIFAR-10) run on cnnlab: only the imports differ.

The library is picked before anything else: ``EXAMPLES_LIBRARY=torch`` runs the same text on
PyTorch, anything else (the default) on cnnlab. torchvision is not needed: the images are read
from CIFAR-10's python batches in ``--data-dir`` (``cifar-10-batches-py/`` or its ``.tar.gz``)
by ``cnnlab.data.load_cifar10`` and normalized as ``transforms.ToTensor()`` and
``transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))`` would. ``--train-size``,
``--test-size`` and ``--epochs`` make the run short; ``--no-save`` leaves out the
``torch.save`` / ``torch.load(PATH, weights_only=True)`` round trip.

    python examples/cifar10_tutorial.py --data-dir ~/data/cifar10
    EXAMPLES_LIBRARY=torch python examples/cifar10_tutorial.py --data-dir ~/data/cifar10
"""

import argparse
import os

import numpy as np

if os.environ.get("EXAMPLES_LIBRARY") == "torch":
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
else:
    import cnnlab as torch
    import cnnlab.nn as nn
    import cnnlab.nn.functional as F
    import cnnlab.optim as optim

from cnnlab.data import load_cifar10

classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class CIFAR10(torch.utils.data.Dataset):
    """CIFAR-10 images as ``(3, 32, 32)`` float tensors in [-1, 1], with ``int`` labels."""

    def __init__(self, root, train, size=None):
        images, labels = load_cifar10(root, train=train)
        if size is not None:
            images, labels = images[:size], labels[:size]
        self.images = ((images.astype(np.float32) / 255 - 0.5) / 0.5).astype(np.float32)
        self.labels = labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return torch.from_numpy(self.images[index]), int(self.labels[index])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def main(argv=None):
    parser = argparse.ArgumentParser(description="PyTorch's CIFAR-10 tutorial")
    parser.add_argument("--data-dir", default="./data", help="where CIFAR-10 python batches are")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--print-every", type=int, default=2000, help="mini-batches per line")
    parser.add_argument("--train-size", type=int, default=None, help="first N images only")
    parser.add_argument("--test-size", type=int, default=None, help="first N images only")
    parser.add_argument("--path", default="./cifar_net.pth", help="where the weights are saved")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--no-save", action="store_true", help="skip saving and reloading")
    args = parser.parse_args(argv)
    batch_size = args.batch_size
    torch.manual_seed(args.seed)

    trainset = CIFAR10(root=args.data_dir, train=True, size=args.train_size)
    trainloader = torch.utils.data.DataLoader(
        trainset, batch_size=batch_size, shuffle=True, num_workers=args.num_workers
    )
    testset = CIFAR10(root=args.data_dir, train=False, size=args.test_size)
    testloader = torch.utils.data.DataLoader(
        testset, batch_size=batch_size, shuffle=False, num_workers=args.num_workers
    )

    # get some random training images
    dataiter = iter(trainloader)
    images, labels = next(dataiter)
    print(" ".join(f"{classes[labels[j]]:5s}" for j in range(batch_size)))

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)

    losses = []
    for epoch in range(args.epochs):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
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
            if i % args.print_every == args.print_every - 1:
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / args.print_every:.3f}")
                losses.append(running_loss / args.print_every)
                running_loss = 0.0

    print("Finished Training")

    PATH = args.path
    if not args.no_save:
        torch.save(net.state_dict(), PATH)

    dataiter = iter(testloader)
    images, labels = next(dataiter)
    print("GroundTruth: ", " ".join(f"{classes[labels[j]]:5s}" for j in range(batch_size)))

    if not args.no_save:
        net = Net()
        net.load_state_dict(torch.load(PATH, weights_only=True))
    outputs = net(images)
    _, predicted = torch.max(outputs, 1)
    print("Predicted: ", " ".join(f"{classes[predicted[j]]:5s}" for j in range(batch_size)))

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()

    print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")

    # prepare to count predictions for each class
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}

    # again no gradients needed
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predictions = torch.max(outputs, 1)
            # collect the correct predictions for each class
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1

    # print accuracy for each class
    for classname, correct_count in correct_pred.items():
        if total_pred[classname]:
            accuracy = 100 * float(correct_count) / total_pred[classname]
            print(f"Accuracy for class: {classname:5s} is {accuracy:.1f} %")

    return {
        "losses": losses,
        "correct": correct,
        "total": total,
        "correct_pred": correct_pred,
        "total_pred": total_pred,
        "net": net,
    }


if __name__ == "__main__":
    main()
