"""Sample data from a known model: the sample files in data/ and the tests' ground truth.
Each model draws its own (Model.synthesize); this is the registry's entry point."""

from __future__ import annotations

from typing import Any

import numpy as np

from .models import MODELS
from .samples import Synthetic


def synthesize(model: str, seed: int = 0, **settings: Any) -> Synthetic:
    """Points drawn by MODELS[model].synthesize with a generator seeded by `seed`."""
    return MODELS[model].synthesize(np.random.default_rng(seed), **settings)


__all__ = ["Synthetic", "synthesize"]
