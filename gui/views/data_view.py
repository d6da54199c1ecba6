"""The data in input space, behind it what the network makes of that space.

Two inputs: the decision surface (or the regression surface) over snapshot.grid with the train
points filled and the test points hollow. One input: the data as (x, target) with a fitted curve
supplied by `set_curve`. Instead of the output, the surface can show a map: fixed values
(`show_map`) or one neuron's activation over the plane, following every snapshot
(`show_neuron_map`). More inputs: image data as a gallery of samples, mistakes first
(gui/views/sample_gallery.py), other data as a PCA projection (gui/views/projection_view.py);
clicking a sample there emits `sample_chosen` (the window makes it the canvas's sample).
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from engine.core.notation import feature_name
from engine.data.dataset import Dataset
from engine.training.snapshot import GridOutputs, Snapshot
from gui.base.colors import CLASS_COLORS, POSITIVE, class_color, diverging_colormap
from gui.base.plot_style import (
    background,
    follow_palette,
    foreground,
    reset_axis_text_space,
    style_plot,
)
from gui.views.neuron_maps import map_levels
from gui.views.projection_view import ProjectionView
from gui.views.sample_gallery import SampleGallery

Array = NDArray[np.float64]

WIDTH_MESSAGE = "Data view needs 1 or 2 input features"
_CLASS_ALPHA = 110
_POINT_SIZE = 8
_COLOR_BAR_LABEL_ROOM = 9  # px above the plot: the top half of the colour bar's end label
MAX_POINTS = 5_000  # points drawn of a larger dataset (evenly spread over its rows)


class DataView(QWidget):
    """Decision/regression surface with the data points on top.

    Items are created once: `surface` (ImageItem), `train_points`, `test_points`
    (ScatterPlotItems), `curve` (PlotDataItem for 1-input regression); `gallery` and
    `projection` for more inputs.
    """

    sample_chosen = Signal(int)  # a training row, clicked in the gallery or projection

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataView")
        palette = self.palette()
        self._train: Dataset | None = None
        self._test: Dataset | None = None
        self._grid: GridOutputs | None = None
        self._extent: tuple[float, float, float, float] | None = None
        self._task = ""
        self._output_count = 1
        self._activation_names: tuple[str, ...] = ()
        self._map: tuple[Array, str, tuple[float, float] | None] | None = None
        self._neuron: tuple[int, int, str] | None = None  # layer, index, title of its map
        self._value_range: tuple[float, float] | None = None

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setBackground(background(palette))
        follow_palette(self.plot_widget)
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        style_plot(self.plot, palette)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.surface = pg.ImageItem(axisOrder="row-major")
        self.surface.setZValue(-10)
        self.surface.setOpacity(0.65)  # lighter, so the class-coloured points stand out
        self.plot.addItem(self.surface)
        # Give the image data before the colour bar attaches: ImageItem defers levels set on
        # an empty item and would apply them over the first setImage's own levels.
        self.surface.setImage(np.zeros((1, 1)), autoLevels=False, levels=(0.0, 1.0))
        self.color_bar = pg.ColorBarItem(
            values=(0.0, 1.0), colorMap=diverging_colormap(), width=10, interactive=False,
            colorMapMenu=False,
        )
        self.color_bar.setImageItem(self.surface, insert_in=self.plot)
        style_plot(self.color_bar, palette)
        # Room above the plot for half the bar's top label: "1.0" is centred on the bar's top
        # end and was cut at the view's edge.
        left, _top, right, bottom = self.plot.layout.getContentsMargins()
        self.plot.setContentsMargins(left, _COLOR_BAR_LABEL_ROOM, right, bottom)
        self.surface.clear()
        self.curve = self.plot.plot(pen=pg.mkPen(QColor(*POSITIVE), width=2.5))
        self.curve.setZValue(7)
        self.train_points = pg.ScatterPlotItem(size=_POINT_SIZE, symbol="o")
        self.test_points = pg.ScatterPlotItem(size=_POINT_SIZE, symbol="o")
        self.train_points.setZValue(5)
        self.test_points.setZValue(6)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        # The class key sits above the plot, so it never covers data points.
        self.legend = QLabel(objectName="classLegend", textFormat=Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # ten class names must not widen the dock

        self.message_label = QLabel(WIDTH_MESSAGE, alignment=Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        self.show_test_checkbox = QCheckBox("show test data", checked=True)
        self.show_test_checkbox.setToolTip("Hollow circles: held-out test samples")
        self.show_test_checkbox.toggled.connect(self._on_show_test_toggled)
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.addWidget(self.legend)
        controls.addStretch(1)
        controls.addWidget(self.show_test_checkbox)

        self.gallery = SampleGallery()
        self.projection = ProjectionView()
        self.gallery.sample_chosen.connect(self.sample_chosen)
        self.projection.sample_chosen.connect(self.sample_chosen)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.plot_widget)
        self._stack.addWidget(self.message_label)
        self._stack.addWidget(self.gallery)
        self._stack.addWidget(self.projection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addLayout(self._stack, 1)

    # -- public API ------------------------------------------------------------------------

    def set_data(self, train: Dataset, test: Dataset) -> None:
        """Show these samples (call when the dataset changes)."""
        self._train, self._test = train, test
        self._task = train.task
        self._map = None
        self._neuron = None
        self._value_range = None
        if train.task == "regression" and len(train):
            targets = np.concatenate([train.targets[:, 0], test.targets[:, 0]])
            self._value_range = (float(targets.min()), float(targets.max()))
        self.curve.setData([], [])
        for name in ("left", "bottom"):
            reset_axis_text_space(self.plot.getAxis(name))
        width = train.inputs.shape[1]
        self.message_label.setText(f"{WIDTH_MESSAGE}\n(this dataset has {width})")
        self._show_message(width not in (1, 2))
        if width not in (1, 2):
            self._show_many_inputs(train, test)
            return
        for points, dataset, filled in ((self.train_points, train, True),
                                        (self.test_points, test, False)):
            self._set_points(points, dataset, filled)
        self.test_points.setVisible(self.show_test_checkbox.isChecked() and len(test) > 0)
        self._set_legend(train)
        if width == 1:
            self._grid = None
            self.surface.clear()
            self.surface.setVisible(False)
            self.color_bar.setVisible(False)
            self.plot.setAspectLocked(False)
            self.plot.setLabel("bottom", feature_name(train.feature_names[0]))
            self.plot.setLabel("left", train.target_names[0])
            self.plot.enableAutoRange()
        else:
            self.plot.setLabel("bottom", feature_name(train.feature_names[0]))
            self.plot.setLabel("left", feature_name(train.feature_names[1]))
            self.plot.setAspectLocked(True)
            self._fix_range(_data_extent(train, test))

    def set_snapshot(self, snapshot: Snapshot) -> None:
        """Show the network's output over the input plane (if the snapshot has a grid)."""
        self._task = snapshot.task
        self._output_count = snapshot.sizes[-1]
        self._activation_names = snapshot.activation_names
        if self._train is None:
            self._show_message(snapshot.sizes[0] not in (1, 2))
        page = self._stack.currentWidget()
        evaluation = snapshot.evaluation  # None on frames drawn without new metrics
        if page is self.gallery:
            if evaluation is not None:
                self.gallery.set_predictions(evaluation.train.predicted)
            self.gallery.set_current(snapshot.probe.row)
        elif page is self.projection:
            if evaluation is not None:
                self.projection.set_predictions(evaluation.train.predicted,
                                                evaluation.test.predicted)
            self.projection.set_current(snapshot.probe.row)
        self._grid = snapshot.grid
        if snapshot.grid is None:
            return
        grid = snapshot.grid
        self._fix_range((float(grid.x[0]), float(grid.x[-1]), float(grid.y[0]), float(grid.y[-1])))
        self._draw_surface()

    def set_curve(self, x: Array, y: Array) -> None:
        """The fitted curve of a 1-input regression (the network's output at x)."""
        order = np.argsort(x)
        self.curve.setData(np.asarray(x)[order], np.asarray(y)[order])

    def show_map(self, values: Array | None, title: str = "",
                 levels: tuple[float, float] | None = None) -> None:
        """Show `values` (ny, nx) over the grid instead of the output, on the diverging
        colormap from levels[0] to levels[1] (default +-max |value|); None shows the output."""
        grid = self._grid
        if values is not None and grid is not None and values.shape != grid.values.shape:
            raise ValueError(f"a map of shape {values.shape} does not fit the grid "
                             f"{grid.values.shape}")
        self._map = None if values is None else (values, title, levels)
        self._neuron = None
        self._draw_surface()

    def show_neuron_map(self, layer: int, index: int, title: str = "") -> None:
        """Show a^layer_index over the plane (snapshot.grid.activations[layer][index]) instead of
        the output, following every new snapshot, until `show_map(None)`. Its levels are those
        of the canvas thumbnails (gui/neuron_maps.map_levels)."""
        self._map = None
        self._neuron = (layer, index, title)
        self._draw_surface()

    def shown_neuron(self) -> tuple[int, int] | None:
        """(layer, index) of the neuron whose map is shown, or None (also when the snapshot
        has no map for the neuron asked for)."""
        grid = self._grid
        if self._neuron is None or grid is None or self._neuron_map(grid) is None:
            return None
        return self._neuron[0], self._neuron[1]

    def image_data(self) -> NDArray[np.generic] | None:
        """The array the surface displays ((ny, nx) values, or (ny, nx, 4) class colours)."""
        return self.surface.image

    # -- drawing ---------------------------------------------------------------------------

    def _draw_surface(self) -> None:
        grid = self._grid
        if grid is None:
            return
        self.surface.setVisible(True)
        shown_map = self._map or self._neuron_map(grid)
        if shown_map is not None:
            values, title, levels = shown_map
            if levels is None:
                extent = float(np.max(np.abs(values))) or 1.0
                levels = (-extent, extent)
            self._set_surface(values, diverging_colormap(), levels)
            self.plot.setTitle(title, color=foreground(self.palette()).name())
        elif self._task == "classification" and self._output_count > 1:
            colors = np.array(CLASS_COLORS, dtype=np.uint8)[grid.classes % len(CLASS_COLORS)]
            alpha = np.full(grid.classes.shape + (1,), _CLASS_ALPHA, dtype=np.uint8)
            self.surface.setImage(np.concatenate([colors, alpha], axis=-1), autoLevels=False,
                                  levels=(0, 255))
            self.color_bar.setVisible(False)
            self.plot.setTitle(None)
        elif self._task == "classification":
            # The output is P(class 1): 0.5, the decision boundary, sits at the white centre.
            self._set_surface(grid.values, diverging_colormap(), (0.0, 1.0))
            self.plot.setTitle(None)
        else:
            low, high = self._value_range or (float(grid.values.min()), float(grid.values.max()))
            low, high = min(low, float(grid.values.min())), max(high, float(grid.values.max()))
            self._set_surface(grid.values, pg.colormap.get("viridis"),
                              (low, high if high > low else low + 1.0))
            self.plot.setTitle(None)
        step_x = (grid.x[-1] - grid.x[0]) / max(len(grid.x) - 1, 1)
        step_y = (grid.y[-1] - grid.y[0]) / max(len(grid.y) - 1, 1)
        self.surface.setRect(QRectF(
            grid.x[0] - step_x / 2, grid.y[0] - step_y / 2,
            step_x * len(grid.x), step_y * len(grid.y),
        ))

    def _neuron_map(self, grid: GridOutputs
                    ) -> tuple[Array, str, tuple[float, float]] | None:
        """The shown neuron's map in `grid`, its title and levels (None if it has none)."""
        if self._neuron is None:
            return None
        layer, index, title = self._neuron
        maps = grid.activations
        if not 0 <= layer < len(maps) or not 0 <= index < maps[layer].shape[0]:
            return None
        names = self._activation_names
        activation = names[layer - 1] if 0 < layer <= len(names) else None
        values = maps[layer][index]
        return values, title, map_levels(activation, values)

    def _set_surface(self, values: Array, colormap: pg.ColorMap,
                     levels: tuple[float, float]) -> None:
        self.surface.setImage(values, autoLevels=False, levels=levels)
        self.color_bar.setColorMap(colormap)
        self.color_bar.setLevels(levels)
        self.color_bar.setVisible(True)

    def _set_points(self, points: pg.ScatterPlotItem, dataset: Dataset, filled: bool) -> None:
        """Filled (train) or hollow (test) circles coloured by class or by target value; of a
        large dataset, MAX_POINTS of them spread evenly over its rows."""
        if len(dataset) == 0:
            points.setData([], [])
            return
        if len(dataset) > MAX_POINTS:
            dataset = dataset.subset(np.arange(0, len(dataset), -(-len(dataset) // MAX_POINTS)))
        if dataset.inputs.shape[1] == 1:
            x, y = dataset.inputs[:, 0], dataset.targets[:, 0]
        else:
            x, y = dataset.inputs[:, 0], dataset.inputs[:, 1]
        # One brush or pen object per colour: pyqtgraph renders a symbol per distinct object.
        colors = self._point_colors(dataset)
        keys = [color.rgba() for color in colors]
        outline = background(self.palette())
        if filled:
            brush_of = {key: pg.mkBrush(color) for key, color in zip(keys, colors, strict=True)}
            points.setData(x, y, brush=[brush_of[key] for key in keys],
                           pen=pg.mkPen(outline, width=1))
        else:
            pen_of = {key: pg.mkPen(color, width=2) for key, color in zip(keys, colors,
                                                                           strict=True)}
            points.setData(x, y, brush=pg.mkBrush(None), pen=[pen_of[key] for key in keys])

    def _point_colors(self, dataset: Dataset) -> list[QColor]:
        if dataset.task == "classification":
            return [class_color(int(label)) for label in dataset.class_labels()]
        if dataset.inputs.shape[1] == 1:
            return [foreground(self.palette())] * len(dataset)
        low, high = self._value_range or (0.0, 1.0)
        position = (dataset.targets[:, 0] - low) / (high - low if high > low else 1.0)
        return list(pg.colormap.get("viridis").mapToQColor(np.clip(position, 0.0, 1.0)))

    def _set_legend(self, train: Dataset) -> None:
        """'● 0  ● 1' in the class colours, or nothing for regression."""
        self.legend.setText("&nbsp;&nbsp;".join(
            f'<span style="color:{class_color(index).name()}">●</span>&nbsp;{html.escape(name)}'
            for index, name in enumerate(train.class_names)))
        self.legend.setVisible(bool(train.class_names))

    def _fix_range(self, extent: tuple[float, float, float, float]) -> None:
        if extent == self._extent:
            return
        self._extent = extent
        x_low, x_high, y_low, y_high = extent
        self.plot.setRange(xRange=(x_low, x_high), yRange=(y_low, y_high), padding=0.0)

    def _show_many_inputs(self, train: Dataset, test: Dataset) -> None:
        """Image data: the gallery; other data with more than two inputs: the projection."""
        self.legend.setVisible(False)
        if train.image_shape is not None:
            self.gallery.set_data(train)
            self._stack.setCurrentWidget(self.gallery)
        elif len(train) >= 2:
            self.projection.set_data(train, test)
            self._set_legend(train)
            self._stack.setCurrentWidget(self.projection)

    def shown_page(self) -> QWidget:
        """What the view shows now: plot_widget, message_label, gallery or projection."""
        return self._stack.currentWidget()

    def _show_message(self, show: bool) -> None:
        self._stack.setCurrentWidget(self.message_label if show else self.plot_widget)
        self.show_test_checkbox.setEnabled(not show)

    # -- handlers --------------------------------------------------------------------------

    def _on_show_test_toggled(self, checked: bool) -> None:
        self.test_points.setVisible(checked and self._test is not None and len(self._test) > 0)


def _data_extent(train: Dataset, test: Dataset) -> tuple[float, float, float, float]:
    """The data's bounding box plus 10% (the margin take_snapshot gives its grid)."""
    inputs = np.vstack([train.inputs, test.inputs]) if len(test) else train.inputs
    low, high = inputs.min(axis=0), inputs.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-9)
    return (float(low[0] - margin[0]), float(high[0] + margin[0]),
            float(low[1] - margin[1]), float(high[1] + margin[1]))
