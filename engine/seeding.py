"""One seed drives everything: independent random streams for data, initialization, shuffling.

Each stream comes from its own child of numpy's SeedSequence, so regenerating data never
shifts the initial weights and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeedStreams:
    data: np.random.Generator
    init: np.random.Generator
    shuffle: np.random.Generator


def seed_streams(seed: int) -> SeedStreams:
    """Fresh generators for data generation, weight initialization and batch shuffling."""
    data, init, shuffle = np.random.SeedSequence(seed).spawn(3)
    return SeedStreams(
        np.random.default_rng(data), np.random.default_rng(init), np.random.default_rng(shuffle)
    )
