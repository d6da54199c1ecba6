"""Deltascope engine: pure NumPy backpropagation. Never imports Qt."""
