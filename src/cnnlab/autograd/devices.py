"""``device``: where a tensor lives, as ``torch.device``. cnnlab computes on the CPU only, so
programs written ``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` run
on the CPU, and asking for another device is a clear error."""

from __future__ import annotations

DEVICE_TYPES = (
    "cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "lazy", "ipu", "hpu", "mtia", "vulkan",
)  # fmt: skip


class device:
    """``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``, ``device(other)``.

    ``.type`` is the kind (``'cpu'``), ``.index`` the number or ``None``; only ``'cpu'`` can
    hold tensors.
    """

    __slots__ = ("index", "type")

    def __init__(self, type: str | device | int, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        elif ":" in type:
            type, _, number = type.partition(":")
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{number}'")
            index = int(number)
        if type not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {type}"
            )
        self.type, self.index = type, index

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __enter__(self) -> device:
        check_device(self, "with device")
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def check_device(value, where: str) -> None:
    """Accept the CPU (``'cpu'``, ``device('cpu')``); refuse anything else with a clear error."""
    if value is None:
        return
    wanted = value if isinstance(value, device) else device(value)
    if wanted.type != "cpu":
        raise RuntimeError(
            f"{where}: device {str(wanted)!r} is not available: cnnlab computes on the CPU only "
            f"(cnnlab.cuda.is_available() is False); use device 'cpu'"
        )
