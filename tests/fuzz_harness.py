"""The fuzz harness of tests/fuzz: mutate seed files, hand each to a reader, sort the outcomes.

Every input must be read, or refused with one of the reader's own errors whose message names the
file; anything else (another exception, a message without the file's name, a reader that runs
longer than ``TIMEOUT`` seconds, a pickle that runs code) is a failure, kept with its bytes so
it can be replayed.
"""

from __future__ import annotations

import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TIMEOUT = 10.0  # seconds one input may take
LONG_RUN = int(os.environ.get("CNNLAB_FUZZ_INPUTS", "100000"))  # per reader, with -m fuzz
INTERESTING = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)


class Hang(Exception):
    """A reader ran longer than ``TIMEOUT``."""


@dataclass
class Outcomes:
    """What the inputs given to one reader came to."""

    reader: str
    counts: Counter = field(default_factory=Counter)
    failures: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        lines = [f"{self.reader}: {self.total:,} inputs"]
        lines += [f"  {count:>8,}  {kind}" for kind, count in self.counts.most_common()]
        return "\n".join(lines)


def message_kind(message: str, path: Path) -> str:
    """The kind of a refusal: its message without the file's name, numbers and quoted parts."""
    text = message.replace(str(path), "").lstrip(":, ")
    text = re.sub(r"(b?'[^']*'|\"[^\"]*\"|\([^)]*\)|0x[0-9a-fA-F]+|-?\d[\d.e+-]*)", "#", text)
    return " ".join(text.split(":")[0].split()[:9])


def mutate(data: bytes, rng: np.random.Generator, others: Sequence[bytes]) -> bytes:
    """One to four random mutations: bit flips, interesting bytes, truncation, insertion,
    deletion, a copied chunk, a splice with another seed, trailing bytes."""
    buffer = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        size = len(buffer)
        choice = int(rng.integers(0, 9))
        at = int(rng.integers(0, size)) if size else 0
        if choice == 0 and size:
            buffer[at] ^= 1 << int(rng.integers(0, 8))
        elif choice == 1 and size:
            buffer[at] = INTERESTING[int(rng.integers(0, len(INTERESTING)))]
        elif choice == 2:
            del buffer[int(rng.integers(0, size + 1)) :]
        elif choice == 3:
            buffer[at:at] = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
        elif choice == 4 and size:
            del buffer[at : at + int(rng.integers(1, 65))]
        elif choice == 5 and size:
            start = int(rng.integers(0, size))
            chunk = buffer[start : start + int(rng.integers(1, 65))]
            buffer[at:at] = chunk
        elif choice == 6 and others:
            other = others[int(rng.integers(0, len(others)))]
            cut = int(rng.integers(0, len(other) + 1))
            buffer = buffer[:at] + bytearray(other[cut:])
        elif choice == 7:
            buffer += rng.integers(0, 256, int(rng.integers(1, 33)), dtype=np.uint8).tobytes()
        elif choice == 8 and size >= 4:  # a 32-bit field set to an edge value
            value = int(rng.choice([0, 1, 2**31 - 1, 2**31, 2**32 - 1, 255, 65535, 10**6]))
            order = "big" if rng.integers(0, 2) else "little"
            at = min(at, size - 4)
            buffer[at : at + 4] = value.to_bytes(4, order)
    return bytes(buffer)


def _alarm(signum, frame):
    raise Hang(f"no answer within {TIMEOUT} s")


def try_input(
    reader: Callable[[Path], object],
    data: bytes,
    path: Path,
    refusals: tuple[type[BaseException], ...],
    outcomes: Outcomes,
) -> None:
    """Write ``data`` to ``path``, read it, and count the outcome (or keep the failure)."""
    path.write_bytes(data)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        reader(path)
    except refusals as error:
        if str(path) not in str(error):
            outcomes.failures.append((f"message without the file: {error!r}", data))
        else:
            outcomes.counts[f"refused: {message_kind(str(error), path)}"] += 1
    except Hang as error:
        outcomes.failures.append((f"hang: {error}", data))
    except Exception as error:
        outcomes.failures.append((f"{type(error).__name__}: {error}"[:300], data))
    else:
        outcomes.counts["read"] += 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_fuzz(
    name: str,
    reader: Callable[[Path], object],
    seeds: Sequence[bytes],
    count: int,
    directory: Path,
    refusals: tuple[type[BaseException], ...],
    *,
    file_name: str = "input",
    generated: Callable[[np.random.Generator], bytes] | None = None,
    seed: int = 0,
) -> Outcomes:
    """``count`` inputs for ``reader``: the seeds themselves, then mutants of them (and, with
    ``generated``, every fourth input made by it instead). Failures are written to
    ``directory/failures`` for replay."""
    rng = np.random.default_rng([seed, len(name), sum(map(ord, name))])
    outcomes = Outcomes(name)
    path = directory / file_name
    for index in range(count):
        if index < len(seeds):
            data = seeds[index]
        elif generated is not None and index % 4 == 0:
            data = generated(rng)
        else:
            data = mutate(seeds[int(rng.integers(0, len(seeds)))], rng, seeds)
        try_input(reader, data, path, refusals, outcomes)
    if outcomes.failures:
        kept = directory / "failures"
        kept.mkdir(exist_ok=True)
        for number, (_, data) in enumerate(outcomes.failures[:20]):
            (kept / f"{name}-{number}").write_bytes(data)
    return outcomes


def check(outcomes: Outcomes) -> None:
    """Fail with the first failures if there are any."""
    described = "\n".join(what for what, _ in outcomes.failures[:10])
    assert not outcomes.failures, f"{len(outcomes.failures)} failures:\n{described}"
