"""The web application: the page's files and its JSON API, as a Starlette (ASGI) app.

Routes:

- ``GET /``: the page; ``GET /static/...``: its CSS and JavaScript.
- ``GET /api/model``: the model, its classes, input shape, layers and conv filters.
- ``POST /api/predict``: a JSON ``{"image": ...}`` or an image file's bytes → the class, the
  probabilities, the input the network saw and every feature map.
- ``POST /api/explain``: ``{"image", "layer", "channel", "row", "col"}`` → the chapter's formula
  for that cell, evaluated on the engine's numbers, and the cell's receptive field.
- ``GET /api/runs``, ``GET /api/runs/{name}``: the training runs and one run's curves, report
  and confusion matrix.

Every error is a JSON ``{"error": "..."}`` with a 4xx status; bodies over :data:`MAX_BODY`
bytes are refused without being read to the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cnnlab.serve.images import BadImage, array_from_image, array_from_json
from cnnlab.serve.network import BadRequest, Network
from cnnlab.serve.runs import RunNotFound, list_runs, run_details

MAX_BODY = 2 * 1024 * 1024
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp")
INVERT_CHOICES = {"auto": None, "true": True, "yes": True, "false": False, "no": False}
STATIC = Path(__file__).parent / "static"


class ApiResponse(JSONResponse):
    """JSON written by orjson: NumPy arrays (the feature maps) as nested lists, fast, and NaN
    or infinite numbers (from a diverged model) as ``null``, so the JSON stays valid."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)


class ApiError(Exception):
    """A request the API refuses: ``status`` and a message saying what was wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_body(request: Request) -> bytes:
    """The request body, refused (413) as soon as it is known to pass :data:`MAX_BODY`: from
    ``Content-Length`` before reading anything, else while it streams in."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError(400, f"Content-Length must be a number of bytes, got {length!r}")
        if int(length) > MAX_BODY:
            raise ApiError(
                413, f"the body is {int(length):,} bytes; at most {MAX_BODY:,} are accepted"
            )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"the body is over {MAX_BODY:,} bytes, the most accepted")
        chunks.append(chunk)
    return b"".join(chunks)


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object (the Content-Type must say JSON)."""
    kind = content_type(request)
    if kind != "application/json":
        raise ApiError(415, f"Content-Type must be application/json, got {kind or 'none'!r}")
    body = await read_body(request)
    try:
        value = json.loads(body)
    except RecursionError as error:
        raise ApiError(400, "the JSON body is nested too deeply") from error
    except ValueError as error:
        raise ApiError(400, f"the body is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ApiError(400, f"the JSON body must be an object, got {type(value).__name__}")
    return value


def json_image(payload: dict[str, Any], network: Network):
    if "image" not in payload:
        raise ApiError(400, "the JSON body has no 'image'")
    return array_from_json(payload["image"], network.input_shape)


def invert_option(request: Request) -> bool | None:
    text = request.query_params.get("invert", "auto").lower()
    if text not in INVERT_CHOICES:
        raise ApiError(400, f"'invert' must be one of {', '.join(INVERT_CHOICES)}, got {text!r}")
    return INVERT_CHOICES[text]


async def predict(request: Request) -> ApiResponse:
    network: Network = request.app.state.network
    kind = content_type(request)
    if kind in IMAGE_TYPES:
        invert = invert_option(request)
        data = await read_body(request)
        image, inverted = await run_in_threadpool(array_from_image, data, network.loaded, invert)
    elif kind == "application/json":
        image, inverted = json_image(await read_json(request), network), None
    else:
        raise ApiError(
            415,
            "Content-Type must be application/json or an image "
            f"({', '.join(IMAGE_TYPES)}), got {kind or 'none'!r}",
        )
    result = await run_in_threadpool(network.predict, image)
    return ApiResponse({**result, "inverted": inverted})


def cell_index(payload: dict[str, Any], name: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, f"'{name}' must be an integer, got {json.dumps(value)}")
    return value


async def explain(request: Request) -> ApiResponse:
    network: Network = request.app.state.network
    payload = await read_json(request)
    image = json_image(payload, network)
    layer = payload.get("layer")
    if not isinstance(layer, str):
        raise ApiError(400, f"'layer' must be a layer name, got {json.dumps(layer)}")
    cell = [cell_index(payload, name) for name in ("channel", "row", "col")]
    return ApiResponse(await run_in_threadpool(network.explain, image, layer, *cell))


async def model_info(request: Request) -> ApiResponse:
    return ApiResponse(request.app.state.network.info())


async def runs(request: Request) -> ApiResponse:
    runs_dir: Path = request.app.state.runs_dir
    found = await run_in_threadpool(list_runs, runs_dir)
    return ApiResponse({"runs_dir": str(runs_dir), "runs": found})


async def run(request: Request) -> ApiResponse:
    details = await run_in_threadpool(
        run_details, request.app.state.runs_dir, request.path_params["name"]
    )
    return ApiResponse(details)


async def page(request: Request) -> FileResponse:
    return FileResponse(STATIC / "index.html")


def error_response(status: int, message: str, headers=None) -> ApiResponse:
    return ApiResponse({"error": message}, status_code=status, headers=headers)


async def http_error(request: Request, error: HTTPException) -> ApiResponse:
    if error.status_code == 404:
        message = f"nothing at {request.url.path}"
    elif error.status_code == 405:
        allowed = (error.headers or {}).get("Allow", "")
        message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
    else:
        message = str(error.detail)
    return error_response(error.status_code, message, error.headers)


async def api_error(request: Request, error: Exception) -> ApiResponse:
    """The errors of this package carry their HTTP status."""
    return error_response(error.status, str(error))


async def internal_error(request: Request, error: Exception) -> ApiResponse:
    return error_response(500, f"internal error: {type(error).__name__}: {error}")


def create_app(network: Network, runs_dir: str | Path = "runs") -> Starlette:
    """The page and API for ``network``, with the runs view reading ``runs_dir``."""
    app = Starlette(
        routes=[
            Route("/", page),
            Route("/api/model", model_info),
            Route("/api/predict", predict, methods=["POST"]),
            Route("/api/explain", explain, methods=["POST"]),
            Route("/api/runs", runs),
            Route("/api/runs/{name}", run),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={
            HTTPException: http_error,
            ApiError: api_error,
            BadImage: api_error,
            BadRequest: api_error,
            RunNotFound: api_error,
            Exception: internal_error,
        },
    )
    app.state.network = network
    app.state.runs_dir = Path(runs_dir)
    return app
