"""The numerical core: pure numpy; never imports typer, rich or the shell modules."""

from .fit import OPTIMIZER_NAMES, Tolerances, fit
from .models import MODELS
from .result import CONVERGED, FitResult, Status

__all__ = ["CONVERGED", "MODELS", "OPTIMIZER_NAMES", "FitResult", "Status", "Tolerances", "fit"]
