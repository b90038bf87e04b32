"""The page in a real browser (Debian's chromium, driven by Playwright): digits drawn with the
mouse from real handwriting, the prediction, the feature maps, eq. (8.2) for a clicked cell
with its receptive field, uploads, a colour (CIFAR-shaped) checkpoint and the runs view.
Each test saves screenshots (see the ``screenshots`` fixture)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from cnnlab.models import build
from cnnlab.serve.network import Network
from cnnlab.train import Checkpoint, save_checkpoint
from cnnlab.train.checkpoint import model_state
from serve.strokes import digit_strokes
from serve.training import RUN_LIMIT, train_run

PAD_SCALE = 10  # the 280-pixel pad holds a 28-pixel digit ten times over


def first_of_each_class(network, digits) -> list[int]:
    """For each class, the first test digit the network reads right as MNIST stored it."""
    images, labels = digits
    chosen = []
    for label in range(10):
        for n in np.flatnonzero(labels == label):
            image = (images[n] / 255).astype(np.float32)[np.newaxis]
            if network.predict(image)["class"] == label:
                chosen.append(int(n))
                break
    return chosen


def draw(page, image: np.ndarray) -> None:
    """Write ``image``'s digit on the pad with the mouse, stroke by stroke, and wait for the
    prediction of the finished drawing."""
    page.click("#clear")
    box = page.locator("#pad").bounding_box()
    for stroke in digit_strokes(image):
        points = [(box["x"] + PAD_SCALE * x, box["y"] + PAD_SCALE * y) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()
    page.wait_for_selector("#prediction[data-settled=true]", timeout=15000)


def painted(page, selector: str) -> list[float]:
    """The mean brightness of each canvas matching ``selector``."""
    return page.eval_on_selector_all(
        selector,
        """canvases => canvases.map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
            return s / (3 * c.width * c.height); })""",
    )


def test_drawn_digits_are_read_and_every_layer_is_shown(page, network, digits, screenshots):
    images, labels = digits
    for n in first_of_each_class(network, digits):
        draw(page, images[n])
        assert page.get_attribute("#prediction", "data-class") == str(labels[n])
        assert page.inner_text("#prediction").startswith(str(labels[n]))
        if labels[n] == 3:
            page.screenshot(path=screenshots / "draw-3.png")
    page.screenshot(path=screenshots / "draw-9-full.png", full_page=True)
    layers = page.eval_on_selector_all(
        "#maps .layer",
        "ls => ls.map(l => [l.dataset.layer, l.querySelectorAll('canvas.map').length])",
    )
    assert layers == [
        ["conv1", 6],
        ["relu1", 6],
        ["pool1", 6],
        ["conv2", 16],
        ["relu2", 16],
        ["pool2", 16],
    ]
    for name, _ in layers:
        assert max(painted(page, f'.layer[data-layer="{name}"] canvas.map')) > 5, name
    assert page.locator('.layer[data-layer="conv1"] canvas.filter').count() == 6
    assert page.locator('.layer[data-layer="conv2"] canvas.filter').count() == 16 * 6
    assert painted(page, "#seen")[0] > 5
    bars = page.eval_on_selector_all(
        "#probabilities .bar .percent", "ps => ps.map(p => p.textContent)"
    )
    assert len(bars) == 10 and bars[9] == max(bars, key=lambda p: float(p.rstrip("%")))


def click_cell(page, layer: str, channel: int, row: int, col: int, size: int) -> None:
    canvas = page.locator(f'.layer[data-layer="{layer}"] canvas.map[data-channel="{channel}"]')
    box = canvas.bounding_box()
    canvas.click(
        position={"x": (col + 0.5) * box["width"] / size, "y": (row + 0.5) * box["height"] / size}
    )
    page.wait_for_selector(
        f'#explain[data-layer="{layer}"][data-channel="{channel}"][data-row="{row}"][data-col="{col}"]'
    )


CELLS = [  # layer, channel, row, col, map side, the equation shown
    ("conv2", 7, 4, 6, 10, "8.2"),
    ("conv1", 2, 10, 20, 28, "8.2"),
    ("pool1", 3, 6, 5, 14, "8.13"),
    ("relu2", 1, 5, 5, 10, None),
]


def check_explanation(page, network, layer, channel, row, col, equation) -> None:
    """The sum shown is the value in the map, and the receptive field is the geometry's."""
    shown_sum = page.inner_text("#explain-sum")
    assert shown_sum == page.inner_text("#explain-value")  # both to 4 decimals
    result = float(page.get_attribute("#explain-sum", "data-result"))
    value = float(page.get_attribute("#explain-value", "data-value"))
    assert abs(result - value) <= 1e-4 * max(1, abs(value))
    assert "✓ equal" in page.inner_text("#explain")
    if equation:
        assert f"eq. ({equation})" in page.inner_text("#explain")
    blank = np.zeros((1, 28, 28), np.float32)  # the field does not depend on the image
    field = network.explain(blank, layer, channel, row, col)["receptive_field"]
    expected = ",".join(str(field[k]) for k in ("top", "left", "bottom", "right"))
    assert page.get_attribute("#seen", "data-rf") == expected
    assert page.locator(f'.layer[data-layer="{layer}"] .marker.cell').count() == 1


def test_a_clicked_cell_shows_its_equation_and_receptive_field(page, network, digits, screenshots):
    images = digits[0]
    chosen = first_of_each_class(network, digits)
    draw(page, images[chosen[4]])
    for layer, channel, row, col, size, equation in CELLS:
        click_cell(page, layer, channel, row, col, size)
        check_explanation(page, network, layer, channel, row, col, equation)
        page.screenshot(path=screenshots / f"explain-{layer}.png")
    click_cell(page, *CELLS[0][:5])
    assert page.locator('.layer[data-layer="pool1"] .marker.window').count() == 6
    assert page.locator("#explain table.grid").count() == 12  # 6 windows, 6 filters
    assert page.locator('.layer[data-layer="conv2"] canvas.filter.chosen').count() == 6
    # drawing another digit keeps the cell and explains it for the new drawing
    before = page.inner_text("#explain-value")
    draw(page, images[chosen[7]])
    page.wait_for_function(
        """before => { const v = document.querySelector('#explain-value');
                       return v !== null && v.textContent !== before; }""",
        arg=before,
    )
    check_explanation(page, network, *CELLS[0][:4], "8.2")


def digit_photo(image: np.ndarray, path) -> None:
    """A digit written dark on light paper, large and in colour, off-centre, as a photo."""
    big = Image.fromarray(255 - image).resize((300, 300), Image.Resampling.BICUBIC)
    paper = Image.new("RGB", (520, 400), (236, 230, 214))
    ink = Image.merge("RGB", [big.point(lambda v, c=c: int(v * c / 255)) for c in (60, 50, 200)])
    paper.paste(ink, (40, 60), Image.fromarray(255 - np.asarray(big)))
    paper.save(path, quality=92)


def test_upload_an_image_file(page, digits, tmp_path, screenshots):
    images, labels = digits
    photo = tmp_path / "seven.jpg"
    n = int(np.flatnonzero(labels == 7)[0])
    digit_photo(images[n], photo)
    page.set_input_files("#upload", str(photo))
    page.wait_for_selector("#prediction[data-class='7']", timeout=15000)
    assert "inverted" in page.inner_text("#status")
    assert painted(page, "#seen")[0] > 5
    page.screenshot(path=screenshots / "upload.png")
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    page.set_input_files("#upload", str(text))
    page.wait_for_selector("#status.error")
    assert "notes.txt" in page.inner_text("#status")
    assert "Content-Type" in page.inner_text("#status") or "image" in page.inner_text("#status")


@pytest.fixture(scope="module")
def colour_server(tmp_path_factory, live_server_for):
    """A server for a checkpoint of LeNet-5 on 3x32x32 colour images with CIFAR-10's classes."""
    model = build("lenet5", in_channels=3)
    classes = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    path = tmp_path_factory.mktemp("colour") / "checkpoint.npz"
    info = {
        "model": "lenet5",
        "data": "cifar10",
        "engine": "numpy",
        "classes": classes,
        "input_shape": [3, 32, 32],
        "mean": [0.5] * 3,
        "std": [0.5] * 3,
    }
    save_checkpoint(
        path, Checkpoint(1, {"model": "lenet5", "data": "cifar10"}, [], model_state(model), info)
    )
    return live_server_for(Network.from_checkpoint(path))


def test_a_colour_checkpoint_takes_uploads_instead_of_the_pad(
    browser, colour_server, tmp_path, screenshots
):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(colour_server + "/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.is_hidden("#pad") and page.is_hidden("#clear")
    assert page.inner_text("#pad-title") == "Upload an image"
    rng = np.random.default_rng(0)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)).save(photo)
    page.set_input_files("#upload", str(photo))
    page.wait_for_function("() => document.querySelector('#prediction').dataset.class !== ''")
    assert page.locator('.layer[data-layer="conv1"] canvas.map').count() == 6
    seen = page.eval_on_selector(
        "#seen",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let colour = 0; for (let i = 0; i < d.length; i += 4)
              colour += Math.abs(d[i] - d[i + 1]) + Math.abs(d[i + 1] - d[i + 2]);
            return colour; }""",
    )
    assert seen > 0  # the network sees colour
    page.screenshot(path=screenshots / "colour-upload.png")
    context.close()


def run_row(page, name: str) -> list[str]:
    return page.eval_on_selector(
        f'#runs tr[data-run="{name}"]', "row => [...row.cells].map(c => c.textContent)"
    )


def test_runs_view_shows_curves_confusion_and_follows_a_training_run(page, runs_dir, screenshots):
    training = runs_dir / "lenet5-training"
    train_run(training, epochs=3, stop_at=1)
    page.click("#tab-runs")
    page.wait_for_selector('#runs tr[data-run="lenet5-training"]')
    assert run_row(page, "lenet5-training")[4:] == [
        "1 / 3",
        run_row(page, "lenet5-training")[5],
        "training",
    ]
    page.click('#runs tr[data-run="lenet5-finished"]')
    page.wait_for_selector('#run-detail[data-run="lenet5-finished"] #confusion')
    counts = page.eval_on_selector_all(
        "#confusion td", "cells => cells.map(c => Number(c.textContent))"
    )
    assert len(counts) == 100 and sum(counts) == RUN_LIMIT
    assert page.locator("#run-detail svg.chart polyline").count() == 4
    assert run_row(page, "lenet5-finished")[6] == "finished"
    page.screenshot(path=screenshots / "runs-finished.png", full_page=True)
    page.click('#runs tr[data-run="lenet5-training"]')
    page.wait_for_selector('#run-detail[data-run="lenet5-training"][data-epoch="1"]')
    assert "appears when the run has finished" in page.inner_text("#run-detail")
    train_run(training, epochs=3, stop_at=2, resume=True)
    page.wait_for_selector('#run-detail[data-run="lenet5-training"][data-epoch="2"]', timeout=10000)
    assert run_row(page, "lenet5-training")[4] == "2 / 3"
    points = page.get_attribute("#run-detail svg.chart polyline.train", "points")
    assert len(re.findall(r"[\d.]+,[\d.]+", points)) == 2
    page.screenshot(path=screenshots / "runs-training.png", full_page=True)
