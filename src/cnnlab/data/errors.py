"""The errors of the dataset readers: a file that is there but wrong, or files not there."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class DataFormatError(ValueError):
    """A data file is corrupted, truncated or in a format cnnlab does not read.

    The message always names the file and says what is wrong with it.
    """


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not on disk, or could not be downloaded.

    The message says which files to place where, and how to download them.
    """

    @classmethod
    def missing(
        cls,
        dataset: str,
        *,
        searched: Sequence[Path],
        expected: Sequence[str],
        root: Path,
        place_in: Path,
    ) -> DatasetNotFoundError:
        """Build the error for files looked for in ``searched`` and not found.

        ``root`` is the data root to pass to ``cnnlab.data.download``; ``place_in`` is the
        directory where placing the files by hand makes them found.
        """
        searched_text = "\n".join(f"    {directory}" for directory in searched)
        expected_text = "\n".join(f"    {name}" for name in expected)
        return cls(
            f"{dataset}: dataset files not found.\n"
            f"  searched:\n{searched_text}\n"
            f"  expected:\n{expected_text}\n"
            f"Download them with --download (or cnnlab.data.download({dataset!r}, '{root}')), "
            f"or place the files in {place_in} by hand."
        )

    @classmethod
    def unreachable(
        cls, dataset: str, *, url: str, reason: str, urls: Sequence[str], place_in: Path
    ) -> DatasetNotFoundError:
        """Build the error for a download that could not reach ``url``."""
        urls_text = "\n".join(f"    {u}" for u in urls)
        return cls(
            f"{dataset}: could not reach {url} ({reason}).\n"
            f"Without a network, fetch these files on another machine:\n{urls_text}\n"
            f"and place them in {place_in} by hand."
        )
