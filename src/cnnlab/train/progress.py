"""A per-epoch progress bar (tqdm) with the running loss, accuracy and images per second.

Cheap per batch: ``update`` adds to counters and calls ``tqdm.update`` (which redraws at most
every ``mininterval`` seconds); the loss/accuracy text is rebuilt only when a redraw is due.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

REFRESH_SECONDS = 0.25


class EpochProgress:
    """Progress of one epoch over ``total`` images, on stderr when it is a terminal; with
    ``disable`` (or no terminal) every call is a no-op."""

    def __init__(self, epoch: int, epochs: int, total: int, *, disable: bool = False) -> None:
        self.next_text = 0.0
        self.bar = None
        if not disable:
            bar = tqdm(
                total=total,
                desc=f"epoch {epoch}/{epochs}",
                unit="img",
                leave=False,
                disable=None,  # tqdm's "no terminal, no bar": logs and pipes stay clean
                file=sys.stderr,
                dynamic_ncols=True,
                mininterval=REFRESH_SECONDS,
            )
            self.bar = None if bar.disable else bar

    def update(self, images: int, loss: float, accuracy: float) -> None:
        """Advance by ``images``; ``loss`` and ``accuracy`` are the epoch's running values."""
        if self.bar is None:
            return
        now = time.perf_counter()
        if now >= self.next_text:
            self.next_text = now + REFRESH_SECONDS
            self.bar.set_postfix_str(f"loss {loss:.4f} acc {100 * accuracy:.2f}%", refresh=False)
        self.bar.update(images)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
