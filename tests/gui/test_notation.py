"""One notation everywhere (README: Notation): a trained window's every visible text, tooltip,
plot title, axis label, table header, hover card and painted canvas label, and the exported
code's comments, are scanned for the forms that were ruled out."""

from __future__ import annotations

import html
import re

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QGroupBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from engine.core.network import Network, ParameterRef
from engine.core.notation import html_to_plain
from engine.io.numpy_code import numpy_code
from engine.training.config import HiddenLayer, TrainingConfig
from gui.app.main_window import MainWindow
from gui.panels.stepthrough import StepThrough
from gui.views.heatmaps import hover_text
from tests.gui.helpers import find_action

# What was ruled out, and why (the README's Notation section has the chosen forms).
RULED_OUT: dict[str, str] = {
    "0-based subscript": r"(?<![₁-₉])₀",
    "0-based array index as a name": r"[A-Za-z⁰-⁹¹²³]\[\d+(,\s*\d+)?\]",
    "ASCII input name": r"\b[xX]\d\b",
    "capital X input": r"X[₁-₉]",
    "caret or underscore indices": r"\b[Wwbazh]\^[\dmL(]|_(ij|i|j|k|s)\b",
    "0-based sample number": r"#0\b",
    "ASCII gradient": r"d[CL]/d",
    "British spelling": r"(?i)colour",
    "code name shown as a label": r"\b(half_sse|cross_entropy|leaky_relu|reg-gauss|reg-plane"
                                  r"|xor-quadrants)\b",
}
# Exported code may index arrays from 0 (W2[0, 2]) and name its inputs x1: that is code.
CODE_RULES = ("0-based subscript", "caret or underscore indices", "ASCII gradient",
              "British spelling")
# Tooltips may name the code names the CLI and files use, after these words.
CODE_CONTEXT = re.compile(r"code name \S+( \(train --[\w-]+ \S+\))?|--[\w-]+ ['\"]?[\w^*(),]+")


class RecordingPainter(QPainter):
    """A painter that also keeps every text it draws (the canvas paints its labels)."""

    def __init__(self, device: QImage) -> None:
        super().__init__(device)
        self.texts: list[str] = []

    def drawText(self, *args: object) -> None:  # noqa: N802 (Qt's name)
        self.texts.extend(arg for arg in args if isinstance(arg, str))
        super().drawText(*args)  # type: ignore[call-overload]


def _plain(text: str) -> str:
    return html.unescape(html_to_plain(text)) if "<" in text or "&" in text else text


def _widget_texts(root: QWidget) -> list[str]:
    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        texts += [widget.toolTip(), widget.statusTip(), widget.whatsThis()]
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QGroupBox):
            texts.append(widget.title())
        elif isinstance(widget, QDockWidget):
            texts.append(widget.windowTitle())
        elif isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(index) for index in range(widget.count())]
        if isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            for orientation, count in ((Qt.Orientation.Horizontal, model.columnCount()),
                                       (Qt.Orientation.Vertical, model.rowCount())):
                for section in range(min(count, 50)):
                    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                        value = model.headerData(section, orientation, role)
                        if isinstance(value, str):
                            texts.append(value)
        if isinstance(widget, pg.GraphicsView):
            texts += _plot_texts(widget)
    for action in root.findChildren(QAction):
        texts += [action.text(), action.toolTip(), action.statusTip()]
    return texts


def _plot_texts(view: pg.GraphicsView) -> list[str]:
    """Titles, axis labels, tick labels and legend entries of a pyqtgraph view."""
    if isinstance(view, pg.PlotWidget):
        items: list[object] = [view.getPlotItem()]
    else:
        items = list(view.ci.items) if isinstance(view, pg.GraphicsLayoutWidget) else []
    texts: list[str] = []
    for item in items:
        if isinstance(item, pg.LegendItem):
            texts += [label.text for _, label in item.items]
        if not isinstance(item, pg.PlotItem):
            continue
        texts.append(item.titleLabel.text)
        for entry in item.axes.values():
            axis = entry["item"]
            texts.append(axis.labelText)
            for level in axis._tickLevels or []:
                texts += [text for _, text in level]
        if item.legend is not None:
            texts += [label.text for _, label in item.legend.items]
    return texts


def _canvas_texts(window: MainWindow) -> list[str]:
    canvas = window.canvas
    image = QImage(canvas.size(), QImage.Format.Format_ARGB32)
    painter = RecordingPainter(image)
    try:
        canvas.paint_picture(painter)
    finally:
        painter.end()
    texts = painter.texts
    sizes = window.snapshot.sizes
    for m in range(len(sizes)):
        for i in range(sizes[m]):
            canvas._hovered = (m, i)
            texts.append(canvas.hover_text())
    for m in range(1, len(sizes)):
        for i in range(sizes[m]):
            for j in range(sizes[m - 1]):
                canvas._hovered = ParameterRef(m, "weight", i, j)
                texts.append(canvas.hover_text())
    canvas._hovered = None
    return texts


def _heatmap_hovers(window: MainWindow) -> list[str]:
    layers = window.snapshot.layers
    texts = []
    for m, layer in enumerate(layers, start=1):
        rows, columns = layer.weights.shape
        texts += [hover_text(ParameterRef(m, "weight", i, j), layer.weights[i, j],
                             layer.weight_gradients[i, j])
                  for i in range(rows) for j in range(columns)]
        texts += [hover_text(ParameterRef(m, "bias", i), layer.biases[i],
                             layer.bias_gradients[i]) for i in range(rows)]
    return texts


def _violations(texts: list[str], rules: tuple[str, ...] | None = None) -> list[str]:
    found = []
    for raw in texts:
        if not raw:
            continue
        text = CODE_CONTEXT.sub("", _plain(raw))
        for name, pattern in RULED_OUT.items():
            if (rules is None or name in rules) and re.search(pattern, text):
                found.append(f"{name}: {text!r}")
    return found


def test_every_text_of_a_trained_window_uses_the_one_notation(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="xor", hidden=(HiddenLayer(4, "leaky_relu"),),
                                        loss="half_sse"))
    window.resize(1366, 768)
    window.step(60)
    find_action(window, "actionPinRun").trigger()  # the runs table and its tooltips
    for dock in window.findChildren(QDockWidget):
        dock.show()
    window.select_parameter(ParameterRef(2, "weight", 0, 2))
    find_action(window, "actionGradientCheck").trigger()
    qtbot.waitUntil(lambda: window.gradient_check.result is not None, timeout=10000)
    texts = _widget_texts(window) + _canvas_texts(window) + _heatmap_hovers(window)
    find_action(window, "actionColorByGradient").trigger()  # the gradient legend and tags
    texts += _canvas_texts(window)
    window.select_parameter(ParameterRef(1, "bias", 3))
    texts += _widget_texts(window)
    walk = window.findChild(StepThrough)
    assert walk is not None
    find_action(window, "actionStepThrough").trigger()
    while walk.panel.next_button.isEnabled():  # every phase's title, explanation, tables
        texts += _widget_texts(walk.panel)
        walk.panel.next_button.click()
    texts += _widget_texts(walk.panel)
    find_action(window, "actionStepThroughCancel").trigger()
    assert any("W²₁,₃" in text for text in texts)  # the scan saw the selected weight
    assert any("∂C/∂W" in text for text in texts) and any("x₁" in text for text in texts)
    assert len(texts) > 500
    assert _violations(texts) == []


def test_exported_code_comments_use_the_notation() -> None:
    network = Network((2, 3, 1), ("tanh", "sigmoid"))
    code = numpy_code(network)
    comments = [line for line in code.splitlines() if line.lstrip().startswith("#")]
    docstring = code.split('"""')[1]
    assert "W²₁,₃ in Deltascope is W2[0, 2] here" in docstring
    assert _violations(comments + [docstring], CODE_RULES) == []


def test_the_rules_catch_the_old_forms() -> None:
    old = ["h¹₀", "y₀", "x1", "X₁", "W²[0,2]", "W¹_ij", "dC/dw", "‖dC/dW‖", "Colour edges",
           "half_sse", "layer 1: W^1[0,2]", "sample #0"]
    assert len({v.split(":")[0] for v in _violations(old)}) == len(RULED_OUT)
    assert all(_violations([text]) for text in old)
    assert _violations(["h¹₁", "y₁", "x₁", "W²₁,₃", "∂C/∂W²", "‖∂C/∂W²‖", "x₁₀", "Color",
                        "Half squared error", "code name half_sse (train --loss half_sse)"]) == []


def test_the_sample_box_counts_from_one_like_every_other_index(make_window, qtbot) -> None:
    window = make_window(TrainingConfig(dataset="xor"))
    spin = window.sample_spin
    assert spin.value() == 0 and spin.text() == "1"  # row 0, shown as sample 1
    assert spin.maximum() == 3 and spin.textFromValue(spin.maximum()) == "4"
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "3")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 2
    qtbot.waitUntil(lambda: window.snapshot.probe.row == 2, timeout=5000)
    qtbot.keyClicks(spin, "9")  # no sample 39 or 9: the box keeps a valid number
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert spin.value() == 2
