"""Explanations: the inspector's gradient breakdown, mistakes, hand checks, step-through
phases and the gradient check. Imports core, data and training; never engine.io.
"""
