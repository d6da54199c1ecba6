"""A dock's content that scrolls instead of growing the window.

A dock's minimum size is its content's; a panel with a wide button row or a 10 x 10 table
(Step through, Metrics, Runs) made the window wider than a 1024 x 768 screen once shown.
Wrapped in a ScrollingPanel, the panel fills the dock when there is room and scrolls when
there is not, and the window keeps its size.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class ScrollingPanel(QScrollArea):
    """A frameless scroll area around one panel, scroll bars only when needed."""

    def __init__(self, panel: QWidget) -> None:
        super().__init__()
        self.setObjectName(f"{panel.objectName() or 'panel'}Scroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setWidget(panel)
