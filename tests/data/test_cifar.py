"""CIFAR-10 batches: directory and archive, the pickle allowlist, bad contents, CIFAR-2."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab.data import (
    CIFAR10_CLASSES,
    DataFormatError,
    DatasetNotFoundError,
    cifar10_classes,
    load_cifar10,
    select_classes,
)


class RunsShellCommand:
    """Pickles as a call to ``os.system``: what a malicious batch file would contain."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple:
        return (os.system, (self.command,))


@pytest.fixture
def cifar(fmt: SimpleNamespace) -> SimpleNamespace:
    return fmt.cifar_contents()


def layouts(fmt: SimpleNamespace, files: dict[str, bytes], root: Path, layout: str) -> Path:
    """Write ``files`` under ``root`` in one of the three layouts; return the root to load from."""
    if layout == "directory":
        fmt.write_cifar_dir(root / "cifar-10-batches-py", files)
    elif layout == "root":
        fmt.write_cifar_dir(root, files)
    else:
        fmt.write_cifar_tar(root / "cifar-10-python.tar.gz", files)
    return root


@pytest.mark.parametrize("layout", ["directory", "root", "archive"])
@pytest.mark.parametrize("train", [True, False])
def test_load_cifar10_round_trips(
    layout: str, train: bool, cifar: SimpleNamespace, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    root = layouts(fmt, cifar.files, tmp_path, layout)
    images, labels = load_cifar10(root, train=train)
    expected_images, expected_labels = cifar.train if train else cifar.test
    assert images.shape == (30 if train else 6, 3, 32, 32)
    assert images.dtype == np.uint8
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_channels_are_the_red_green_blue_planes(fmt: SimpleNamespace, tmp_path: Path) -> None:
    batch = fmt.cifar_batch(1, seed=0)
    batch[b"data"] = np.repeat(np.array([[10, 20, 30]], dtype=np.uint8), 1024, axis=1)
    fmt.write_cifar_dir(tmp_path, {"test_batch": fmt.python2_pickle(batch)})
    images, _ = load_cifar10(tmp_path, train=False)
    assert [int(images[0, c, 31, 31]) for c in range(3)] == [10, 20, 30]


def test_numpy_2_module_name_and_python3_pickles_load(fmt: SimpleNamespace, tmp_path: Path) -> None:
    batch = fmt.cifar_batch(2, seed=1)
    (tmp_path / "test_batch").write_bytes(fmt.python2_pickle(batch, "numpy._core.multiarray"))
    np.testing.assert_array_equal(
        load_cifar10(tmp_path, train=False)[0].reshape(2, -1), batch[b"data"]
    )
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=4))
    np.testing.assert_array_equal(
        load_cifar10(tmp_path, train=False)[0].reshape(2, -1), batch[b"data"]
    )


@pytest.mark.parametrize("layout", ["directory", "archive"])
@pytest.mark.parametrize("python2_style", [True, False])
def test_pickle_that_runs_a_command_is_refused(
    layout: str, python2_style: bool, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    batch = fmt.cifar_batch(2, seed=0)
    batch[b"data"] = RunsShellCommand(f"echo pwned > {marker}")
    evil = fmt.python2_pickle(batch) if python2_style else pickle.dumps(batch, protocol=4)
    root = layouts(fmt, {"test_batch": evil}, tmp_path / "data", layout)
    with pytest.raises(DataFormatError, match="refused to load") as error:
        load_cifar10(root, train=False)
    message = str(error.value)
    assert "test_batch" in message
    assert f"{os.system.__module__}.system" in message
    assert "never contains" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(eval, protocol=2),
        pickle.dumps(pickle.loads, protocol=2),
        b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.",
        b"\x80\x02c_codecs\ndecode\nX\x01\x00\x00\x00xX\x06\x00\x00\x00latin1\x86R.",
        b"\x80\x02c__builtin__\nbytes\nK\xff\x85R.",  # bytes(255), not b""
    ],
)
def test_any_other_global_is_refused(payload: bytes, tmp_path: Path) -> None:
    (tmp_path / "test_batch").write_bytes(payload)
    with pytest.raises(DataFormatError, match="refused to load"):
        load_cifar10(tmp_path, train=False)


def test_batches_repickled_by_python3_at_protocol_2_load(
    fmt: SimpleNamespace, tmp_path: Path
) -> None:
    batch = fmt.cifar_batch(3, seed=2)
    batch[b"batch_label"] = b""
    content = pickle.dumps(batch, protocol=2)
    assert b"_codecs\nencode" in content and b"bytes" in content  # bytes as Python 3 writes them
    (tmp_path / "test_batch").write_bytes(content)
    images, labels = load_cifar10(tmp_path, train=False)
    np.testing.assert_array_equal(images.reshape(3, -1), batch[b"data"])
    np.testing.assert_array_equal(labels, batch[b"labels"])


def corrupt(fmt: SimpleNamespace, key: bytes, value: object) -> dict:
    batch = fmt.cifar_batch(3, seed=0)
    if value is None:
        del batch[key]
    else:
        batch[key] = value
    return batch


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ((b"labels", None), "key b'labels' missing"),
        ((b"data", None), "key b'data' missing"),
        ((b"data", np.zeros((3, 3072), dtype=np.float32)), "2-D uint8 array"),
        ((b"data", np.zeros(3072, dtype=np.uint8)), "2-D uint8 array"),
        ((b"data", [1, 2, 3]), "2-D uint8 array, got list"),
        ((b"data", np.zeros((3, 100), dtype=np.uint8)), "3072 columns"),
        ((b"labels", [0, 1]), "2 labels for 3 images"),
        ((b"labels", [0, 1, 10]), "label 10 at index 2 is out of range"),
        ((b"labels", [0, -1, 2]), "label -1 at index 1 is out of range"),
        ((b"labels", [0, 1.5, 2]), "list of ints"),
        ((b"labels", b"abc"), "list of ints"),
    ],
)
def test_bad_batch_contents_name_file_and_problem(
    change: tuple[bytes, object], problem: str, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    batch = corrupt(fmt, *change)
    (tmp_path / "test_batch").write_bytes(fmt.python2_pickle(batch))
    with pytest.raises(DataFormatError, match=problem) as error:
        load_cifar10(tmp_path, train=False)
    assert str(tmp_path / "test_batch") in str(error.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not a pickle at all", "not a readable CIFAR-10 pickle"),
        (b"", "not a readable CIFAR-10 pickle"),
        (None, "not a readable CIFAR-10 pickle"),  # truncated real batch
        (pickle.dumps([1, 2, 3], protocol=2), "expected a dict, got list"),
    ],
)
def test_unreadable_batch_is_a_data_format_error(
    content: bytes | None, problem: str, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    if content is None:
        content = fmt.python2_pickle(fmt.cifar_batch(3, seed=0))[:-500]
    (tmp_path / "test_batch").write_bytes(content)
    with pytest.raises(DataFormatError, match=problem) as error:
        load_cifar10(tmp_path, train=False)
    assert str(tmp_path / "test_batch") in str(error.value)


RECONSTRUCT = np.zeros(1).__reduce__()[0]  # numpy's _reconstruct, under this numpy's module name
UINT8_STATE = np.dtype(np.uint8).__reduce__()[2]


class DtypeWithState:
    """Pickles as ``numpy.dtype(kind)`` followed by a BUILD with ``state``, whatever it is."""

    def __init__(self, kind: str, state: object) -> None:
        self.kind, self.state = kind, state

    def __reduce__(self) -> tuple:
        return (np.dtype, (self.kind, False, True), self.state)


class ArrayWithState:
    """Pickles as numpy's ``_reconstruct(ndarray, ...)`` followed by a BUILD with ``state``."""

    def __init__(self, state: object) -> None:
        self.state = state

    def __reduce__(self) -> tuple:
        return (RECONSTRUCT, (np.ndarray, (0,), b"b"), self.state)


def batch_with_data(data: object) -> bytes:
    batch = {b"labels": [1], b"data": data, b"batch_label": b"x", b"filenames": [b"a.png"]}
    return pickle.dumps(batch, protocol=2)


def uint8_array(dtype: object, shape: object = (1, 3072), size: int = 3072) -> ArrayWithState:
    return ArrayWithState((1, shape, dtype, False, bytes(size)))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        # A dtype state with items missing made NumPy's own __setstate__ crash the process.
        (uint8_array(DtypeWithState("u1", (3, "|", None, -1, -1, 0))), "dtype state must be"),
        (uint8_array(DtypeWithState("u1", (3, "|", None, None, "x", -1, -1, 0))), "dtype state"),
        (uint8_array(DtypeWithState("u1", ())), "dtype state must be"),
        (uint8_array(DtypeWithState("u1", (3, "<", None, None, None, -1, -1, 0))), "'<u1'"),
        (uint8_array(DtypeWithState("O", UINT8_STATE)), "numpy.dtype"),
        (uint8_array(DtypeWithState("U8", UINT8_STATE)), "numpy.dtype"),
        (uint8_array(np.dtype(np.uint8), size=3071), "needs 3072 bytes, the pickle has 3071"),
        (uint8_array(np.dtype(np.uint8), shape=(-1, 3072)), "shape must be a tuple"),
        (uint8_array(np.dtype(np.uint8), shape=(1, 2**62, 2**62)), "shape must be a tuple"),
        (uint8_array(np.dtype(np.uint8), shape=[1, 3072]), "shape must be a tuple"),
        (uint8_array("u1"), "not a dtype"),
        (ArrayWithState((1, (1, 3072), np.dtype(np.uint8), False, [0] * 3072)), "must be bytes"),
        (ArrayWithState((1, (1, 3072))), "array state must be"),
        (ArrayWithState(None), "an array without its contents"),
    ],
)
def test_numpy_states_are_checked_before_any_array_is_made(
    data: object, problem: str, tmp_path: Path
) -> None:
    (tmp_path / "test_batch").write_bytes(batch_with_data(data))
    with pytest.raises(DataFormatError, match=problem) as error:
        load_cifar10(tmp_path, train=False)
    assert str(tmp_path / "test_batch") in str(error.value)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("order", ["C", "F"])
def test_arrays_of_every_protocol_and_order_load(
    protocol: int, order: str, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    batch = fmt.cifar_batch(3, seed=protocol)
    batch[b"data"] = np.asarray(batch[b"data"], order=order)
    batch[b"labels"] = np.array(batch[b"labels"], dtype=">i8")
    batch = {b"same_data": batch[b"data"], **batch}  # b"data" is then a reference to it
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
    images, labels = load_cifar10(tmp_path, train=False)
    np.testing.assert_array_equal(images.reshape(3, -1), batch[b"data"])
    np.testing.assert_array_equal(labels, batch[b"labels"])
    assert images.flags.writeable


def test_corrupt_archive_is_a_data_format_error(tmp_path: Path) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00 definitely not a tar")
    with pytest.raises(DataFormatError, match=r"not a readable \.tar\.gz") as error:
        load_cifar10(tmp_path, train=False)
    assert str(archive) in str(error.value)


def test_missing_dataset_says_what_to_place_where(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as error:
        load_cifar10(tmp_path, train=True)
    message = str(error.value)
    for expected in ("cifar-10-python.tar.gz", "cifar-10-batches-py", str(tmp_path), "--download"):
        assert expected in message


def test_missing_split_batches_are_named(
    cifar: SimpleNamespace, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    fmt.write_cifar_dir(tmp_path, {"test_batch": cifar.files["test_batch"]})
    with pytest.raises(DatasetNotFoundError, match="data_batch_1"):
        load_cifar10(tmp_path, train=True)


@pytest.mark.parametrize("layout", ["directory", "archive"])
def test_class_names_come_from_batches_meta(
    layout: str, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    names = [f"class{i}".encode() for i in range(10)]
    files = fmt.cifar_contents(meta={**fmt.CIFAR_META, b"label_names": names}).files
    root = layouts(fmt, files, tmp_path, layout)
    assert cifar10_classes(root) == tuple(f"class{i}" for i in range(10))


def test_class_names_default_to_the_standard_ten(fmt: SimpleNamespace, tmp_path: Path) -> None:
    assert cifar10_classes(tmp_path) == CIFAR10_CLASSES
    fmt.write_cifar_dir(tmp_path, fmt.cifar_contents(meta=None).files)
    assert cifar10_classes(tmp_path) == CIFAR10_CLASSES
    assert CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[2] == "bird"
    assert len(CIFAR10_CLASSES) == 10


def test_malformed_batches_meta_is_an_error(fmt: SimpleNamespace, tmp_path: Path) -> None:
    files = fmt.cifar_contents(meta={b"label_names": [b"only one"]}).files
    fmt.write_cifar_dir(tmp_path, files)
    with pytest.raises(DataFormatError, match=r"batches\.meta"):
        cifar10_classes(tmp_path)


def test_select_classes_keeps_and_relabels_in_order_given() -> None:
    labels = np.array([0, 1, 2, 3, 2, 0, 9])
    images = np.arange(7) * 10
    kept_images, kept_labels = select_classes(images, labels)
    np.testing.assert_array_equal(kept_images, [0, 20, 40, 50])
    np.testing.assert_array_equal(kept_labels, [0, 1, 1, 0])
    assert kept_labels.dtype == np.int64
    kept_images, kept_labels = select_classes(images, labels, classes=(9, 2, 0))
    np.testing.assert_array_equal(kept_images, [0, 20, 40, 50, 60])
    np.testing.assert_array_equal(kept_labels, [2, 1, 1, 2, 0])


@pytest.mark.parametrize(
    ("classes", "error", "problem"),
    [
        ((0,), ValueError, "at least 2"),
        ((2, 2), ValueError, "distinct"),
        ((0, 10), ValueError, r"0\.\.9"),
        ((-1, 3), ValueError, r"0\.\.9"),
        ((0, 1.0), TypeError, "ints"),
        ("02", TypeError, "sequence of ints"),
        (2, TypeError, "sequence of ints"),
    ],
)
def test_select_classes_validates_classes(classes: object, error: type, problem: str) -> None:
    with pytest.raises(error, match=problem):
        select_classes(np.zeros(3), np.array([0, 1, 2]), classes)  # type: ignore[arg-type]


def test_select_classes_checks_labels_match_images() -> None:
    with pytest.raises(ValueError, match="labels must have shape"):
        select_classes(np.zeros((3, 2)), np.array([0, 1]))
