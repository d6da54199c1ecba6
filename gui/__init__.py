"""Deltascope window: PySide6 + pyqtgraph views and the training worker thread."""
