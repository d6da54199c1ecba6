"""The data view for image data: every training sample as its image, mistakes first.

Each cell is one training sample drawn as its image (the canvas's colours) with its label
under it: the true class alone when the network gets it right, `true → predicted` in red
(and a red frame) when it does not. Mistakes come first, then the rest, each in row order.
The canvas's sample has a dark frame; clicking a cell makes that sample the canvas's sample
(`sample_chosen`). Only the visible cells are drawn, so thousands of samples cost nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.data.dataset import Dataset
from gui.base.colors import MUTED_TEXT, WRONG_TEXT
from gui.views.canvas_images import rgb_image

CELL_WIDTH = 62
CELL_HEIGHT = 70
IMAGE_SIDE = 48
LABEL_HEIGHT = 16


class _Cells(QWidget):
    """The grid of cells inside the scroll area."""

    clicked = Signal(int)  # training row

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("galleryCells")
        self.train: Dataset | None = None
        self.order: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self.labels: NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self.predicted: NDArray[np.intp] | None = None
        self.current = -1
        self.class_names: tuple[str, ...] = ()
        self._scale = 1.0
        self._images: dict[int, QImage] = {}

    def set_data(self, train: Dataset) -> None:
        self.train = train
        self.labels = train.class_labels() if train.task == "classification" \
            else np.zeros(len(train), dtype=np.intp)
        self.class_names = train.class_names
        self.order = np.arange(len(train))
        self.predicted = None
        self._scale = max(1.0, float(np.abs(train.inputs).max())) if len(train) else 1.0
        self._images.clear()
        self._resize_to_fit()
        self.update()

    def columns(self) -> int:
        return max(1, self.width() // CELL_WIDTH)

    def cell_rect(self, position: int) -> QRect:
        """Where the cell at this position of the order is, in this widget's pixels."""
        row, column = divmod(position, self.columns())
        return QRect(column * CELL_WIDTH, row * CELL_HEIGHT, CELL_WIDTH, CELL_HEIGHT)

    def _resize_to_fit(self) -> None:
        rows = -(-len(self.order) // self.columns())
        self.setMinimumHeight(rows * CELL_HEIGHT)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._resize_to_fit()

    def _image(self, row: int) -> QImage:
        image = self._images.get(row)
        if image is None:
            assert self.train is not None and self.train.image_shape is not None
            image = rgb_image(self.train.inputs[row], self.train.image_shape, self._scale)
            if len(self._images) > 4096:
                self._images.clear()
            self._images[row] = image
        return image

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        try:
            self._paint(painter, event.rect())
        finally:
            painter.end()

    def _paint(self, painter: QPainter, area: QRect) -> None:
        painter.fillRect(area, QColor(255, 255, 255))
        if self.train is None or self.train.image_shape is None or not len(self.order):
            return
        columns = self.columns()
        first = max(0, area.top() // CELL_HEIGHT) * columns
        last = min(len(self.order), (area.bottom() // CELL_HEIGHT + 1) * columns)
        rows, image_columns = self.train.image_shape
        pixel = IMAGE_SIDE / max(rows, image_columns)
        width, height = image_columns * pixel, rows * pixel
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for position in range(first, last):
            sample = int(self.order[position])
            cell = self.cell_rect(position)
            left = cell.x() + (CELL_WIDTH - width) / 2
            top = cell.y() + 4 + (IMAGE_SIDE - height) / 2
            frame = QRectF(left, top, width, height)
            painter.drawImage(frame, self._image(sample))
            wrong = self.predicted is not None and self.predicted[sample] != self.labels[sample]
            color = QColor(WRONG_TEXT) if wrong else QColor(206, 212, 218)
            painter.setPen(QPen(color, 2.0 if wrong else 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(frame.adjusted(-1, -1, 1, 1))
            if sample == self.current:
                painter.setPen(QPen(QColor(33, 37, 41), 2.5))
                painter.drawRect(frame.adjusted(-4, -4, 4, 4))
            painter.setPen(QColor(WRONG_TEXT) if wrong else QColor(MUTED_TEXT))
            painter.drawText(QRect(cell.x(), cell.bottom() - LABEL_HEIGHT - 1, CELL_WIDTH,
                                   LABEL_HEIGHT), Qt.AlignmentFlag.AlignCenter,
                             self.label_text(sample))

    def label_text(self, sample: int) -> str:
        """The true class, or `true → predicted` for a mistake (the row alone for regression)."""
        if not self.class_names:
            return f"#{sample}"
        true = self._name(int(self.labels[sample]))
        if self.predicted is None or self.predicted[sample] == self.labels[sample]:
            return true
        return f"{true} → {self._name(int(self.predicted[sample]))}"

    def _name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else str(index)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position().toPoint()
        column = point.x() // CELL_WIDTH
        if column >= self.columns():
            return
        position = point.y() // CELL_HEIGHT * self.columns() + column
        if 0 <= position < len(self.order):
            self.clicked.emit(int(self.order[position]))


class SampleGallery(QWidget):
    """Training samples as images with true and predicted labels, mistakes first."""

    sample_chosen = Signal(int)  # a training row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleGallery")
        self.caption = QLabel(objectName="galleryCaption", wordWrap=True)
        self.cells = _Cells()
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setWidget(self.cells)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.scroll, 1)
        self.cells.clicked.connect(self.sample_chosen)

    def set_data(self, train: Dataset) -> None:
        self.cells.set_data(train)
        self._update_caption()

    def set_predictions(self, predicted: NDArray[np.intp] | None) -> None:
        """The predicted class of every training sample (None: not known yet)."""
        cells = self.cells
        if predicted is None or len(predicted) != len(cells.labels):
            cells.predicted = None
            cells.order = np.arange(len(cells.labels))
        else:
            cells.predicted = np.asarray(predicted)
            wrong = cells.predicted != cells.labels
            cells.order = np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong)])
        self._update_caption()
        cells.update()

    def set_current(self, row: int) -> None:
        """Frame the canvas's sample."""
        if row != self.cells.current:
            self.cells.current = row
            self.cells.update()

    def order(self) -> NDArray[np.intp]:
        """The training rows in the order shown (mistakes first)."""
        return self.cells.order.copy()

    def cell_center(self, position: int) -> QPoint:
        """Centre of the cell at this position of the order, in `cells` coordinates."""
        return self.cells.cell_rect(position).center()

    def mistakes(self) -> int:
        cells = self.cells
        return 0 if cells.predicted is None else int(np.sum(cells.predicted != cells.labels))

    def _update_caption(self) -> None:
        count = len(self.cells.labels)
        if self.cells.predicted is None:
            verdict = f"{count:,} training samples"
        else:
            verdict = f"{self.mistakes():,} of {count:,} training samples wrong, shown first"
        self.caption.setText(f"{verdict} · label: true → predicted · click one to show it in "
                             "the network")
