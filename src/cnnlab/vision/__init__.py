"""The torchvision half of PyTorch programs: ``from cnnlab.vision import datasets, transforms``.

``datasets`` has torchvision's ``MNIST``, ``FashionMNIST`` and ``CIFAR10`` (same constructor,
PIL images, ``transform``/``target_transform``) on cnnlab's readers; ``transforms`` has
``Compose``, ``ToTensor``, ``Normalize``, ``Resize``, ``CenterCrop``, ``Pad``, ``RandomCrop``,
``RandomHorizontalFlip``, ``RandomAffine``, ``Grayscale`` and ``Lambda`` (and
``transforms.functional``). With them the data-loading lines of a PyTorch program run on the
NumPy engine with only their imports changed:

Example:
    >>> import cnnlab as torch  # doctest: +SKIP
    >>> from cnnlab.vision import datasets, transforms  # doctest: +SKIP
    >>> transform = transforms.Compose(
    ...     [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])  # doctest: +SKIP
    >>> train = datasets.MNIST("data", download=True, transform=transform)  # doctest: +SKIP
    >>> loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)  # doctest: +SKIP
"""

from cnnlab.vision import datasets, transforms

__all__ = ["datasets", "transforms"]
