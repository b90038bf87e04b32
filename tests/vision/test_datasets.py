"""torchvision's datasets on cnnlab's readers: the constructor, the items, the transforms, and
``DataLoader`` over them and over ``cnnlab.data.load``."""

from __future__ import annotations

import contextlib
import io
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import cnnlab
from cnnlab.data import DatasetNotFoundError, load
from cnnlab.utils.data import DataLoader
from cnnlab.vision import datasets, transforms


def test_mnist_items_are_grey_pil_images_and_int_labels(vision_root):
    images, labels = vision_root.mnist[True]
    mnist = datasets.MNIST(vision_root.root, train=True)
    assert len(mnist) == 30 and mnist.train
    image, target = mnist[3]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    np.testing.assert_array_equal(np.asarray(image), images[3])
    assert type(target) is int and target == labels[3]
    assert mnist.classes[0] == "0 - zero" and mnist.class_to_idx["9 - nine"] == 9
    np.testing.assert_array_equal(mnist.data.numpy(), images)
    assert mnist.targets.dtype == cnnlab.int64 and mnist.targets.tolist() == labels.tolist()
    test = datasets.MNIST(str(vision_root.root), train=False)
    assert len(test) == 12 and not test.train
    np.testing.assert_array_equal(np.asarray(test[-1][0]), vision_root.mnist[False][0][-1])


def test_transforms_apply_to_the_image_and_the_label(vision_root):
    images, labels = vision_root.mnist[True]
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.25,))])
    mnist = datasets.MNIST(vision_root.root, transform=transform, target_transform=lambda y: y * 10)
    image, target = mnist[0]
    assert isinstance(image, cnnlab.Tensor) and image.shape == (1, 28, 28)
    expected = (images[0].astype(np.float32) / 255 - 0.5) / 0.25
    np.testing.assert_allclose(image.numpy()[0], expected, rtol=1e-6)
    assert target == labels[0] * 10
    text = repr(mnist)
    assert text.startswith("Dataset MNIST\n    Number of datapoints: 30\n")
    assert "Split: Train" in text and "ToTensor()" in text


def test_a_dataloader_batches_a_transformed_dataset(vision_root):
    images, labels = vision_root.mnist[True]
    to_tensor = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
    )
    loader = DataLoader(datasets.MNIST(vision_root.root, transform=to_tensor), batch_size=8)
    batches = list(loader)
    assert [len(y) for _, y in batches] == [8, 8, 8, 6]
    x, y = batches[0]
    assert x.shape == (8, 1, 28, 28) and x.dtype == cnnlab.float32 and y.dtype == cnnlab.int64
    expected = (images[:8, None].astype(np.float32) / 255 - np.float32(0.1307)) / np.float32(0.3081)
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-6)
    assert y.tolist() == labels[:8].tolist()


def test_fashion_mnist_and_cnnlab_s_own_layout(vision_root, tmp_path):
    fashion = datasets.FashionMNIST(vision_root.root, train=False)
    assert len(fashion) == 8 and fashion.classes[-1] == "Ankle boot"
    np.testing.assert_array_equal(np.asarray(fashion[0][0]), vision_root.fashion[0][0])
    shutil.copytree(vision_root.root / "MNIST" / "raw", tmp_path / "mnist")
    assert len(datasets.MNIST(tmp_path, train=False)) == 12


def test_cifar10_items_are_rgb_pil_images(vision_root):
    images, labels = vision_root.cifar.train
    cifar = datasets.CIFAR10(vision_root.root, train=True)
    assert len(cifar) == 20 and cifar.classes[:3] == ["airplane", "automobile", "bird"]
    assert cifar.data.shape == (20, 32, 32, 3) and cifar.targets == labels.tolist()
    image, target = cifar[5]
    assert image.mode == "RGB" and image.size == (32, 32) and target == labels[5]
    np.testing.assert_array_equal(np.asarray(image), images[5].transpose(1, 2, 0))
    assert cifar.class_to_idx["truck"] == 9


def test_the_chapter_s_dataset_listing_runs_with_its_imports_changed(vision_root):
    listing = f"""
import cnnlab as torch
import cnnlab.vision.transforms as transforms
from cnnlab.vision import datasets

data_path = {str(vision_root.root)!r}
transform=transforms.Compose([
    transforms.ToTensor(),
    transforms.Normalize((0.5, 0.5, 0.5), (0.5,0.5,0.5))
])
cifar10 = datasets.CIFAR10(data_path, train=True, download=False, transform=transform)
cifar10_test = datasets.CIFAR10(data_path, train=False, download=False, transform=transform)

label_map = {{0: 0, 2: 1}}
class_names = ['airplane', 'bird']
cifar2 = [(img, label_map[label]) for img, label in cifar10 if label in [0, 2]]
cifar2_test = [(img, label_map[label]) for img, label in cifar10_test if label in [0, 2]]

img, label=cifar2[1]
print(img.shape, label)
"""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace: dict = {}
        exec(listing, namespace)
    labels = vision_root.cifar.train[1]
    kept = [index for index, label in enumerate(labels) if label in (0, 2)]
    assert len(namespace["cifar2"]) == len(kept) >= 2
    label = {0: 0, 2: 1}[int(labels[kept[1]])]
    assert printed.getvalue() == f"cnnlab.Size([3, 32, 32]) {label}\n"
    img = namespace["img"].numpy()
    expected = vision_root.cifar.train[0][kept[1]].astype(np.float32) / 255 * 2 - 1
    np.testing.assert_allclose(img, expected, atol=1e-6)


def test_missing_files_say_where_they_were_looked_for(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="mnist: dataset files not found") as error:
        datasets.MNIST(tmp_path)
    assert str(tmp_path / "MNIST" / "raw") in str(error.value)
    with pytest.raises(DatasetNotFoundError, match="cifar10"):
        datasets.CIFAR10(tmp_path, train=False)


def test_download_fetches_into_root(vision_root, monkeypatch, tmp_path):
    calls = []

    def fetch(name, root):
        calls.append((name, root))
        shutil.copytree(vision_root.root / "MNIST", tmp_path / "MNIST")

    monkeypatch.setattr(datasets, "download", fetch)
    assert len(datasets.MNIST(tmp_path, train=False, download=True)) == 12
    assert calls == [("mnist", str(tmp_path))]


def test_a_loaded_split_goes_straight_into_a_dataloader(vision_root):
    split = load("mnist", train=True, root=vision_root.root)
    image, label = split[2]
    assert image.dtype == np.float32 and image.shape == (1, 28, 28)
    np.testing.assert_array_equal(image, split.images[2] / np.float32(255))
    assert label == split.labels[2]
    cnnlab.manual_seed(0)
    batches = list(DataLoader(split, batch_size=16, shuffle=True))
    assert [x.shape for x, _ in batches] == [(16, 1, 28, 28), (14, 1, 28, 28)]
    seen = np.concatenate([y.numpy() for _, y in batches])
    assert sorted(seen.tolist()) == sorted(split.labels.tolist())
    x, y = batches[0]
    assert x.dtype == cnnlab.float32 and y.dtype == cnnlab.int64
    slow = next(iter(DataLoader(split, batch_size=4, collate_fn=list)))
    assert len(slow) == 4 and slow[0][1] == split.labels[0]
    theirs = next(iter(torch.utils.data.DataLoader(split, batch_size=5)))
    assert theirs[0].shape == (5, 1, 28, 28) and theirs[1].dtype == torch.int64
    np.testing.assert_array_equal(theirs[0].numpy(), split.images[:5] / np.float32(255))
    with pytest.raises(IndexError, match="index 30 out of range for 30"):
        split[30]
