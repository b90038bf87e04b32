"""Files ``cnnlab.load`` refuses: pickles that call functions (nothing runs), truncated and
damaged archives, and options cnnlab does not have; each error names the file."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

import cnnlab
from cnnlab.serialization import CorruptFileError, UnsafePickleError


def torch_file(obj, path: Path) -> Path:
    torch.save(obj, path)
    return path


def replace_record(path: Path, suffix: str, content: bytes) -> Path:
    """Rewrite the archive at ``path`` with the record ending in ``suffix`` replaced."""
    with zipfile.ZipFile(path) as archive:
        records = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in records.items():
            archive.writestr(name, content if name.endswith(suffix) else data)
    return path


class RunsCommand:
    """Pickles as a call of os.system, the classic malicious checkpoint."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("protocol", [2, 4])
def test_pickle_that_runs_a_command_is_refused_and_runs_nothing(
    tmp_path: Path, protocol: int
) -> None:
    marker = tmp_path / "ran"
    evil = {"weight": [1.0, 2.0], "payload": RunsCommand(marker)}
    path = torch_file({"weight": torch.ones(2)}, tmp_path / "evil.pt")
    replace_record(path, "data.pkl", pickle.dumps(evil, protocol=protocol))
    with pytest.raises(UnsafePickleError, match=r"evil\.pt.*(posix|os)\.system"):
        cnnlab.load(path)
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # real torch refuses it too
        torch.load(path, weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        (pickle.dumps(eval, protocol=2), "builtins.eval"),
        (pickle.dumps(getattr, protocol=2), "builtins.getattr"),
        (b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.", "zlib"),
        (b"\x80\x02ccollections\nOrderedDict\n)R}b.", None),  # BUILD with state: allowed
        (b"\x80\x02cbuiltins\nlist\n)R.", "builtins.list"),
        (b"\x80\x02ctorch\nfloat32\n)R.", "torch.float32"),  # a value, not a function
        (b"\x80\x02(cos\nsystem\nS'true'\no.", "os.system"),
        (b"\x80\x02\x82\x01.", "EXT1"),
    ],
)
def test_calls_outside_the_allow_list_are_refused(tmp_path: Path, payload, named) -> None:
    path = replace_record(torch_file([1], tmp_path / "bad.pt"), "data.pkl", payload)
    if named is None:
        assert isinstance(cnnlab.load(path), dict)
        return
    with pytest.raises(UnsafePickleError, match=rf"bad\.pt.*{named}"):
        cnnlab.load(path)


def test_weights_only_false_is_refused_without_reading(tmp_path: Path) -> None:
    path = torch_file({"w": torch.ones(1)}, tmp_path / "w.pt")
    with pytest.raises(NotImplementedError, match="weights_only=False"):
        cnnlab.load(path, weights_only=False)


def test_truncated_files_are_refused_with_their_name(tmp_path: Path) -> None:
    content = torch_file({"w": torch.randn(50)}, tmp_path / "whole.pt").read_bytes()
    for keep in (0, 3, 10, 100, len(content) // 2, len(content) - 30, len(content) - 1):
        path = tmp_path / f"cut{keep}.pt"
        path.write_bytes(content[:keep])
        with pytest.raises(CorruptFileError, match=rf"cut{keep}\.pt"):
            cnnlab.load(path)


@pytest.mark.parametrize("zip_format", [True, False])
def test_every_single_byte_change_is_read_or_refused_cleanly(
    tmp_path: Path, zip_format: bool
) -> None:
    path = tmp_path / "w.pt"
    torch.save({"w": torch.arange(4.0)}, path, _use_new_zipfile_serialization=zip_format)
    content = bytearray(path.read_bytes())
    path = tmp_path / "mutated.pt"
    for index in range(0, len(content), 3):
        mutated = bytearray(content)
        mutated[index] ^= 0x5A
        path.write_bytes(mutated)
        try:
            cnnlab.load(path)
        except (CorruptFileError, UnsafePickleError, NotImplementedError) as error:
            assert "mutated.pt" in str(error)


def test_missing_and_wrong_sized_storage_records_are_named(tmp_path: Path) -> None:
    path = torch_file({"w": torch.ones(3)}, tmp_path / "short.pt")
    replace_record(path, "data/0", b"\x00" * 8)
    with pytest.raises(CorruptFileError, match=r"short\.pt.*data/0 holds 8 bytes.*12 bytes"):
        cnnlab.load(path)
    path = torch_file({"w": torch.ones(3)}, tmp_path / "gone.pt")
    with zipfile.ZipFile(path) as archive:
        kept = {
            i.filename: archive.read(i) for i in archive.infolist() if "data/" not in i.filename
        }
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in kept.items():
            archive.writestr(name, data)
    with pytest.raises(CorruptFileError, match=r"gone\.pt.*data/0 is missing"):
        cnnlab.load(path)


def test_not_a_torch_file_and_map_location(tmp_path: Path) -> None:
    path = tmp_path / "notes.pt"
    path.write_bytes(b"hello world")
    with pytest.raises(CorruptFileError, match=r"notes\.pt: not a file written by torch.save"):
        cnnlab.load(path)
    saved = torch_file({"w": torch.ones(1)}, tmp_path / "w.pt")
    for location in ("cpu", torch.device("cpu"), cnnlab.device("cpu"), {"cuda:0": "cpu"}):
        assert cnnlab.load(saved, map_location=location)["w"].tolist() == [1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        cnnlab.load(saved, map_location="cuda")


def test_tensors_saved_on_cuda_need_map_location(tmp_path: Path) -> None:
    path = torch_file({"w": torch.ones(2)}, tmp_path / "gpu.pt")
    with zipfile.ZipFile(path) as archive:
        data = archive.read("gpu/data.pkl")
    on_cuda = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    replace_record(path, "data.pkl", on_cuda)
    with pytest.raises(RuntimeError, match=r"gpu\.pt.*'cuda:0'.*map_location='cpu'"):
        cnnlab.load(path)
    assert cnnlab.load(path, map_location="cpu")["w"].tolist() == [1.0, 1.0]


def test_what_cnnlab_lacks_is_named(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    torch.save({"half": torch.ones(2, dtype=torch.bfloat16)}, buffer)
    buffer.seek(0)
    with pytest.raises(NotImplementedError, match="bfloat16"):
        cnnlab.load(buffer)
    buffer = io.BytesIO()
    torch.save(torch.ones(2).to_sparse(), buffer)
    buffer.seek(0)
    with pytest.raises(NotImplementedError, match="sparse"):
        cnnlab.load(buffer)
    with pytest.raises(NotImplementedError, match="Linear"):
        cnnlab.save(cnnlab.nn.Linear(1, 1), io.BytesIO())


def test_record_marked_as_encrypted_is_refused_with_the_file_name(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buffer)
    data = bytearray(buffer.getvalue())
    at = data.index(b"PK\x01\x02")  # the first central directory entry: set its "encrypted" bit
    data[at + 8] |= 1
    path = tmp_path / "weights.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError) as error:
        cnnlab.load(path)
    assert str(path) in str(error.value)
