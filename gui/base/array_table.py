"""A read-only NumPy array as a compact Qt table: ArrayModel (0-, 1- or 2-D values with row
and column labels, numbers to 4 significant digits) and ArrayView (a table that asks for the
room its numbers need and scrolls past MAX_TABLE_WIDTH)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QSizePolicy, QTableView

Array = NDArray[np.float64]
Index = QModelIndex | QPersistentModelIndex

MAX_TABLE_WIDTH = 460
MIN_TABLE_WIDTH = 250  # narrower than this, the table's parent scrolls sideways instead
MIN_VISIBLE_ROWS = 3
HIGHLIGHTED_ROW_COLOR = QColor(236, 224, 244)  # a pale tint of the canvas's highlight purple


class ArrayModel(QAbstractTableModel):
    """A read-only 0-, 1- or 2-D array as a table, numbers to 4 significant digits (the
    tooltip has all 17). Highlighted rows (e.g. the sample the canvas draws) get a tint."""

    def __init__(self, values: Array, row_labels: Sequence[str], column_labels: Sequence[str],
                 highlighted_rows: Sequence[int] = ()) -> None:
        super().__init__()
        self.values = np.asarray(values).reshape(len(row_labels), len(column_labels))
        self.row_labels = list(row_labels)
        self.column_labels = list(column_labels)
        self._highlighted = set(highlighted_rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt override)
        return 0 if parent.isValid() else len(self.row_labels)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.column_labels)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            # + 0.0 shows -0.0 (relu's slope times a negative number) as 0; the tooltip keeps it
            return f"{self.values[index.row(), index.column()] + 0.0:.4g}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{self.values[index.row(), index.column()]:.17g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and index.row() in self._highlighted:
            return HIGHLIGHTED_ROW_COLOR
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        labels = self.column_labels if orientation == Qt.Orientation.Horizontal else self.row_labels
        return labels[section] if 0 <= section < len(labels) else None


class ArrayView(QTableView):
    """A compact table that asks for the room its numbers need, up to MAX_TABLE_WIDTH wide
    and all its rows tall, and scrolls past that (large layers, whole-dataset batches)."""

    def __init__(self, model: ArrayModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        metrics = self.fontMetrics()
        self.horizontalHeader().setDefaultSectionSize(
            max(metrics.horizontalAdvance("-8.888e-88") + 12,
                *(metrics.horizontalAdvance(label) + 16 for label in model.column_labels)))
        self.verticalHeader().setDefaultSectionSize(metrics.height() + 6)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def _extent(self, rows: int) -> QSize:
        model = self.model()
        width = (self.verticalHeader().sizeHint().width() + 2 * self.frameWidth()
                 + model.columnCount() * self.horizontalHeader().defaultSectionSize())
        height = (self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
                  + rows * self.verticalHeader().defaultSectionSize())
        # Room for a vertical scroll bar always: the layout may give fewer rows than asked.
        scrollbar = self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent)
        width += scrollbar
        if width > MAX_TABLE_WIDTH:
            width, height = MAX_TABLE_WIDTH, height + scrollbar
        return QSize(width, height)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return self._extent(self.model().rowCount())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        rows = min(self.model().rowCount(), MIN_VISIBLE_ROWS)
        return QSize(min(self._extent(rows).width(), MIN_TABLE_WIDTH), self._extent(rows).height())
