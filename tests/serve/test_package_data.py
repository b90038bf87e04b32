"""A non-editable install ships the page's files and the pretrained weights: pyproject's
package data covers every one of them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "cnnlab"


def test_package_data_covers_the_page_and_the_weights():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["cnnlab"]
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    needed = [
        *(PACKAGE / "serve" / "static").iterdir(),
        *(PACKAGE / "models" / "pretrained").iterdir(),
    ]
    assert {"index.html", "app.js", "style.css", "lenet5-mnist5k.npz"} <= {p.name for p in needed}
    assert set(needed) <= shipped
