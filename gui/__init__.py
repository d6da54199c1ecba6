"""Deltascope window: PySide6 + pyqtgraph views and the link to the trainer process."""
