"""Random networks and inputs shared by the export tests (NumPy code, ONNX)."""

from __future__ import annotations

import numpy as np

from engine.core.network import Network


def random_network(hidden: str, output: str, seed: int = 0) -> Network:
    """A 3-5-4-k network with two `hidden` layers and every parameter drawn at random."""
    outputs = 3 if output == "softmax" else 2
    network = Network([3, 5, 4, outputs], [hidden, hidden, output])
    network.params[...] = np.random.default_rng(seed).normal(0.0, 1.5, network.params.size)
    return network


def sample_inputs(seed: int = 1) -> np.ndarray:
    """Ordinary, large (saturating) and exactly zero inputs."""
    rng = np.random.default_rng(seed)
    return np.vstack([rng.normal(size=(20, 3)), 40.0 * rng.normal(size=(5, 3)), np.zeros((1, 3))])
