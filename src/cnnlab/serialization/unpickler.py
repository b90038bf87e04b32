"""An allow-list unpickler: reads a pickle's data opcodes and calls nothing it was not told to.

A pickle is a small program: ``GLOBAL`` imports any name, ``REDUCE`` calls it, ``BUILD`` and
``NEWOBJ`` run ``__setstate__`` and ``__new__``. Python's own ``pickle.Unpickler`` runs them all,
so a file can run ``os.system``. This interpreter, like ``torch._weights_only_unpickler``, executes
each opcode itself: the data opcodes build lists, dicts, tuples, strings and numbers; ``GLOBAL``
resolves a name only through the allow-list it is given (anything else is refused at once, before
it could be called); ``REDUCE`` and ``NEWOBJ`` call only allow-listed objects; ``BUILD`` only sets
the attributes of an ``OrderedDict``; ``SETITEM`` and ``APPEND`` act only on dicts and lists.
Pickle protocols 0 to 5 are read, except the opcodes that call code by other routes (``INST``,
``OBJ``, ``NEWOBJ_EX``, the extension registry) and out-of-band buffers, which are refused.
"""

from __future__ import annotations

import codecs
import struct
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError

# Python 2 pickles name Python 3's builtins and copyreg by their old modules.
PYTHON2_MODULES = {"__builtin__": "builtins", "copy_reg": "copyreg"}
SETTABLE = (dict, OrderedDict, Counter)


def encode_latin1(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode(text, 'latin1')``: how Python 3 pickles ``bytes`` at protocol 2 or less.

    Only this use is allowed: other codecs (zlib, base64, ...) are refused."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise UnsafePickleError(
            f"_codecs.encode is allowed only as encode(str, 'latin1'), got encoding {encoding!r}"
        )
    return text.encode("latin1")


def empty_bytes(*args: Any) -> bytes:
    """``bytes()``: how Python 3 pickles ``b''`` at protocol 2 or less."""
    if args:
        raise UnsafePickleError("builtins.bytes is allowed only without arguments (b'')")
    return b""


def bytes_to_bytearray(data: bytes = b"", *rest: Any) -> bytearray:
    """``bytearray(data)`` for the ways Python pickles a ``bytearray``; never ``bytearray(n)``."""
    if isinstance(data, str) and rest in ((), ("latin1",), ("latin-1",)):
        data = data.encode("latin1")
    if not isinstance(data, bytes) or (rest and not isinstance(data, bytes | str)):
        raise UnsafePickleError("builtins.bytearray is allowed only on bytes")
    return bytearray(data)


# Globals any pickle of plain data may use; a reader adds its own (tensors, arrays) to these.
DATA_GLOBALS: dict[str, Any] = {
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "builtins.set": set,
    "builtins.frozenset": frozenset,
    "builtins.complex": complex,
    "builtins.bytes": empty_bytes,
    "builtins.bytearray": bytes_to_bytearray,
    "_codecs.encode": encode_latin1,
}


class AllowListUnpickler:
    """Unpickle ``data`` (the bytes of ``source``) resolving globals only through ``allowed``.

    ``allowed`` maps ``"module.name"`` to the object the name stands for; ``REDUCE`` may call those
    of them that are callable, ``NEWOBJ`` those in ``new_objects`` (class -> constructor).
    ``persistent_load(pid)`` resolves ``BINPERSID`` references (``torch.save``'s storages);
    ``refuse(name)`` may raise a more specific error for a name outside the allow-list.
    ``bytes_encoding`` decodes Python 2 ``str`` (``'bytes'`` keeps them as bytes).
    """

    def __init__(
        self,
        data: bytes,
        *,
        source: str,
        allowed: Mapping[str, Any],
        new_objects: Mapping[Any, Callable[..., Any]] | None = None,
        persistent_load: Callable[[Any], Any] | None = None,
        refuse: Callable[[str], None] | None = None,
        bytes_encoding: str = "bytes",
    ) -> None:
        self.raw = data
        self.data = memoryview(data)
        self.position = 0
        self.source = source
        self.allowed = allowed
        self.callables = {id(value) for value in allowed.values() if callable(value)}
        self.new_objects = dict(new_objects or {})
        self.persistent_load = persistent_load
        self.refuse = refuse
        self.bytes_encoding = bytes_encoding
        self.stack: list[Any] = []
        self.marks: list[list[Any]] = []
        self.memo: dict[int, Any] = {}
        self.names: dict[int, str] = {}  # id of a resolved global -> the name it was asked by

    # ----- reading the byte stream
    def read(self, count: int) -> bytes:
        end = self.position + count
        if count < 0 or end > len(self.data):
            raise CorruptFileError(f"{self.source}: the pickle is truncated")
        chunk = self.data[self.position : end].tobytes()
        self.position = end
        return chunk

    def read_line(self) -> bytes:
        end = self.raw.find(b"\n", self.position)
        if end < 0:
            raise CorruptFileError(f"{self.source}: the pickle is truncated")
        line = self.data[self.position : end].tobytes()
        self.position = end + 1
        return line

    def unpack(self, layout: str) -> Any:
        return struct.unpack(layout, self.read(struct.calcsize(layout)))[0]

    # ----- the interpreter
    def load(self) -> Any:
        """Run the pickle; return the object it builds."""
        try:
            while True:
                code = self.read(1)[0]
                handler = OPCODES.get(code)
                if handler is None:
                    self.refuse_opcode(code)
                if handler(self) is STOP:
                    return self.stack.pop()
        except RecursionError:
            raise CorruptFileError(f"{self.source}: the pickle nests too deeply") from None
        except (UnsafePickleError, CorruptFileError, NotImplementedError, RuntimeError) as error:
            if self.source in str(error):
                raise
            raise type(error)(f"{self.source}: refused to load: {error}") from None
        except Exception as error:  # a damaged pickle fails in many ways, all of them this one
            raise CorruptFileError(
                f"{self.source}: not a readable pickle ({type(error).__name__}: {error})"
            ) from error

    def refuse_opcode(self, code: int) -> None:
        name = REFUSED_OPCODES.get(code)
        if name is None:
            raise CorruptFileError(f"{self.source}: not a pickle (unknown opcode {code:#04x})")
        raise UnsafePickleError(
            f"{self.source}: refused to load: the pickle uses opcode {name}, which can run code; "
            "cnnlab reads only data and allow-listed tensor records"
        )

    def find_global(self, module: str, name: str) -> Any:
        """The allow-listed object for ``module.name``; anything else is refused here, before the
        pickle could call it."""
        module = PYTHON2_MODULES.get(module, module)
        full_name = f"{module}.{name}"
        if full_name in self.allowed:
            value = self.allowed[full_name]
            self.names[id(value)] = full_name
            return value
        if self.refuse is not None:
            self.refuse(full_name)
        raise UnsafePickleError(
            f"{self.source}: refused to load: the pickle asks for {full_name}, which is not in "
            "the allow-list (nothing from the file was run)"
        )

    def call(self, function: Any, args: Any) -> Any:
        if id(function) not in self.callables or not isinstance(args, tuple):
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle calls {self.describe(function)}, "
                "which is not an allow-listed function"
            )
        return function(*args)

    def describe(self, value: Any) -> str:
        """How refusals name an object: by the global it was asked for, else by its type."""
        return self.names.get(id(value), f"a {type(value).__name__}")

    def pop_mark(self) -> list[Any]:
        items = self.stack
        self.stack = self.marks.pop()
        return items

    def set_items(self, pairs: list[Any]) -> None:
        target = self.stack[-1]
        if type(target) not in SETTABLE or len(pairs) % 2:
            raise UnsafePickleError(
                f"{self.source}: refused to load: SETITEM on a {type(target).__name__}"
            )
        for index in range(0, len(pairs), 2):
            target[pairs[index]] = pairs[index + 1]

    def extend(self, items: list[Any]) -> None:
        target = self.stack[-1]
        if type(target) is not list:
            raise UnsafePickleError(
                f"{self.source}: refused to load: APPEND on a {type(target).__name__}"
            )
        target.extend(items)

    def build(self) -> None:
        state = self.stack.pop()
        target = self.stack[-1]
        if type(target) is not OrderedDict or not isinstance(state, dict):
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle sets the state of a "
                f"{type(target).__name__} (BUILD), which only an OrderedDict may have"
            )
        target.__dict__.update({str(key): value for key, value in state.items()})

    def new_object(self) -> None:
        args = self.stack.pop()
        cls = self.stack.pop()
        make = self.new_objects.get(cls) if isinstance(cls, type) else None
        if make is None or not isinstance(args, tuple):
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle creates a {self.describe(cls)} "
                "(NEWOBJ), which is not allow-listed"
            )
        self.stack.append(make(*args))

    def persistent(self, pid: Any) -> None:
        if self.persistent_load is None:
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle refers to an outside object "
                f"{pid!r} (persistent id) and this reader has none"
            )
        self.stack.append(self.persistent_load(pid))

    def decode_str(self, raw: bytes) -> str | bytes:
        return raw if self.bytes_encoding == "bytes" else raw.decode(self.bytes_encoding)


STOP = object()


def _put(u: AllowListUnpickler, index: int) -> None:
    if index < 0:
        raise CorruptFileError(f"{u.source}: negative memo index in the pickle")
    u.memo[index] = u.stack[-1]


def _mark(u: AllowListUnpickler) -> None:
    u.marks.append(u.stack)
    u.stack = []


def _text_int(u: AllowListUnpickler) -> None:
    line = u.read_line()
    u.stack.append({b"00": False, b"01": True}[line] if line in (b"00", b"01") else int(line))


def _text_string(u: AllowListUnpickler) -> None:
    line = u.read_line()
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b"'", b'"'):
        raise CorruptFileError(f"{u.source}: badly quoted STRING in the pickle")
    u.stack.append(u.decode_str(codecs.escape_decode(line[1:-1])[0]))


def _long(u: AllowListUnpickler, size: int) -> None:
    u.stack.append(int.from_bytes(u.read(size), "little", signed=True))


def _marked(u: AllowListUnpickler, make: Callable[[list[Any]], Any]) -> None:
    """Replace the items since the last MARK by ``make(items)``."""
    items = u.pop_mark()
    u.stack.append(make(items))


def _add_items(u: AllowListUnpickler) -> None:
    items = u.pop_mark()
    if type(u.stack[-1]) is not set:
        raise UnsafePickleError(f"{u.source}: refused to load: ADDITEMS on a non-set")
    u.stack[-1].update(items)


def _stack_global(u: AllowListUnpickler) -> None:
    name, module = u.stack.pop(), u.stack.pop()
    if not isinstance(name, str) or not isinstance(module, str):
        raise CorruptFileError(f"{u.source}: STACK_GLOBAL on non-strings")
    u.stack.append(u.find_global(module, name))


def _global(u: AllowListUnpickler) -> None:
    module = u.read_line().decode("utf-8")
    name = u.read_line().decode("utf-8")
    u.stack.append(u.find_global(module, name))


def _reduce(u: AllowListUnpickler) -> None:
    args = u.stack.pop()
    u.stack[-1] = u.call(u.stack[-1], args)


def _tuple_of(count: int) -> Callable[[AllowListUnpickler], None]:
    def make(u: AllowListUnpickler) -> None:
        items = tuple(u.stack[len(u.stack) - count :]) if count else ()
        if len(items) != count:
            raise CorruptFileError(f"{u.source}: stack underflow in the pickle")
        del u.stack[len(u.stack) - count :]
        u.stack.append(items)

    return make


def _text_float(u: AllowListUnpickler) -> None:
    u.stack.append(float(u.read_line()))


def _text_unicode(u: AllowListUnpickler) -> None:
    u.stack.append(u.read_line().decode("raw-unicode-escape"))


def _utf8(u: AllowListUnpickler, length: int) -> None:
    u.stack.append(u.read(length).decode("utf-8", "surrogatepass"))


def _binstring(u: AllowListUnpickler, length: int) -> None:
    u.stack.append(u.decode_str(u.read(length)))


def _bytes(u: AllowListUnpickler, length: int) -> None:
    u.stack.append(u.read(length))


OPCODES: dict[int, Callable[[AllowListUnpickler], Any]] = {
    ord("("): _mark,
    ord("."): lambda u: STOP,
    ord("0"): lambda u: u.stack.pop(),
    ord("1"): lambda u: u.pop_mark(),
    ord("2"): lambda u: u.stack.append(u.stack[-1]),
    ord("F"): _text_float,
    ord("I"): _text_int,
    ord("J"): lambda u: u.stack.append(u.unpack("<i")),
    ord("K"): lambda u: u.stack.append(u.read(1)[0]),
    ord("L"): lambda u: u.stack.append(int(u.read_line().rstrip(b"L"))),
    ord("M"): lambda u: u.stack.append(u.unpack("<H")),
    ord("N"): lambda u: u.stack.append(None),
    ord("Q"): lambda u: u.persistent(u.stack.pop()),
    ord("P"): lambda u: u.persistent(u.read_line().decode("ascii")),
    ord("R"): _reduce,
    ord("S"): _text_string,
    ord("T"): lambda u: _binstring(u, u.unpack("<i")),
    ord("U"): lambda u: _binstring(u, u.read(1)[0]),
    ord("V"): _text_unicode,
    ord("X"): lambda u: _utf8(u, u.unpack("<I")),
    ord("a"): lambda u: u.extend([u.stack.pop()]),
    ord("b"): lambda u: u.build(),
    ord("c"): _global,
    ord("d"): lambda u: _marked(u, lambda items: dict(zip(items[::2], items[1::2], strict=True))),
    ord("}"): lambda u: u.stack.append({}),
    ord("e"): lambda u: u.extend(u.pop_mark()),
    ord("g"): lambda u: u.stack.append(u.memo[int(u.read_line())]),
    ord("h"): lambda u: u.stack.append(u.memo[u.read(1)[0]]),
    ord("j"): lambda u: u.stack.append(u.memo[u.unpack("<I")]),
    ord("l"): lambda u: _marked(u, list),
    ord("]"): lambda u: u.stack.append([]),
    ord("p"): lambda u: _put(u, int(u.read_line())),
    ord("q"): lambda u: _put(u, u.read(1)[0]),
    ord("r"): lambda u: _put(u, u.unpack("<I")),
    ord("s"): lambda u: u.set_items([u.stack.pop(-2), u.stack.pop()]),
    ord("t"): lambda u: _marked(u, tuple),
    ord(")"): _tuple_of(0),
    ord("u"): lambda u: u.set_items(u.pop_mark()),
    ord("G"): lambda u: u.stack.append(u.unpack(">d")),
    0x80: lambda u: u.read(1),  # PROTO
    0x81: lambda u: u.new_object(),  # NEWOBJ
    0x85: _tuple_of(1),
    0x86: _tuple_of(2),
    0x87: _tuple_of(3),
    0x88: lambda u: u.stack.append(True),
    0x89: lambda u: u.stack.append(False),
    0x8A: lambda u: _long(u, u.read(1)[0]),  # LONG1
    0x8B: lambda u: _long(u, u.unpack("<i")),  # LONG4
    ord("B"): lambda u: _bytes(u, u.unpack("<I")),  # BINBYTES
    ord("C"): lambda u: _bytes(u, u.read(1)[0]),  # SHORT_BINBYTES
    0x8C: lambda u: _utf8(u, u.read(1)[0]),  # SHORT_BINUNICODE
    0x8D: lambda u: _utf8(u, u.unpack("<Q")),  # BINUNICODE8
    0x8E: lambda u: _bytes(u, u.unpack("<Q")),  # BINBYTES8
    0x8F: lambda u: u.stack.append(set()),  # EMPTY_SET
    0x90: _add_items,
    0x91: lambda u: _marked(u, frozenset),
    0x93: _stack_global,
    0x94: lambda u: _put(u, len(u.memo)),  # MEMOIZE
    0x95: lambda u: u.read(8),  # FRAME: a length hint only
    0x96: lambda u: u.stack.append(bytearray(u.read(u.unpack("<Q")))),  # BYTEARRAY8
}

REFUSED_OPCODES = {
    ord("i"): "INST",
    ord("o"): "OBJ",
    0x82: "EXT1",
    0x83: "EXT2",
    0x84: "EXT4",
    0x92: "NEWOBJ_EX",
    0x97: "NEXT_BUFFER",
    0x98: "READONLY_BUFFER",
}


def unpickle(data: bytes, *, source: str, allowed: Mapping[str, Any], **options: Any) -> Any:
    """Unpickle ``data`` with :class:`AllowListUnpickler` (see there for ``options``)."""
    return AllowListUnpickler(data, source=source, allowed=allowed, **options).load()
