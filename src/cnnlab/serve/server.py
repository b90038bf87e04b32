"""``cnnlab serve``: choose the checkpoint, bind the address, print the URL, run uvicorn."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from cnnlab.models.registry import pretrained_path
from cnnlab.serve.runs import latest_checkpoint
from cnnlab.train.checkpoint import find_checkpoint

ALL_INTERFACES = ("0.0.0.0", "::", "")
SHUTDOWN_SECONDS = 2  # open connections get this long to finish after Ctrl-C


def resolve_checkpoint(checkpoint: str | Path | None, runs_dir: Path) -> tuple[Path, str]:
    """The checkpoint to serve and how to name it: ``checkpoint`` (a file, or a run directory
    holding one); with None, the latest run under ``runs_dir``, else the packaged LeNet-5."""
    if checkpoint is not None:
        path = find_checkpoint(checkpoint)
        return path, str(path)
    latest = latest_checkpoint(runs_dir)
    if latest is not None:
        return latest, f"the latest run, {latest.parent}"
    return pretrained_path("lenet5"), "the pretrained LeNet-5 that ships with cnnlab"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except (socket.gaierror, OSError) as error:
        raise OSError(f"--host {host!r}: cannot listen there: {error}") from error
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from error
    sock.listen(128)
    return sock


def page_url(host: str, port: int) -> str:
    """The address to open in a browser (this machine's for an all-interfaces bind)."""
    if host in ALL_INTERFACES:
        host = "127.0.0.1" if host != "::" else "::1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def serve(
    checkpoint: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    runs_dir: str | Path = "runs",
    say: Callable[[str], None] = print,
) -> None:
    """Serve the page for ``checkpoint`` (see :func:`resolve_checkpoint`) until Ctrl-C."""
    try:
        import uvicorn

        from cnnlab.serve.app import create_app
    except ImportError as error:
        raise ImportError(
            f"cnnlab serve needs the 'serve' extra ({error.name} is missing): "
            "pip install 'cnnlab[serve]'"
        ) from error
    from cnnlab.serve.network import Network

    path, label = resolve_checkpoint(checkpoint, Path(runs_dir))
    network = Network.from_checkpoint(path, label)
    sock = bind(host, port)
    port = sock.getsockname()[1]
    info = network.info()
    say(f"cnnlab serve: {info['model']} trained on {info['data']}, from {label}")
    say(f"open {page_url(host, port)}  (Ctrl-C stops)")
    if host in ALL_INTERFACES:
        print(
            f"cnnlab serve: warning: listening on all interfaces ({host or 'all'}): anyone who "
            "can reach this machine can use the page; --host 127.0.0.1 keeps it local",
            file=sys.stderr,
        )
    config = uvicorn.Config(
        create_app(network, runs_dir),
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=SHUTDOWN_SECONDS,
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl-C again once stopped
        uvicorn.Server(config).run(sockets=[sock])
    say("cnnlab serve: stopped")
