"""The model registry: one package per model, each its card (what the shell shows, loaded
without numpy) and its model (residuals and hand-derived Jacobian side by side, its
kernel's sums, its start).  A new model is its package and a line in CARDS."""

from importlib import import_module

from .card import ModelCard
from .homography import CARD as HOMOGRAPHY
from .linear_tanh import CARD as LINEAR_TANH
from .project3d import CARD as PROJECT3D
from .ratio2d import CARD as RATIO2D

CARDS: dict[str, ModelCard] = {c.name: c for c in (LINEAR_TANH, RATIO2D, PROJECT3D, HOMOGRAPHY)}


def __getattr__(name):
    """MODELS (name -> model) and Model, loaded on first use (they import numpy)."""
    if name == "MODELS":
        models = {n: import_module(f"{__name__}.{c.module}").MODEL for n, c in CARDS.items()}
        globals()["MODELS"] = models
        return models
    if name == "Model":
        from .base import Model

        return Model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CARDS", "MODELS", "Model", "ModelCard"]
