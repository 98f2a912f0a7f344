"""fitcli: fit a tanh separator, a 2D ratio map or a 3x4 camera by hand-derived gradients.

The public API (fit, FitResult, MODELS, OPTIMIZERS) is loaded on first use, so the
command line starts without importing numpy.
"""

__version__ = "0.1.0"

_API = {"fit", "FitResult", "MODELS", "OPTIMIZERS", "Status"}


def __getattr__(name):
    if name not in _API:
        raise AttributeError(f"module 'fitcli' has no attribute {name!r}")
    from . import core

    return core.OPTIMIZER_NAMES if name == "OPTIMIZERS" else getattr(core, name)


__all__ = sorted(_API | {"__version__"})
