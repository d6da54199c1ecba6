"""The math core: network, activations, losses, optimizers, initializers, input features,
standardization, metrics, notation and errors. Imports nothing else of engine; everything may
import it.
"""
