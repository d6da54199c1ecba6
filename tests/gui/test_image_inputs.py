"""Image inputs in the window: digits in the dataset list with fitting settings, the canvas
drawing the sample as an image and layer 1's neurons as weight images, a weight pixel
selecting that weight in the inspector, and wide layers showing only their strongest tiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDockWidget

from engine.core.network import Network, ParameterRef
from engine.core.notation import number
from engine.data.image_shape import pixel_names
from engine.io.weights_io import load_weights, save_weights
from engine.training.config import HiddenLayer, TrainingConfig, suited_to_dataset
from gui.app import window_files
from gui.app.main_window import MainWindow
from gui.base.colors import signed_rgb
from gui.base.image_shape_prompt import ASK_IMAGE_SHAPE
from gui.panels.inspector import InspectorPanel
from gui.panels.metrics_panel import MetricsPanel, percent
from gui.views.canvas import NetworkCanvas
from gui.views.canvas_images import image_scene, tile_caption

DIGITS = suited_to_dataset(TrainingConfig(dataset="digits", samples=300), "digits")


def color_at(canvas: NetworkCanvas, point: QPointF) -> tuple[int, int, int]:
    image: QImage = canvas.grab().toImage()
    ratio = image.devicePixelRatio()
    color = image.pixelColor(int(point.x() * ratio), int(point.y() * ratio))
    return color.red(), color.green(), color.blue()


def close_to(color: tuple[int, int, int], expected: np.ndarray) -> bool:
    return max(abs(int(a) - int(b)) for a, b in zip(color, expected, strict=True)) <= 2


def test_choosing_digits_in_the_window_sets_softmax_a_test_split_and_images(
        qtbot, make_window, answers) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = make_window()
    assert window.canvas.image_layout() is None  # xor: circles and edges
    window.controls.dataset_combo.setCurrentText("digits")
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.sizes[0] == 64,
                    timeout=5000)
    config = window.config
    assert (config.output_activation, config.loss) == ("softmax", "cross_entropy")
    assert config.test_ratio == 0.25 and window.snapshot.sizes == (64, 32, 10)
    assert not window.controls.noise_spin.isEnabled()
    assert window.sample_spin.maximum() == round(1797 * 0.75) - 1
    image = window.canvas.image_layout()
    assert image is not None and image.shape == (8, 8) and len(image.shown) == 32


def test_the_canvas_draws_the_sample_and_weight_images_in_their_colours(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(DIGITS)
    snapshot = window.step(30)
    canvas = window.canvas
    image = canvas.image_layout()
    assert image is not None and image.hidden_count == 0
    weights = snapshot.layers[0].weights
    scale = float(np.abs(weights).max())
    for neuron, pixel in ((0, 27), (5, 36), (31, 44)):
        point = canvas.edge_midpoint(ParameterRef(1, "weight", neuron, pixel))
        expected = signed_rgb(np.array([weights[neuron, pixel]]), scale)[0]
        assert close_to(color_at(canvas, point), expected), (neuron, pixel)
    sample = snapshot.probe.activations[0]
    inputs_scale = max(1.0, float(np.abs(sample).max()))
    for pixel in (0, 28, 35):
        expected = signed_rgb(np.array([sample[pixel]]), inputs_scale)[0]
        assert close_to(color_at(canvas, canvas.neuron_center(0, pixel)), expected)
    # Colour by dC/dw: the tiles show the gradient rows on their own shared scale.
    window.gradient_colors_action.setChecked(True)
    gradients = snapshot.layers[0].weight_gradients
    point = canvas.edge_midpoint(ParameterRef(1, "weight", 3, 27))
    expected = signed_rgb(np.array([gradients[3, 27]]), float(np.abs(gradients).max()))[0]
    assert close_to(color_at(canvas, point), expected)


def test_clicking_a_weight_pixel_selects_that_weight_in_the_inspector(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(DIGITS)
    snapshot = window.step(12)
    ref = ParameterRef(1, "weight", 7, 29)  # W¹ from pixel (3, 5) into h¹₇
    canvas = window.canvas
    qtbot.mouseMove(canvas, canvas.edge_midpoint(ref).toPoint())
    assert "px_3_5" in canvas.hover_text()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.edge_midpoint(ref).toPoint())
    assert window.selected == ref
    panel = window.findChild(InspectorPanel, "inspector")
    assert panel is not None
    qtbot.waitUntil(lambda: panel.breakdown is not None and panel.breakdown.ref == ref,
                    timeout=2000)
    index = snapshot.sizes[0] * 7 + 29
    assert number(snapshot.params[index]) in panel.values.text()
    assert "product = engine gradient" in panel.combination.text()
    # the tile's dot is the neuron: clicking it selects its bias
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton,
                     pos=canvas.neuron_center(1, 7).toPoint())
    assert window.selected == ParameterRef(1, "bias", 7)


def test_a_wide_first_layer_shows_its_strongest_tiles_and_says_how_many_are_hidden(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(DIGITS.with_changes(hidden=(HiddenLayer(400, "tanh"),)))
    snapshot = window.step(3)
    window.canvas.resize(700, 420)
    qtbot.waitUntil(lambda: window.canvas.image_layout() is not None
                    and window.canvas.image_layout().base.width == 700, timeout=2000)
    image = window.canvas.image_layout()
    assert image is not None and 0 < len(image.shown) < 400
    norms = np.linalg.norm(snapshot.layers[0].weights, axis=1)
    assert norms[image.shown].min() >= np.delete(norms, image.shown).max()
    assert image.pixel * 8 >= 16  # what is drawn stays readable
    scene = image_scene(image, snapshot.probe.activations[0], snapshot.layers[0].weights)
    assert f"{image.hidden_count} hidden" in tile_caption(scene, "weight")[-1]
    assert not window.canvas.drawn_edges()[image.base.edge_layer == 1].any()


def test_digits_confusion_matrices_are_10_by_10_with_recall_and_fit_the_dock(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window = make_window(DIGITS)
    snapshot = window.step(20)
    dock = window.findChild(QDockWidget, "metricsDock")
    panel = window.findChild(MetricsPanel, "metricsPanel")
    assert dock is not None and panel is not None
    dock.raise_()
    qtbot.waitUntil(lambda: panel.shown_evaluation is snapshot.evaluation, timeout=3000)
    evaluation = snapshot.evaluation
    assert evaluation is not None
    counts = panel.train_table.counts()
    assert counts.shape == (10, 10)
    np.testing.assert_array_equal(counts, evaluation.train.confusion)
    table = panel.train_table.table
    recall_column = [table.item(row, 10).text() for row in range(10)]
    assert recall_column == [percent(float(r)) for r in evaluation.train.recalls]
    # one matrix at a time, as wide as the dock allows without scrolling
    assert panel.train_table.isVisible() and not panel.test_table.isVisible()
    assert table.sizeHint().width() <= panel.width()
    panel.set_tabs.setCurrentIndex(1)
    assert panel.test_table.isVisible() and not panel.train_table.isVisible()
    np.testing.assert_array_equal(panel.test_table.counts(), evaluation.test.confusion)


def _pixels_csv(path: Path, names: list[str], rows: int = 24) -> Path:
    rng = np.random.default_rng(2)
    lines = [",".join([*names, "label"])]
    lines += [",".join(f"{v:.3f}" for v in rng.random(len(names))) + f",c{k % 3}"
              for k in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_opening_a_csv_asks_for_an_image_shape_unless_its_columns_name_pixels(
        qtbot, make_window, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[int] = []
    answers_given: list[str | None] = [None, "4x4"]

    def ask(parent: object, name: str, inputs: int) -> str | None:
        asked.append(inputs)
        return answers_given.pop(0)

    monkeypatch.setattr(window_files, "ask_image_shape", ask)
    window: MainWindow = make_window()
    plain = _pixels_csv(tmp_path / "plain.csv", [f"c{k}" for k in range(16)])
    assert not window.open_dataset(plain, image_shape=ASK_IMAGE_SHAPE)  # cancelled
    assert window.snapshot.sizes[0] == 2 and asked == [16]
    assert window.open_dataset(plain, image_shape=ASK_IMAGE_SHAPE)
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 16, timeout=3000)
    image = window.canvas.image_layout()
    assert image is not None and image.shape == (4, 4)
    named = _pixels_csv(tmp_path / "named.csv", list(pixel_names((2, 8))))
    assert window.open_dataset(named, image_shape=ASK_IMAGE_SHAPE)
    assert asked == [16, 16]  # the names said it: no question
    qtbot.waitUntil(lambda: window.canvas.image_layout() is not None
                    and window.canvas.image_layout().shape == (2, 8), timeout=3000)
    assert not window.open_dataset(plain, image_shape="3x3")  # 9 pixels for 16 columns
    assert window.canvas.image_layout().shape == (2, 8)  # nothing changed


def test_weights_with_an_image_shape_give_it_to_a_csv_without_one(
        qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = make_window()
    plain = _pixels_csv(tmp_path / "plain.csv", [f"c{k}" for k in range(16)])
    assert window.open_dataset(plain)
    qtbot.waitUntil(lambda: window.snapshot.sizes[0] == 16, timeout=3000)
    assert window.canvas.image_layout() is None
    weights = tmp_path / "w.json"
    save_weights(weights, Network([16, 5, 3], ["tanh", "softmax"]), "cross_entropy", (4, 4))
    assert window.import_weights(weights)
    qtbot.waitUntil(lambda: window.canvas.image_layout() is not None, timeout=3000)
    assert window.canvas.image_layout().shape == (4, 4)
    exported = tmp_path / "out.npz"
    assert window.export_weights(exported)
    assert load_weights(exported).image_shape == (4, 4)


def test_step_through_highlights_frame_the_tiles_instead_of_painting_them_over(
        make_window) -> None:  # type: ignore[no-untyped-def]
    """Highlighting all of W¹ and the input (a step-through phase) outlined every pixel in
    3 px purple: the tiles and the sample became one solid purple block."""
    from gui.base.colors import HIGHLIGHT

    window = make_window(DIGITS)
    snapshot = window.step(2)
    canvas = window.canvas
    rows, columns = snapshot.layers[0].weights.shape
    weights = [ParameterRef(1, "weight", row, column)
               for row in range(rows) for column in range(columns)]
    canvas.set_highlights([(0, pixel) for pixel in range(columns)], weights)
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(
        image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), :3]
    target = np.array([HIGHLIGHT.blue(), HIGHLIGHT.green(), HIGHLIGHT.red()])  # BGRA order
    purple = (np.abs(pixels.astype(int) - target).sum(axis=2) < 40).mean()
    assert purple < 0.08, purple
