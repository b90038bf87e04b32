"""The allow-list unpickler reads every plain-data pickle Python writes (protocols 0 to 5) exactly
as ``pickle.loads`` does, and refuses every route to running code."""

from __future__ import annotations

import pickle
from collections import Counter, OrderedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.unpickler import DATA_GLOBALS, unpickle

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.complex_numbers(allow_nan=False),
)
KEYS = st.one_of(st.text(max_size=4), st.integers(-5, 5), st.binary(max_size=3))
DATA = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(KEYS, inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4).map(OrderedDict),
        st.sets(st.integers(-3, 3), max_size=3),
        st.frozensets(st.text(max_size=2), max_size=3),
        st.binary(max_size=4).map(bytearray),
        st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=3).map(Counter),
    ),
    max_leaves=10,
)


@given(DATA, st.integers(0, 5))
def test_reads_plain_data_as_pickle_does(value, protocol: int) -> None:
    data = pickle.dumps(value, protocol=protocol)
    assert unpickle(data, source="x.pkl", allowed=DATA_GLOBALS) == pickle.loads(data)


def test_shared_and_recursive_references_are_kept() -> None:
    shared = [1, 2]
    loop: list = []
    loop.append(loop)
    value = unpickle(pickle.dumps([shared, shared, loop], 2), source="x", allowed=DATA_GLOBALS)
    assert value[0] is value[1]
    assert value[2][0] is value[2]


class Gadget:
    def __reduce__(self):
        return (print, ("ran",))


@pytest.mark.parametrize("protocol", range(6))
def test_every_protocol_refuses_a_call(protocol: int, capsys) -> None:
    with pytest.raises(UnsafePickleError, match=r"x\.pkl: refused to load.*builtins\.print"):
        unpickle(pickle.dumps([1, Gadget()], protocol), source="x.pkl", allowed=DATA_GLOBALS)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x02c__builtin__\nbytes\nK\x05\x85R.",  # bytes(5): only b'' is allowed
        b"\x80\x02c__builtin__\nbytearray\nK\x05\x85R.",  # bytearray(5)
        b"\x80\x02ccollections\nOrderedDict\n)R]b.",  # BUILD with a non-dict state
        b"\x80\x02]K\x01K\x02s.",  # SETITEM on a list
        b"\x80\x02}K\x01a.",  # APPEND to a dict
        b"\x80\x02ccollections\nOrderedDict\n)\x81.",  # NEWOBJ of a class not allowed to
        b"\x80\x02Q.",  # a persistent id where there is no persistent store
    ],
)
def test_misuses_of_allowed_names_are_refused(data: bytes) -> None:
    with pytest.raises((UnsafePickleError, CorruptFileError), match=r"^x\.pkl: "):
        unpickle(data, source="x.pkl", allowed=DATA_GLOBALS)


@pytest.mark.parametrize("data", [b"", b"\x80\x02]", b"\x80\x02X\xff\x00\x00\x00ab.", b"\xff."])
def test_damaged_pickles_are_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptFileError, match=r"^x\.pkl: "):
        unpickle(data, source="x.pkl", allowed=DATA_GLOBALS)
