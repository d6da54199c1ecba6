"""The data view for more than two inputs: image data as a gallery (mistakes first), other
data as a PCA projection (mistakes ringed); clicking a sample makes it the canvas's sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from engine.training.config import TrainingConfig, suited_to_dataset
from gui.app.main_window import MainWindow
from gui.views.projection_view import principal_plane

DIGITS = suited_to_dataset(TrainingConfig(dataset="digits", samples=300), "digits")


def test_image_data_shows_a_gallery_with_mistakes_first_and_a_click_picks_the_sample(
        qtbot, make_window) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = make_window(DIGITS)
    snapshot = window.step(6)  # early: still some mistakes
    window.data_dock.raise_()
    view = window.data_view
    gallery = view.gallery
    assert view.shown_page() is gallery
    evaluation = snapshot.evaluation
    assert evaluation is not None and evaluation.train.predicted is not None
    labels = window.trained_data.train.class_labels()  # the rows the gallery shows
    wrong = np.flatnonzero(evaluation.train.predicted != labels)
    assert 0 < len(wrong) == gallery.mistakes()
    order = gallery.order()
    assert sorted(order.tolist()) == list(range(len(labels)))
    assert set(order[:len(wrong)].tolist()) == set(wrong.tolist())  # mistakes first
    first = int(order[0])
    true, predicted = labels[first], evaluation.train.predicted[first]
    assert gallery.cells.label_text(first) == f"{true} → {predicted}"
    assert f"{len(wrong)} of {len(labels)} training samples wrong" in gallery.caption.text()
    target = int(order[3])
    gallery.scroll.ensureVisible(gallery.cell_center(3).x(), gallery.cell_center(3).y())
    qtbot.mouseClick(gallery.cells, Qt.MouseButton.LeftButton, pos=gallery.cell_center(3))
    assert window.sample_spin.value() == target
    qtbot.waitUntil(lambda: window.snapshot.probe.row == target, timeout=3000)
    assert gallery.cells.current == target


def test_other_wide_data_shows_a_projection_and_a_click_picks_the_sample(
        qtbot, make_window, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 5)) * 3
    labels = np.repeat(np.arange(3), 30)
    inputs = centres[labels] + rng.normal(size=(90, 5))
    path = tmp_path / "blobs.csv"
    path.write_text("a,b,c,d,e,kind\n" + "".join(
        ",".join(f"{v:.4f}" for v in row) + f",k{label}\n" for row, label in zip(
            inputs, labels, strict=True)))
    window: MainWindow = make_window()
    assert window.open_dataset(path)
    window.step(2)
    window.data_dock.raise_()
    view = window.data_view
    projection = view.projection
    assert view.shown_page() is projection
    train = window.trained_data.train
    mean, components, explained = principal_plane(train.inputs)
    assert explained[0] >= explained[1] > 0
    np.testing.assert_allclose(projection.train_points.data["x"],
                               (train.inputs - mean) @ components[0])
    evaluation = window.snapshot.evaluation
    wrong = int(np.sum(evaluation.train.predicted != train.class_labels())
                + np.sum(evaluation.test.predicted != window.trained_data.test.class_labels()))
    assert projection.mistake_count() == wrong
    row = 17
    qtbot.mouseClick(projection.plot_widget.viewport(), Qt.MouseButton.LeftButton,
                     pos=projection.point_of(row).toPoint())
    assert window.sample_spin.value() == row
    qtbot.waitUntil(lambda: window.snapshot.probe.row == row, timeout=3000)
