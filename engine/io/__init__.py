"""Files: atomic writes, weight files (JSON, NPZ), sessions, ONNX export and NumPy code.
Imports core, data and training; never engine.explain.
"""
