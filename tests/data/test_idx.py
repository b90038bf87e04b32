"""IDX files (MNIST, Fashion-MNIST): round trips, layouts, and every way a file can be wrong."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnlab.data import DataFormatError, DatasetNotFoundError, load_mnist, read_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@settings(max_examples=60, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0))
    ),
    gz=st.booleans(),
)
def test_read_idx_round_trips_any_shape_and_type(
    array: np.ndarray, gz: bool, fmt: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = fmt.write_idx(tmp_path_factory.mktemp("idx") / "array.idx", array, gz=gz)
    result = read_idx(path)
    assert result.shape == array.shape
    assert result.dtype == array.dtype
    assert result.dtype.isnative
    assert result.tobytes() == array.tobytes()


def test_read_idx_returns_a_writable_array(fmt: SimpleNamespace, tmp_path: Path) -> None:
    result = read_idx(fmt.write_idx(tmp_path / "a", np.arange(6, dtype=np.uint8)))
    result[0] = 9
    assert result[0] == 9


def test_read_idx_reads_big_endian_values(tmp_path: Path) -> None:
    path = tmp_path / "ints"
    path.write_bytes(bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + struct.pack(">ii", 1, -2))
    np.testing.assert_array_equal(read_idx(path), np.array([1, -2], dtype=np.int32))


def test_read_idx_detects_gzip_by_content_not_suffix(fmt: SimpleNamespace, tmp_path: Path) -> None:
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    gz_without_suffix = fmt.write_bytes(tmp_path / "plain-name", fmt.idx_bytes(array), gz=True)
    raw_with_suffix = fmt.write_bytes(tmp_path / "named.gz", fmt.idx_bytes(array))
    np.testing.assert_array_equal(read_idx(gz_without_suffix), array)
    np.testing.assert_array_equal(read_idx(raw_with_suffix), array)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_names_file_and_sizes(
    gz: bool, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    data = fmt.idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    path = fmt.write_bytes(tmp_path / "images", data[:-100], gz=gz)
    with pytest.raises(DataFormatError, match="truncated") as error:
        read_idx(path)
    message = str(error.value)
    assert str(path) in message
    assert str(len(data)) in message
    assert str(len(data) - 100) in message


def test_trailing_bytes_are_an_error(fmt: SimpleNamespace, tmp_path: Path) -> None:
    data = fmt.idx_bytes(np.zeros(5, dtype=np.uint8))
    path = fmt.write_bytes(tmp_path / "labels", data + b"junk")
    with pytest.raises(DataFormatError, match="4 unexpected bytes") as error:
        read_idx(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "shorter than the 4-byte magic"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x00", "magic number starts with 0100"),
        (b"PK\x03\x04rest", "magic number starts with"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x00", "unsupported IDX element type 0x0A"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x00", "unsupported IDX element type 0x07"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x01", "truncated IDX header"),
    ],
)
def test_bad_header_names_file_and_problem(content: bytes, problem: str, tmp_path: Path) -> None:
    path = tmp_path / "bad-idx"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match=problem) as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_corrupt_gzip_is_a_data_format_error(fmt: SimpleNamespace, tmp_path: Path) -> None:
    compressed = gzip.compress(fmt.idx_bytes(np.zeros((4, 4), dtype=np.uint8)))
    path = tmp_path / "cut.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(DataFormatError, match="gzip") as error:
        read_idx(path)
    assert str(path) in str(error.value)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent")


@pytest.mark.parametrize("subdir", ["", "mnist", "mnist/raw", "MNIST/raw"])
@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_load_mnist_finds_every_layout(
    subdir: str, gz: bool, train: bool, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    images, labels = fmt.write_mnist_split(tmp_path / subdir, train=train, count=7, gz=gz)
    loaded_images, loaded_labels = load_mnist(tmp_path, train=train)
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)
    assert loaded_images.dtype == np.uint8
    assert loaded_labels.dtype == np.int64


@pytest.mark.parametrize("subdir", ["fashion-mnist", "fashion-mnist/raw", "FashionMNIST/raw"])
def test_load_fashion_mnist_layouts(subdir: str, fmt: SimpleNamespace, tmp_path: Path) -> None:
    images, labels = fmt.write_mnist_split(tmp_path / subdir, train=False, count=3)
    loaded_images, loaded_labels = load_mnist(tmp_path, train=False, kind="fashion-mnist")
    np.testing.assert_array_equal(loaded_images, images)
    np.testing.assert_array_equal(loaded_labels, labels)


def test_test_split_needs_only_the_t10k_files(fmt: SimpleNamespace, tmp_path: Path) -> None:
    fmt.write_mnist_split(tmp_path, train=False, count=4)
    assert load_mnist(tmp_path, train=False)[0].shape == (4, 28, 28)
    with pytest.raises(DatasetNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path, train=True)


def test_missing_files_message_lists_directories_and_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as error:
        load_mnist(tmp_path, train=True)
    message = str(error.value)
    for expected in (
        str(tmp_path / "mnist" / "raw"),
        str(tmp_path / "MNIST" / "raw"),
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "--download",
        "cnnlab.data.download",
    ):
        assert expected in message


def test_label_count_disagreeing_names_both_files(fmt: SimpleNamespace, tmp_path: Path) -> None:
    fmt.write_mnist_split(tmp_path, train=False, count=5)
    labels_path = fmt.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    with pytest.raises(DataFormatError, match="4 labels") as error:
        load_mnist(tmp_path, train=False)
    assert str(labels_path) in str(error.value)
    assert str(tmp_path / "t10k-images-idx3-ubyte") in str(error.value)


def test_label_out_of_range_is_an_error(fmt: SimpleNamespace, tmp_path: Path) -> None:
    fmt.write_mnist_split(tmp_path, train=False, count=3)
    fmt.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 10, 2], dtype=np.uint8))
    with pytest.raises(DataFormatError, match=r"label 10 .*0\.\.9"):
        load_mnist(tmp_path, train=False)


@pytest.mark.parametrize(
    ("name", "array"),
    [
        ("t10k-images-idx3-ubyte", np.zeros((2, 5, 5), dtype=np.uint8)),
        ("t10k-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.float32)),
        ("t10k-labels-idx1-ubyte", np.zeros((2, 1), dtype=np.uint8)),
    ],
)
def test_wrong_array_shape_or_type_is_an_error(
    name: str, array: np.ndarray, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    fmt.write_mnist_split(tmp_path, train=False, count=2)
    path = fmt.write_idx(tmp_path / name, array)
    with pytest.raises(DataFormatError, match="expected MNIST") as error:
        load_mnist(tmp_path, train=False)
    assert str(path) in str(error.value)


def test_unknown_kind_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        load_mnist(tmp_path, train=True, kind="emnist")


@pytest.mark.parametrize(
    "sizes", [(2**31, 2**32 - 1, 2**31, 0, 0), (3, 4, 2**32 - 1, 2**32 - 1, 2**31, 0)]
)
def test_an_empty_shape_too_large_for_any_array_is_refused(tmp_path, sizes):
    path = tmp_path / "empty-but-huge"
    path.write_bytes(bytes([0, 0, 0x08, len(sizes)]) + struct.pack(f">{len(sizes)}I", *sizes))
    with pytest.raises(DataFormatError, match=r"empty-but-huge: header declares shape .* larger"):
        read_idx(path)
