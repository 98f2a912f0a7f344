"""The model registry: one module per model, residuals and hand-derived Jacobian side by side."""

from .base import Model
from .linear_tanh import MODEL as LINEAR_TANH
from .project3d import MODEL as PROJECT3D
from .ratio2d import MODEL as RATIO2D

MODELS: dict[str, Model] = {m.name: m for m in (LINEAR_TANH, RATIO2D, PROJECT3D)}

__all__ = ["MODELS", "Model"]
