"""The served network, real training runs, a live server on a free port, and a real browser
(Debian's chromium driven by Playwright; a missing chromium fails these tests)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from starlette.testclient import TestClient

from cnnlab.data import load_mnist5k
from cnnlab.models.registry import pretrained_path
from cnnlab.serve.app import create_app
from cnnlab.serve.network import Network
from serve.training import train_run

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def network() -> Network:
    return Network.from_checkpoint(pretrained_path("lenet5"), "the pretrained LeNet-5")


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,000 test digits of mnist5k (uint8, 28x28) and their labels."""
    return load_mnist5k(train=False)


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory) -> Path:
    """A runs directory holding one finished run of 2 epochs."""
    runs = tmp_path_factory.mktemp("runs")
    train_run(runs / "lenet5-finished", epochs=2)
    return runs


@pytest.fixture(scope="session")
def client(network, runs_dir) -> TestClient:
    return TestClient(create_app(network, runs_dir), raise_server_exceptions=False)


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest.fixture(scope="session")
def live_server_for():
    """``live_server_for(network, runs_dir)`` serves the app on uvicorn in a thread, on a free
    port, and returns its base URL; the servers stop at the end of the session."""
    servers = []

    def start(network: Network, runs_dir: Path | None = None) -> str:
        sock = free_socket()
        app = create_app(network, runs_dir or Path("no-runs-here"))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        servers.append((server, thread, sock))
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.02)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread, sock in servers:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="session")
def live_server(live_server_for, network, runs_dir) -> str:
    return live_server_for(network, runs_dir)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "the browser tests need Debian's chromium (apt-get install -y chromium); "
            "they fail rather than skip without it"
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where the browser tests write their screenshots: ``$CNNLAB_SCREENSHOTS`` if set, else a
    temporary folder of the test session."""
    folder = os.environ.get("CNNLAB_SCREENSHOTS")
    if not folder:
        return tmp_path_factory.mktemp("screenshots")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


@pytest.fixture
def page(browser, live_server):
    """A fresh page on the served app, with its JavaScript errors collected."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(live_server + "/")
    opened.wait_for_selector("body[data-ready=true]", timeout=15000)
    opened.errors = errors
    yield opened
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
