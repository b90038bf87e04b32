"""torchvision's ``transforms`` for the NumPy engine: ``from cnnlab.vision import transforms``.

Each class takes the arguments torchvision's does and computes what it computes (see
``functional`` for each operation) on a PIL image, or, for the ones that are simple on arrays
(crops, flips, padding, grey, normalization), on a cnnlab tensor ``(..., C, H, W)``.

The random transforms draw from cnnlab's global generator, so ``cnnlab.manual_seed(s)`` makes
them repeat; their numbers are not PyTorch's (another generator), but their distribution is
torchvision's: ``RandomCrop`` offsets uniform over every position, ``RandomHorizontalFlip``
with probability ``p``, ``RandomAffine`` angle, translation, scale and shear uniform in their
ranges, the translation rounded to whole pixels.

Example:
    >>> transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])  # doctest: +SKIP
    >>> transform(image).shape  # doctest: +SKIP
    cnnlab.Size([1, 28, 28])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from cnnlab.autograd import random
from cnnlab.vision.transforms import functional as F
from cnnlab.vision.transforms.functional import InterpolationMode


def uniform(low: float, high: float) -> float:
    return float(random.generator().uniform(low, high))


def pair_size(size: int | Sequence[int], name: str) -> tuple[int, int]:
    """``size`` as (height, width): one int for both, or a sequence of one or two ints."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) in (1, 2):
        return (int(size[0]), int(size[-1]))
    raise ValueError(f"{name}: size must be an int or a sequence (h, w), got {size!r}")


class Compose:
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self) -> str:
        lines = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class ToTensor:
    """PIL image or ``(H, W, C)`` ndarray -> tensor ``(C, H, W)``, ``uint8`` scaled to [0, 1]."""

    def __call__(self, pic: Any):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size`` (h, w), or the shorter side to ``size`` keeping the aspect ratio."""

    def __init__(
        self,
        size: int | Sequence[int],
        interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
        max_size: int | None = None,
        antialias: bool | None = True,
    ) -> None:
        self.size, self.interpolation = size, interpolation
        self.max_size, self.antialias = max_size, antialias

    def __call__(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        mode = getattr(self.interpolation, "value", self.interpolation)
        return f"Resize(size={self.size}, interpolation={mode}, max_size={self.max_size})"


class CenterCrop:
    """The ``size`` crop at the centre (padded with zeros if the image is smaller)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = pair_size(size, "CenterCrop")

    def __call__(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class Pad:
    """Pad every border: ``padding`` an int, (left/right, top/bottom) or (l, t, r, b)."""

    def __init__(
        self, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"
    ) -> None:
        F.padding_ltrb(padding)
        if padding_mode not in F.PAD_MODES:
            raise ValueError(
                f"Pad: padding_mode must be one of {F.PAD_MODES}, got {padding_mode!r}"
            )
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """Pad by ``padding`` (if given), pad to ``size`` if ``pad_if_needed``, then crop ``size``
    at a uniformly random position (``0 .. H - h`` rows, ``0 .. W - w`` columns)."""

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: Any = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = pair_size(size, "RandomCrop")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(top, left, h, w)`` of a random crop of ``output_size`` (h, w)."""
        width, height = F.image_size(img)
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(
                f"RandomCrop: crop size {(crop_height, crop_width)} is larger than the input "
                f"image size {(height, width)}"
            )
        if (width, height) == (crop_width, crop_height):
            return 0, 0, height, width
        generator = random.generator()
        top = int(generator.integers(0, height - crop_height + 1))
        left = int(generator.integers(0, width - crop_width + 1))
        return top, left, crop_height, crop_width

    def __call__(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        width, height = F.image_size(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img):
        return F.hflip(img) if random.generator().random() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


def angle_range(value: float | Sequence[float], name: str) -> tuple[float, float]:
    """``value`` as (low, high): a number ``d`` is (-d, d) and must be >= 0."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"RandomAffine: if {name} is a single number, it must be positive")
        return -float(value), float(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return float(value[0]), float(value[1])
    raise ValueError(f"RandomAffine: {name} should be a number or a sequence of 2 numbers")


class RandomAffine:
    """A random affine map about the centre: angle uniform in ``degrees``, translation up to
    ``translate`` (fractions of width and height, rounded to pixels), scale uniform in
    ``scale``, shear uniform in ``shear`` (x only for one number or a pair; x then y for 4)."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
        fill: Any = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = angle_range(degrees, "degrees")
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError("RandomAffine: translation values should be between 0 and 1")
        if scale is not None and not all(s > 0 for s in scale):
            raise ValueError("RandomAffine: scale values should be positive")
        self.shear = None
        if shear is not None:
            is_four = isinstance(shear, Sequence) and len(shear) == 4
            self.shear = tuple(shear) if is_four else angle_range(shear, "shear")
        self.translate, self.scale = translate, scale
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` drawn as torchvision draws them;
        ``img_size`` is (width, height)."""
        angle = uniform(*degrees)
        tx = ty = 0
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            tx, ty = round(uniform(-max_dx, max_dx)), round(uniform(-max_dy, max_dy))
        scale = uniform(*scale_ranges) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (shear_x, shear_y)

    def __call__(self, img):
        params = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, list(F.image_size(img))
        )
        return F.affine(img, *params, self.interpolation, self.fill, self.center)

    def __repr__(self) -> str:
        return (
            f"RandomAffine(degrees={self.degrees}, translate={self.translate}, "
            f"scale={self.scale}, shear={self.shear})"
        )


class Grayscale:
    """Grey with 1 channel, or 3 equal channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class Lambda:
    """Apply a function of the user's."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


__all__ = [
    "CenterCrop",
    "Compose",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "Pad",
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Resize",
    "ToTensor",
]
