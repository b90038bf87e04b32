"""torchvision's ``transforms.functional`` on PIL images and cnnlab tensors.

Each function follows torchvision's (v0.10 to v0.20, where these did not change) on the same
input: PIL images go through the same Pillow calls torchvision makes (``Image.resize``,
``Image.crop``, ``ImageOps.expand``, ``Image.transform`` with the same inverse affine matrix),
so the pixels are the same; tensors are ``(..., C, H, W)`` cnnlab tensors. Where torchvision
computes with PyTorch's own kernels on tensors (resize, affine), the tensor form is not
offered and raises ``NotImplementedError`` naming it: apply those to the PIL image, before
``ToTensor``, as the usual pipelines do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from cnnlab.autograd.tensor import Tensor

GREY_WEIGHTS = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale on tensors


class InterpolationMode(Enum):
    """torchvision's interpolation names; PIL images use the Pillow filter of the same name."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


PIL_FILTERS = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}


def pil_filter(interpolation: InterpolationMode | int) -> int:
    """The Pillow filter of ``interpolation`` (an ``InterpolationMode`` or Pillow's int)."""
    if isinstance(interpolation, InterpolationMode):
        return PIL_FILTERS[interpolation]
    if isinstance(interpolation, int) and interpolation in set(PIL_FILTERS.values()):
        return interpolation
    raise TypeError(f"interpolation must be an InterpolationMode, got {interpolation!r}")


def check_image(img: Any, name: str) -> None:
    """Raise ``TypeError`` unless ``img`` is a PIL image or a cnnlab tensor."""
    if not isinstance(img, Image.Image | Tensor):
        raise TypeError(f"{name}: img should be a PIL Image or a Tensor, got {type(img)}")


def image_size(img: Any) -> tuple[int, int]:
    """``(width, height)`` of a PIL image or of a tensor ``(..., H, W)``, as torchvision's."""
    check_image(img, "image_size")
    if isinstance(img, Image.Image):
        return img.size
    if img.ndim < 2:
        raise ValueError(f"image_size: a tensor image must be (..., H, W), got shape {img.shape}")
    return img.shape[-1], img.shape[-2]


def tensor_like(array: np.ndarray) -> Tensor:
    return Tensor._wrap(np.ascontiguousarray(array))


def to_tensor(pic: Any) -> Tensor:
    """A PIL image or an ndarray ``(H, W[, C])`` as a tensor ``(C, H, W)``: ``uint8`` values
    divided by 255 into float32, other dtypes kept (as torchvision's ``to_tensor``)."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor: pic should be 2/3 dimensional, got {pic.ndim} dimensions")
        array = pic[:, :, np.newaxis] if pic.ndim == 2 else pic
    elif isinstance(pic, Image.Image):
        dtypes = {"I": np.int32, "I;16": np.int16, "F": np.float32}
        array = np.array(pic, dtype=dtypes.get(pic.mode, np.uint8))
        if pic.mode == "1":
            array = array * np.uint8(255)
        array = array.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    else:
        raise TypeError(f"to_tensor: pic should be a PIL Image or ndarray, got {type(pic)}")
    chw = array.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        return tensor_like(chw.astype(np.float32) / np.float32(255))
    return tensor_like(chw)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
    """``(tensor - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"normalize: tensor should be a Tensor, got {type(tensor)}")
    array = tensor.numpy()
    if array.dtype.kind != "f":
        raise TypeError(f"normalize: tensor should be a float tensor, got {array.dtype}")
    if array.ndim < 3:
        raise ValueError(
            f"normalize: expected a tensor image of size (..., C, H, W), got shape {array.shape}"
        )
    mean_array = np.asarray(mean, dtype=array.dtype).reshape(-1, 1, 1)
    std_array = np.asarray(std, dtype=array.dtype).reshape(-1, 1, 1)
    if (std_array == 0).any():
        raise ValueError(f"normalize: std evaluated to zero in {array.dtype}, dividing by zero")
    result = (array - mean_array) / std_array
    if inplace:
        array[...] = result
        return tensor
    return tensor_like(result.astype(array.dtype, copy=False))


def resize(
    img: Any,
    size: int | Sequence[int],
    interpolation: InterpolationMode | int = InterpolationMode.BILINEAR,
    max_size: int | None = None,
    antialias: bool | None = True,
):
    """Resize a PIL image: ``size`` (h, w), or an int for the shorter side keeping the aspect
    ratio (the longer side ``int(size * long / short)``, then capped by ``max_size``)."""
    if isinstance(img, Tensor):
        raise NotImplementedError(
            "resize of a tensor (PyTorch's interpolate) is not in cnnlab.vision; resize the "
            "PIL image before ToTensor"
        )
    check_image(img, "resize")
    width, height = img.size
    new_height, new_width = resized_output_size(height, width, size, max_size)
    if (new_width, new_height) == (width, height):
        return img
    return img.resize((new_width, new_height), pil_filter(interpolation))


def resized_output_size(
    height: int, width: int, size: int | Sequence[int], max_size: int | None
) -> tuple[int, int]:
    """torchvision's ``_compute_resized_output_size``: ``(new_height, new_width)``."""
    if isinstance(size, Sequence) and len(size) == 2:
        if max_size is not None:
            raise ValueError("resize: max_size is only supported when size is one int")
        return int(size[0]), int(size[1])
    if isinstance(size, Sequence) and len(size) == 1:
        size = size[0]
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"resize: size must be an int or a sequence (h, w), got {size!r}")
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = size, int(size * long / short)
    if max_size is not None:
        if max_size <= size:
            raise ValueError(f"resize: max_size = {max_size} must be larger than size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if width <= height else (new_short, new_long)


def crop(img: Any, top: int, left: int, height: int, width: int):
    """The ``height x width`` box at ``(top, left)``; outside the image is zero."""
    check_image(img, "crop")
    if isinstance(img, Image.Image):
        return img.crop((left, top, left + width, top + height))
    array = img.numpy()
    rows, cols = array.shape[-2:]
    out = np.zeros((*array.shape[:-2], height, width), dtype=array.dtype)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + height, rows), min(left + width, cols)
    if r1 > r0 and c1 > c0:
        out[..., r0 - top : r1 - top, c0 - left : c1 - left] = array[..., r0:r1, c0:c1]
    return tensor_like(out)


def center_crop(img: Any, output_size: int | Sequence[int]):
    """The centred crop: top ``int(round((H - h) / 2))``, left likewise; a crop larger than the
    image pads it with zeros first (as torchvision)."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, Sequence) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    width, height = image_size(img)
    crop_height, crop_width = output_size
    if crop_width > width or crop_height > height:
        padding = [
            (crop_width - width) // 2 if crop_width > width else 0,
            (crop_height - height) // 2 if crop_height > height else 0,
            (crop_width - width + 1) // 2 if crop_width > width else 0,
            (crop_height - height + 1) // 2 if crop_height > height else 0,
        ]
        img = pad(img, padding, fill=0)
        width, height = image_size(img)
        if (crop_width, crop_height) == (width, height):
            return img
    top = round((height - crop_height) / 2.0)
    left = round((width - crop_width) / 2.0)
    return crop(img, top, left, crop_height, crop_width)


def padding_ltrb(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """``padding`` as (left, top, right, bottom): one int for all, (left/right, top/bottom),
    or the four."""
    if isinstance(padding, bool) or not isinstance(padding, int | Sequence):
        raise TypeError(f"pad: padding must be an int or a sequence, got {padding!r}")
    values = [padding] if isinstance(padding, int) else list(padding)
    if len(values) not in (1, 2, 4) or not all(isinstance(v, int) for v in values):
        raise ValueError(f"pad: padding must be 1, 2 or 4 ints, got {padding!r}")
    if len(values) == 1:
        values *= 4
    elif len(values) == 2:
        values = [values[0], values[1], values[0], values[1]]
    return values[0], values[1], values[2], values[3]


PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def pad(img: Any, padding: int | Sequence[int], fill: Any = 0, padding_mode: str = "constant"):
    """Pad the borders: ``constant`` with ``fill``, or ``edge``, ``reflect`` (the edge not
    repeated: [1, 2, 3, 4] by 2 gives [3, 2, 1, 2, 3, 4, 3, 2]) or ``symmetric`` (repeated:
    [2, 1, 1, 2, 3, 4, 4, 3])."""
    check_image(img, "pad")
    if padding_mode not in PAD_MODES:
        raise ValueError(f"pad: padding_mode must be one of {PAD_MODES}, got {padding_mode!r}")
    left, top, right, bottom = padding_ltrb(padding)
    if isinstance(img, Image.Image) and padding_mode == "constant":
        return ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
    array = np.asarray(img) if isinstance(img, Image.Image) else img.numpy()
    spatial = ((top, bottom), (left, right))
    if isinstance(img, Image.Image):
        widths = (*spatial, (0, 0)) if array.ndim == 3 else spatial
    else:
        widths = ((0, 0),) * (array.ndim - 2) + spatial
    options = {"constant_values": fill} if padding_mode == "constant" else {}
    padded = np.pad(array, widths, mode=padding_mode, **options)
    return Image.fromarray(padded) if isinstance(img, Image.Image) else tensor_like(padded)


def hflip(img: Any):
    """Mirror left to right."""
    check_image(img, "hflip")
    if isinstance(img, Image.Image):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return tensor_like(img.numpy()[..., ::-1])


def inverse_affine_matrix(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> list[float]:
    """torchvision's ``_get_inverse_affine_matrix``: the 2 x 3 matrix taking an output pixel
    to its input pixel for ``M = T * C * RSS * C^-1`` (translation, centre, rotation by
    ``angle`` degrees clockwise with ``scale`` and the ``shear`` angles (x, y))."""
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def affine(
    img: Any,
    angle: float,
    translate: Sequence[int],
    scale: float,
    shear: float | Sequence[float],
    interpolation: InterpolationMode | int = InterpolationMode.NEAREST,
    fill: Any = 0,
    center: Sequence[float] | None = None,
):
    """Rotate (degrees, clockwise), translate (pixels), scale and shear a PIL image about its
    centre ``(W / 2, H / 2)`` (or ``center``), as torchvision's ``affine``."""
    if isinstance(img, Tensor):
        raise NotImplementedError(
            "affine of a tensor (PyTorch's grid_sample) is not in cnnlab.vision; apply it to "
            "the PIL image before ToTensor"
        )
    check_image(img, "affine")
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear) * 2 if len(shear) == 1 else list(shear)
    width, height = img.size
    pivot = [width * 0.5, height * 0.5] if center is None else list(center)
    matrix = inverse_affine_matrix(pivot, float(angle), list(translate), scale, shear)
    fill_value = fill
    if isinstance(fill, Sequence) and len(img.getbands()) == 1:
        fill_value = fill[0]
    elif isinstance(fill, Sequence):
        fill_value = tuple(fill)
    return img.transform(
        img.size, Image.Transform.AFFINE, matrix, pil_filter(interpolation), fillcolor=fill_value
    )


def to_grayscale(img: Any, num_output_channels: int = 1):
    """Grey: a PIL image by ``convert("L")`` (ITU-R 601-2 luma), copied into R, G and B when
    ``num_output_channels`` is 3; an RGB tensor ``(..., 3, H, W)`` by
    ``0.2989 R + 0.587 G + 0.114 B`` (torchvision's weights for tensors)."""
    if num_output_channels not in (1, 3):
        raise ValueError(
            f"Grayscale: num_output_channels should be either 1 or 3, got {num_output_channels}"
        )
    check_image(img, "to_grayscale")
    if isinstance(img, Image.Image):
        grey = img.convert("L")
        return grey if num_output_channels == 1 else Image.merge("RGB", (grey, grey, grey))
    array = img.numpy()
    if array.ndim < 3 or array.shape[-3] != 3:
        raise ValueError(f"to_grayscale: a tensor must be (..., 3, H, W), got shape {array.shape}")
    if array.dtype.kind != "f":
        raise NotImplementedError(
            f"to_grayscale of a {array.dtype} tensor is not in cnnlab.vision; convert the PIL "
            "image, or a float tensor (after ToTensor)"
        )
    r, g, b = (array[..., c : c + 1, :, :] for c in range(3))
    grey = GREY_WEIGHTS[0] * r + GREY_WEIGHTS[1] * g + GREY_WEIGHTS[2] * b
    return tensor_like(np.repeat(grey.astype(array.dtype), num_output_channels, axis=-3))
