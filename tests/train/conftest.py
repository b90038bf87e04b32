"""Real digits for the training tests: small slices of the embedded mnist5k set."""

from __future__ import annotations

import pytest

from cnnlab.data import load
from cnnlab.train.splits import limited


@pytest.fixture(scope="session")
def digits(tmp_path_factory):
    """``(train, test)``: 320 and 200 mnist5k digits, parsed into a private cache once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_CACHE", str(tmp_path_factory.mktemp("cnnlab-cache")))
        train, test = load("mnist5k", train=True), load("mnist5k", train=False)
    return limited(train, 320), limited(test, 200)
