"""The JSON API: predictions on real digits sent as JSON and as image files, the explanation
endpoint, the runs, and every kind of bad input answered by a 4xx with a JSON error."""

from __future__ import annotations

import io
import json
import socket
import struct
import zlib

import numpy as np
import pytest
from PIL import Image
from starlette.testclient import TestClient

import cnnlab
from cnnlab.models import build
from cnnlab.models.registry import pretrained_path
from cnnlab.serve.app import MAX_BODY, create_app
from cnnlab.serve.network import Network
from cnnlab.train import load_model

LAYERS = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2"]


def png(pixels: np.ndarray, mode: str = "L") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode).save(buffer, "PNG")
    return buffer.getvalue()


def as_json(image: np.ndarray) -> dict:
    return {"image": (image.astype(np.float64) / 255).tolist()}


def engine_classes(images: np.ndarray) -> np.ndarray:
    """The classes the checkpoint's model gives the digits, without the web app."""
    loaded = load_model(pretrained_path("lenet5"))
    return loaded.logits(images[:, np.newaxis]).argmax(axis=1)


def test_json_predictions_are_the_engines_and_right(client, digits):
    images, labels = digits[0][:120], digits[1][:120]
    answers = [client.post("/api/predict", json=as_json(image)) for image in images]
    assert all(a.status_code == 200 for a in answers)
    classes = np.array([a.json()["class"] for a in answers])
    assert np.array_equal(classes, engine_classes(images))
    assert (classes == labels).mean() >= 0.95
    first = answers[0].json()
    assert first["label"] == str(first["class"])
    assert len(first["probabilities"]) == 10
    assert abs(sum(first["probabilities"]) - 1) < 1e-9
    assert np.allclose(first["input"], images[0] / 255, atol=1e-7)


def test_feature_maps_are_the_layer_outputs(client, digits):
    image = digits[0][7]
    answer = client.post("/api/predict", json=as_json(image)).json()
    assert [layer["name"] for layer in answer["layers"]] == LAYERS
    model = build("lenet5", pretrained=True)
    x = cnnlab.from_numpy(((image / 255 - 0.1307) / 0.3081).astype(np.float32)[None, None])
    with cnnlab.no_grad():
        for (name, module), layer in zip(model.named_children(), answer["layers"], strict=False):
            x = module(x)
            assert layer["name"] == name
            assert layer["shape"] == list(x.shape[1:])
            np.testing.assert_allclose(layer["maps"], x.numpy()[0], atol=6e-5)


def test_png_digits_white_on_black_and_black_on_white(client, digits):
    images, labels = digits[0][:40], digits[1][:40]
    for polarity, pixels in (("white on black", images), ("black on white", 255 - images)):
        answers = [
            client.post("/api/predict", content=png(p), headers={"Content-Type": "image/png"})
            for p in pixels
        ]
        assert all(a.status_code == 200 for a in answers), polarity
        assert [a.json()["inverted"] for a in answers] == [polarity == "black on white"] * 40
        accuracy = np.mean([a.json()["class"] == y for a, y in zip(answers, labels, strict=True)])
        assert accuracy >= 0.9, polarity


def test_large_colour_jpeg_of_a_dark_digit_on_paper(client, digits):
    image, label = digits[0][3], digits[1][3]
    big = Image.fromarray(255 - image).resize((420, 420), Image.Resampling.BICUBIC)
    paper = Image.merge("RGB", [big.point(lambda v, s=s: min(255, v + s)) for s in (0, 10, 25)])
    buffer = io.BytesIO()
    paper.save(buffer, "JPEG", quality=90)
    answer = client.post(
        "/api/predict", content=buffer.getvalue(), headers={"Content-Type": "image/jpeg"}
    )
    assert answer.status_code == 200
    assert answer.json()["inverted"] is True
    assert answer.json()["class"] == label
    seen = np.array(answer.json()["input"])
    assert seen.shape == (28, 28)
    # MNIST's layout: the digit inside the central 20x20 box, centred by its mass
    rows, cols = np.flatnonzero(seen.max(axis=1) > 0.1), np.flatnonzero(seen.max(axis=0) > 0.1)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) in (19, 20, 21)
    mass = seen / seen.sum()
    centre = (mass.sum(axis=1) @ np.arange(28), mass.sum(axis=0) @ np.arange(28))
    assert np.allclose(centre, (14, 14), atol=1.0)


def test_invert_can_be_forced(client, digits):
    body = png(digits[0][0])
    for option, expected in (("yes", True), ("no", False), ("auto", False)):
        answer = client.post(
            f"/api/predict?invert={option}", content=body, headers={"Content-Type": "image/png"}
        )
        assert answer.json()["inverted"] is expected


def test_model_info_lists_layers_and_filters(client, network):
    info = client.get("/api/model").json()
    assert info["model"] == "lenet5" and info["digits"] is True
    assert info["input_shape"] == [1, 28, 28]
    assert [layer["name"] for layer in info["layers"]] == LAYERS
    conv2 = info["layers"][3]
    assert conv2["window"] == {
        "kernel": [5, 5],
        "stride": [1, 1],
        "padding": [0, 0],
        "dilation": [1, 1],
    }
    weight = network.loaded.model.conv2.weight.detach().numpy()
    np.testing.assert_allclose(conv2["filters"], weight, atol=1e-5)


def test_a_diverged_model_answers_strict_json(digits):
    loaded = load_model(pretrained_path("lenet5"))
    loaded.model.fc3.bias.detach().numpy()[3] = np.nan
    client = TestClient(create_app(Network(loaded, "diverged"), "no-runs"))
    answer = client.post("/api/predict", json=as_json(digits[0][0]))
    assert answer.status_code == 200
    assert "NaN" not in answer.text
    assert answer.json()["probabilities"] == [None] * 10


def test_explain_a_conv2_cell(client, digits):
    image = as_json(digits[0][5])
    answer = client.post(
        "/api/explain", json={**image, "layer": "conv2", "channel": 3, "row": 4, "col": 6}
    )
    assert answer.status_code == 200
    e = answer.json()
    assert e["equation"] == "8.2" and e["input_layer"] == "pool1"
    assert np.array(e["window"]).shape == (6, 5, 5) and e["input_channels"] == list(range(6))
    assert abs(e["result"] - e["value"]) <= 1e-5 * max(1, abs(e["value"]))
    assert e["receptive_field"] == {"top": 6, "bottom": 19, "left": 10, "right": 23}


# ----- bad input: a 4xx with {"error": ...}, never a 500


def assert_error(answer, status: int, *words: str) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    message = answer.json()["error"]
    for word in words:
        assert word in message, message
    return message


def post_json_text(client, text: str, path: str = "/api/predict"):
    return client.post(path, content=text, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"image": [[0.5, 0.5]', ["not valid JSON"]),
        ("", ["not valid JSON"]),
        (b"\xff\xfe{".decode("latin-1"), ["not valid JSON"]),
        ("[1, 2]", ["must be an object"]),
        ('{"picture": []}', ["no 'image'"]),
        ('{"image": "a seven"}', ["28 rows of 28 numbers", "a str"]),
        ('{"image": [[true]]}', ["28 rows of 28 numbers"]),
        ('{"image": null}', ["null"]),
        ("[" * 100_000 + "]" * 100_000, ["must be an object", "nested too deeply"]),
    ],
)
def test_malformed_json_and_wrong_types(client, body, words):
    answer = post_json_text(client, body)
    assert answer.status_code == 400, answer.text
    assert any(word in answer.json()["error"] for word in words), answer.json()


def grid(rows: int = 28, cols: int = 28, value: float = 0.0) -> list:
    return [[value] * cols for _ in range(rows)]


@pytest.mark.parametrize(
    ("image", "words"),
    [
        (grid(27), ["28 rows of 28 numbers", "27 rows"]),
        (grid(28, 29), ["29 numbers in row 0"]),
        ([*grid(27), [0.0] * 5], ["5 numbers in row 27"]),
        ([[["x"] * 28] * 28], ["28 rows of 28 numbers"]),
        ([grid(), grid()], ["2 channels"]),
        ([[0.0] * 28] * 27 + [[0.0] * 27 + ["0.5"]], ["28 rows of 28 numbers"]),
        (grid(value=1.5), ["in [0, 1]", "1.5"]),
        (grid(value=-0.1), ["in [0, 1]"]),
    ],
)
def test_wrong_shapes_and_values(client, image, words):
    assert_error(client.post("/api/predict", json={"image": image}), 400, *words)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinite_values(client, literal):
    rows = [["0"] * 28 for _ in range(28)]
    rows[3][4] = literal
    text = '{"image": [' + ",".join("[" + ",".join(r) + "]" for r in rows) + "]}"
    assert_error(post_json_text(client, text), 400, "NaN or infinite", "row 3, column 4")


def test_a_huge_integer(client):
    rows = [["0"] * 28 for _ in range(28)]
    rows[0][0] = "1" + "0" * 400
    text = '{"image": [' + ",".join("[" + ",".join(r) + "]" for r in rows) + "]}"
    assert_error(post_json_text(client, text), 400, "too large")


def test_body_over_two_megabytes_by_its_length(client):
    body = b"0" * (MAX_BODY + 1)
    answer = client.post("/api/predict", content=body, headers={"Content-Type": "image/png"})
    assert_error(answer, 413, f"{MAX_BODY + 1:,} bytes")


def test_body_over_two_megabytes_streamed_without_a_length(client):
    sent = []

    def chunks():
        for _ in range(64):
            sent.append(1)
            yield b" " * 65536

    answer = client.post(
        "/api/predict", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(answer, 413, "over")


def test_bytes_that_are_not_an_image(client):
    for kind in ("image/png", "image/jpeg"):
        answer = client.post(
            "/api/predict", content=b"hello, world", headers={"Content-Type": kind}
        )
        assert_error(answer, 400, "not an image")


def test_a_truncated_png(client, digits):
    body = png(digits[0][0])
    answer = client.post("/api/predict", content=body[:90], headers={"Content-Type": "image/png"})
    assert answer.status_code == 400
    assert "error" in answer.json()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(side: int = 12_000) -> bytes:
    """A valid 1-bit PNG of side x side black pixels: a few kilobytes that decode to 18 MB."""
    rows = zlib.compressobj(9)
    blank = b"\x00" * (1 + (side + 7) // 8)  # filter byte + packed bits of one row
    data = b"".join(rows.compress(blank) for _ in range(side)) + rows.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def test_a_decompression_bomb(client):
    bomb = decompression_bomb()
    assert len(bomb) < 100_000
    answer = client.post("/api/predict", content=bomb, headers={"Content-Type": "image/png"})
    assert_error(answer, 413, "too large")


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type(client, kind):
    headers = {} if kind is None else {"Content-Type": kind}
    answer = client.post("/api/predict", content=b'{"image": []}', headers=headers)
    assert_error(answer, 415, "Content-Type", "application/json")


def test_unknown_routes_and_wrong_methods(client):
    assert_error(client.get("/api/nothing"), 404, "/api/nothing")
    assert_error(client.get("/static/nothing.js"), 404)
    assert_error(client.get("/api/predict"), 405, "GET", "POST")
    answer = client.delete("/api/model")
    assert_error(answer, 405, "DELETE")
    assert "GET" in answer.headers["allow"]


def test_bad_invert_option(client, digits):
    answer = client.post(
        "/api/predict?invert=maybe",
        content=png(digits[0][0]),
        headers={"Content-Type": "image/png"},
    )
    assert_error(answer, 400, "'invert'", "maybe")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"layer": "fc1"}, ["'layer' must be one of", "conv1", "pool2"]),
        ({"layer": 3}, ["'layer' must be a layer name"]),
        ({"channel": 6}, ["'channel' must be in 0..5"]),
        ({"row": -1}, ["'row' must be in 0..27"]),
        ({"col": 28}, ["'col' must be in 0..27"]),
        ({"channel": True}, ["'channel' must be an integer"]),
        ({"row": 1.5}, ["'row' must be an integer"]),
        ({"col": None}, ["'col' must be an integer"]),
    ],
)
def test_bad_explain_requests(client, fields, words):
    payload = {"image": grid(), "layer": "conv1", "channel": 0, "row": 0, "col": 0, **fields}
    assert_error(client.post("/api/explain", json=payload), 400, *words)


def test_runs_and_a_missing_run(client):
    found = {run["name"]: run for run in client.get("/api/runs").json()["runs"]}
    assert found["lenet5-finished"]["status"] == "finished"
    assert found["lenet5-finished"]["epoch"] == found["lenet5-finished"]["epochs"] == 2
    assert_error(client.get("/api/runs/nothing"), 404, "no run 'nothing'")
    assert_error(client.get("/api/runs/..%2F..%2Fetc"), 404)


def send_raw(url: str, request: bytes) -> bytes:
    """Send raw bytes to the live server and return its whole answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b'"}' in answer:
                break
    return answer


def test_live_server_refuses_a_huge_body_before_it_arrives_and_keeps_serving(live_server, digits):
    """The 413 comes back while not one byte of the announced 50 MB was sent."""
    head = (
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    )
    answer = send_raw(live_server, head.encode())
    assert answer.startswith(b"HTTP/1.1 413")
    assert b'"error"' in answer
    import httpx2 as httpx

    with httpx.Client(base_url=live_server, timeout=30) as http:
        for bad in (
            http.post("/api/predict", content=b"{", headers={"Content-Type": "application/json"}),
            http.post(
                "/api/predict", content=decompression_bomb(), headers={"Content-Type": "image/png"}
            ),
            http.post("/api/predict", content=b"GIF89a", headers={"Content-Type": "image/gif"}),
            http.put("/api/predict"),
        ):
            assert 400 <= bad.status_code < 500
            assert "error" in bad.json()
        good = http.post("/api/predict", json=as_json(digits[0][0]))
        assert good.status_code == 200 and good.json()["class"] == digits[1][0]
        assert http.get("/").text.count('id="pad"') == 1


def test_page_and_static_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for element in ('id="pad"', 'id="clear"', 'id="prediction"', 'id="maps"', 'id="upload"'):
        assert element in page.text
    for name in ("app.js", "pad.js", "maps.js", "explain.js", "runs.js", "util.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from another site


def test_json_body_is_decoded_as_json(client):
    text = json.dumps(as_json(np.zeros((28, 28), np.uint8)))
    assert post_json_text(client, text).status_code == 200
