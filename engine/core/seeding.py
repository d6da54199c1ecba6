"""One seed drives everything: independent random streams for data, split, weights, shuffling.

Each stream comes from its own child of numpy's SeedSequence, so regenerating data never
shifts the initial weights and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeedStreams:
    data: np.random.Generator
    split: np.random.Generator
    init: np.random.Generator
    shuffle: np.random.Generator


def seed_streams(seed: int) -> SeedStreams:
    """Fresh generators for data generation, the train/test split, weights and batch order."""
    children = np.random.SeedSequence(seed).spawn(4)
    return SeedStreams(*(np.random.default_rng(child) for child in children))
