"""Helpers shared by the GUI tests: a window's actions, reference trainers, flat indices."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QWidget

from engine.core.network import Network, ParameterRef
from engine.core.seeding import seed_streams
from engine.data.dataset import Dataset
from engine.data.datasets import make_dataset
from engine.training.config import TrainingConfig, build_trainer
from engine.training.snapshot import Snapshot
from engine.training.trainer import Trainer
from gui.app.main_window import MainWindow
from gui.base.scrolling import ScrollingPanel


def find_action(window: MainWindow, name: str) -> QAction:
    """The window's action with this objectName (failing the test if there is none)."""
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def trained(config: TrainingConfig, steps: int, dataset: Dataset | None = None) -> Trainer:
    """A trainer built as the window builds it (its dataset made from the config unless
    given), trained `steps` steps in one go, without the window: the reference a run
    through the window must match."""
    if dataset is None:
        dataset = make_dataset(config.dataset, config.samples, config.noise,
                               seed_streams(config.seed).data)
    trainer = build_trainer(config, dataset)
    for _ in range(steps):
        trainer.step()
    return trainer


def flat_index(snapshot: Snapshot, ref: ParameterRef) -> int:
    """Where `ref` sits in the snapshot's flat parameter vector."""
    return Network(snapshot.sizes, snapshot.activation_names).flat_index(ref)


def tick_texts(axis: pg.AxisItem) -> list[tuple[QRectF, str]]:
    """The tick labels the axis would paint now, with their rectangles."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None
    return [(rect, text) for rect, _flags, text in specs[2]]


def dock_panel(content: QWidget) -> QWidget:
    """The panel a dock shows, whether or not it scrolls (gui/base/scrolling.py)."""
    return content.widget() if isinstance(content, ScrollingPanel) else content
