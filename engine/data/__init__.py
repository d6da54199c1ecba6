"""Datasets: the Dataset type, built-in generators, digits, CSV files, image shapes, tasks and
the learnability rules. Imports engine.core only.
"""
