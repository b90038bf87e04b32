"""``.pt`` files both ways with real PyTorch: ``torch.save`` -> ``cnnlab.load`` and
``cnnlab.save`` -> ``torch.load(weights_only=True)``, for state dicts, tensors and containers."""

from __future__ import annotations

import importlib
import io
import struct
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.serialization import CorruptFileError, UnsafePickleError
from pt_files import assert_same, lenet, save_with_torch

save_module = importlib.import_module("cnnlab.serialization.save")


def test_lenet_state_dict_saved_by_torch_loads_into_cnnlab(tmp_path: Path) -> None:
    torch.manual_seed(0)
    reference = lenet(torch.nn)
    reference.train()(torch.randn(4, 1, 28, 28))  # running statistics move
    torch.save(reference.state_dict(), tmp_path / "lenet.pt")
    model = lenet(cnnlab.nn)
    state = cnnlab.load(tmp_path / "lenet.pt")
    assert_same(state, reference.state_dict())
    assert not model.load_state_dict(state).missing_keys
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    expected = reference.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.eval()(cnnlab.tensor(x)).detach().numpy(), expected, atol=1e-5)


def test_lenet_state_dict_saved_by_cnnlab_loads_into_torch(tmp_path: Path) -> None:
    cnnlab.manual_seed(0)
    model = lenet(cnnlab.nn)
    model.train()(cnnlab.randn(4, 1, 28, 28))
    cnnlab.save(model.state_dict(), str(tmp_path / "lenet.pt"))
    state = torch.load(tmp_path / "lenet.pt", weights_only=True)
    assert isinstance(state, OrderedDict)
    assert_same(model.state_dict(), state)
    reference = lenet(torch.nn)
    reference.load_state_dict(state)
    x = np.random.default_rng(1).standard_normal((3, 1, 28, 28)).astype(np.float32)
    expected = reference.eval()(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.eval()(cnnlab.tensor(x)).detach().numpy(), expected, atol=1e-5)


def torch_containers() -> dict:
    base = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4)
    return {
        "views": [base, base[:, 1], base.transpose(0, 2), base[..., ::2], base.expand(2, 2, 3, 4)],
        "scalar": torch.tensor(2.5),
        "types": (torch.tensor([1, -2], dtype=torch.int64), torch.tensor([True, False])),
        "more": [torch.tensor([0, 255], dtype=torch.uint8), torch.ones(2, dtype=torch.int32)],
        "empty": torch.zeros(0, 3),
        "param": torch.nn.Parameter(torch.ones(2, 2)),
        "frozen": torch.nn.Parameter(torch.ones(1), requires_grad=False),
        "grad": torch.ones(3, requires_grad=True),
        "plain": [1, -(2**40), 2**80, 0.25, "text", None, True, b"\x00\xff", b""],
        "nested": OrderedDict(a={"b": (1, [2, {"c": torch.ones(1)}])}),
        "meta": (torch.float32, torch.int64, torch.bool, torch.Size([2, 3]), torch.device("cpu")),
        "set": {1, 2},
        "complex": 1 + 2j,
    }


def test_containers_saved_by_torch_load_in_cnnlab(tmp_path: Path) -> None:
    saved = torch_containers()
    torch.save(saved, tmp_path / "things.pt")
    assert_same(cnnlab.load(tmp_path / "things.pt"), saved)


def test_containers_saved_by_cnnlab_load_in_torch() -> None:
    ours = cnnlab.load(save_with_torch(torch_containers()))
    buffer = io.BytesIO()
    cnnlab.save(ours, buffer)
    buffer.seek(0)
    assert_same(ours, torch.load(buffer, weights_only=True))


def test_views_of_one_storage_share_memory_after_load() -> None:
    base = torch.arange(6.0)
    loaded = cnnlab.load(save_with_torch([base, base[2:]]))
    loaded[0].add_(1)
    np.testing.assert_array_equal(loaded[1].numpy(), [3, 4, 5, 6])


def test_the_same_tensor_twice_is_one_tensor_after_both_round_trips() -> None:
    tensor = cnnlab.ones(3)
    buffer = io.BytesIO()
    cnnlab.save({"a": tensor, "b": tensor}, buffer)
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=True)
    assert theirs["a"] is theirs["b"]
    buffer.seek(0)
    ours = cnnlab.load(buffer)
    assert ours["a"] is ours["b"]


def test_mmap_load_gives_the_same_values(tmp_path: Path) -> None:
    saved = {"w": torch.randn(5, 7), "n": torch.arange(3)}
    torch.save(saved, tmp_path / "w.pt")
    assert_same(cnnlab.load(tmp_path / "w.pt", mmap=True), saved)
    cnnlab.save(cnnlab.load(tmp_path / "w.pt"), tmp_path / "ours.pt")
    content = (tmp_path / "ours.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "ours.pt") as archive:
        for info in archive.infolist():  # every record's data starts 64-byte aligned
            name_length, extra_length = struct.unpack_from("<HH", content, info.header_offset + 26)
            assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0
    assert_same(cnnlab.load(tmp_path / "ours.pt", mmap=True), saved)
    mapped = torch.load(tmp_path / "ours.pt", mmap=True, weights_only=True)
    assert all(torch.equal(mapped[key], saved[key]) for key in saved)


def test_legacy_format_saved_by_torch_loads(tmp_path: Path) -> None:
    base = torch.arange(12.0).reshape(3, 4)
    saved = {
        "state": lenet(torch.nn).state_dict(),
        "views": [base, base[1:], base.t()],
        "param": torch.nn.Parameter(torch.ones(2)),
        "types": (torch.tensor([1, 2]), torch.tensor([True]), torch.float64, "text", 3),
    }
    path = tmp_path / "legacy.pt"
    torch.save(saved, path, _use_new_zipfile_serialization=False)
    loaded = cnnlab.load(path)
    assert_same(loaded, saved)
    loaded["views"][0].add_(1)  # the views share one storage, as in PyTorch
    assert loaded["views"][2][0, 0].item() == 1.0
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(CorruptFileError, match=r"legacy\.pt: truncated"):
        cnnlab.load(path)


def test_a_whole_model_is_refused_with_a_hint(tmp_path: Path) -> None:
    for zip_format in (True, False):
        path = tmp_path / f"model{zip_format}.pt"
        torch.save(torch.nn.Linear(2, 1), path, _use_new_zipfile_serialization=zip_format)
        with pytest.raises(UnsafePickleError, match=r"model\w+\.pt.*Linear.*state_dict"):
            cnnlab.load(path)


def test_a_failed_save_leaves_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "w.pt"
    cnnlab.save({"w": cnnlab.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(NotImplementedError, match=r"numpy\.ndarray"):
        cnnlab.save({"w": np.ones(2)}, path)
    written = []

    def fails_on_the_storage(archive, name, content) -> None:
        if "data/" in name:
            raise OSError("No space left on device")
        written.append(name)
        real_write_record(archive, name, content)

    real_write_record = save_module.write_record
    monkeypatch.setattr(save_module, "write_record", fails_on_the_storage)
    with pytest.raises(OSError, match="No space"):
        cnnlab.save({"w": cnnlab.zeros(2)}, path)
    assert written and path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.pt"]  # no temporary file left
    assert torch.load(path, weights_only=True)["w"].tolist() == [1.0, 1.0]


class WriteOnly(io.RawIOBase):
    """A stream that cannot seek, as a pipe or a socket."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)


def test_save_to_a_stream_that_cannot_seek() -> None:
    stream = WriteOnly()
    cnnlab.save({"w": cnnlab.arange(3)}, stream)
    loaded = torch.load(io.BytesIO(b"".join(stream.chunks)), weights_only=True)
    assert loaded["w"].tolist() == [0, 1, 2]
