"""The numerical core: pure numpy; never imports typer, rich or the shell modules.

The API (fit, MODELS, FitResult, ...) is loaded on first use: the model cards
(models.CARDS) load without numpy, for the command line's help.
"""

from importlib import import_module

_API = {"fit": "fit", "Tolerances": "fit", "OPTIMIZER_NAMES": "fit", "MODELS": "models",
        "CONVERGED": "result", "FitResult": "result", "Status": "result"}


def __getattr__(name):
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_API[name]}"), name)
    globals()[name] = value
    return value


__all__ = ["CONVERGED", "MODELS", "OPTIMIZER_NAMES", "FitResult", "Status", "Tolerances", "fit"]
