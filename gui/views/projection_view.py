"""The data view for data with more than two inputs (not images): a 2-D PCA projection.

The training inputs are centred and projected on their first two principal components (a
thin SVD, once per dataset; the test inputs go through the same projection). Points are
coloured by class (by target value for regression), test points hollow; with predictions,
training and test mistakes get a red ring. The canvas's sample is circled; clicking a
training point makes it the canvas's sample (`sample_chosen`).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.data.dataset import Dataset
from gui.base.colors import WRONG_TEXT, class_color
from gui.base.plot_style import background, foreground, style_plot

Array = NDArray[np.float64]

POINT_SIZE = 7
PICK_PIXELS = 8.0  # a click this close to a training point picks it


def principal_plane(inputs: Array) -> tuple[Array, Array, Array]:
    """(mean, components (2, d), explained variance fractions (2,)) of the rows of `inputs`;
    each component's largest entry is positive, so the picture does not flip."""
    mean = inputs.mean(axis=0)
    centred = inputs - mean
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    components = np.zeros((2, inputs.shape[1]))
    count = min(2, vt.shape[0])
    components[:count] = vt[:count]
    for row in components:
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    total = float(np.sum(singular**2))
    explained = np.zeros(2)
    explained[:count] = singular[:count] ** 2 / total if total > 0 else 0.0
    return mean, components, explained


class ProjectionView(QWidget):
    """Training and test samples on the plane of their first two principal components."""

    sample_chosen = Signal(int)  # a training row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("projectionView")
        palette = self.palette()
        self.caption = QLabel(objectName="projectionCaption", wordWrap=True)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setBackground(background(palette))
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        style_plot(self.plot, palette)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.train_points = pg.ScatterPlotItem(size=POINT_SIZE, symbol="o")
        self.test_points = pg.ScatterPlotItem(size=POINT_SIZE, symbol="o")
        self.mistake_points = pg.ScatterPlotItem(
            size=POINT_SIZE + 6, symbol="o", pen=pg.mkPen(QColor(WRONG_TEXT), width=1.6),
            brush=None)
        self.current_point = pg.ScatterPlotItem(
            size=POINT_SIZE + 12, symbol="o", pen=pg.mkPen(foreground(palette), width=2.5),
            brush=None)
        for z, item in enumerate((self.train_points, self.test_points, self.mistake_points,
                                  self.current_point)):
            item.setZValue(z)
            self.plot.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.plot_widget, 1)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_click)
        self._train_xy = np.zeros((0, 2))
        self._test_xy = np.zeros((0, 2))
        self._train_labels: NDArray[np.intp] | None = None
        self._test_labels: NDArray[np.intp] | None = None
        self._current = -1

    def set_data(self, train: Dataset, test: Dataset) -> None:
        """Project the data (call when the dataset changes)."""
        mean, components, explained = principal_plane(train.inputs)
        self._train_xy = (train.inputs - mean) @ components.T
        self._test_xy = (test.inputs - mean) @ components.T if len(test) else np.zeros((0, 2))
        classification = train.task == "classification"
        self._train_labels = train.class_labels() if classification else None
        self._test_labels = test.class_labels() if classification and len(test) else None
        colors = self._colors(train, test)
        self.train_points.setData(pos=self._train_xy, data=np.arange(len(train)),
                                  brush=colors[:len(train)], pen=None)
        self.test_points.setData(pos=self._test_xy, brush=None,
                                 pen=[pg.mkPen(color, width=1.5) for color in colors[len(train):]])
        self.mistake_points.setData(pos=np.zeros((0, 2)))
        for axis, share in (("bottom", explained[0]), ("left", explained[1])):
            number = 1 if axis == "bottom" else 2
            self.plot.setLabel(axis, f"principal component {number} ({100 * share:.0f}% of "
                                     "variance)")
        self.plot.enableAutoRange()
        self._current = -1
        self.current_point.setData(pos=np.zeros((0, 2)))
        self.caption.setText(f"{train.inputs.shape[1]} inputs projected on their first two "
                             "principal components (PCA of the training inputs); hollow: test; "
                             "click a training point to show it in the network")

    def _colors(self, train: Dataset, test: Dataset) -> list[QColor]:
        if train.task == "classification":
            labels = np.concatenate([train.class_labels(),
                                     test.class_labels() if len(test) else []]).astype(int)
            return [class_color(int(label)) for label in labels]
        values = np.concatenate([train.targets[:, 0], test.targets[:, 0]])
        low, high = float(values.min()), float(values.max())
        position = (values - low) / (high - low if high > low else 1.0)
        return list(pg.colormap.get("viridis").mapToQColor(np.clip(position, 0.0, 1.0)))

    def set_predictions(self, train: NDArray[np.intp] | None,
                        test: NDArray[np.intp] | None) -> None:
        """Ring the samples the network gets wrong (classification)."""
        wrong = [np.zeros((0, 2))]
        for xy, labels, predicted in ((self._train_xy, self._train_labels, train),
                                      (self._test_xy, self._test_labels, test)):
            if labels is not None and predicted is not None and len(predicted) == len(labels):
                wrong.append(xy[np.asarray(predicted) != labels])
        self.mistake_points.setData(pos=np.vstack(wrong))

    def mistake_count(self) -> int:
        return len(self.mistake_points.data)

    def set_current(self, row: int) -> None:
        """Circle the canvas's sample."""
        if row == self._current or not 0 <= row < len(self._train_xy):
            return
        self._current = row
        self.current_point.setData(pos=self._train_xy[row:row + 1])

    def point_of(self, row: int) -> QPointF:
        """Where training sample `row` is drawn, in plot_widget coordinates."""
        scene = self.plot.vb.mapViewToScene(QPointF(*self._train_xy[row]))
        return QPointF(self.plot_widget.mapFromScene(scene))

    def _on_click(self, event: object) -> None:
        position = event.scenePos()  # type: ignore[attr-defined]
        if not len(self._train_xy) or not self.plot.vb.sceneBoundingRect().contains(position):
            return
        view = self.plot.vb
        pixel = view.viewPixelSize()
        point = view.mapSceneToView(position)
        dx = (self._train_xy[:, 0] - point.x()) / max(pixel[0], 1e-12)
        dy = (self._train_xy[:, 1] - point.y()) / max(pixel[1], 1e-12)
        distance = np.hypot(dx, dy)
        row = int(np.argmin(distance))
        if distance[row] <= PICK_PIXELS:
            self.sample_chosen.emit(row)
