"""Saved models (JSON): their documents, and reading them back.

A model file is one JSON object:

    {"format": "fitcli-model", "version": 1, "model": "project3d",
     "params": {"a": ..., ...}, "matrix": [[...]], "normalization": "...",
     "fit": {...figures of the fit...} or null, "input": {"file": ..., "rows": n} or null,
     "truth": {...generator settings...} or null, "options": {...}}

`params` alone defines the model; the rest documents where it came from.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from ..errors import ModelFileError

FORMAT = "fitcli-model"
VERSION = 1


def model_document(model: str, param_names, params, describe: dict[str, Any], *,
                   fit: dict | None = None, source: dict | None = None,
                   truth: dict | None = None, options: dict | None = None) -> dict[str, Any]:
    """The saved form of a model (see the module docstring)."""
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model": model,
        "params": {n: float(v) for n, v in zip(param_names, params)},
    }
    if "matrix" in describe:
        doc["matrix"] = [[float(v) for v in row] for row in describe["matrix"]]
        doc["normalization"] = describe["normalization"]
    doc.update(fit=fit, input=source, truth=truth, options=options or {})
    return doc


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def load_model(path: str, models: dict) -> tuple[Any, list[float], dict[str, Any]]:
    """(model object, params in param_names order, the document) of a saved model;
    path "-" reads standard input.

    Raises:
        ModelFileError: unreadable, not JSON, wrong format or version, unknown model,
            missing or non-finite parameters, options that are not an object of finite values.
    """
    try:
        if path == "-":
            if sys.stdin is None:
                raise ModelFileError("<stdin>: standard input is closed: there is no model to read")
            path, text = "<stdin>", sys.stdin.read()
        else:
            with open(path, encoding="utf-8-sig") as fh:  # a byte-order mark, as in a CSV
                text = fh.read()
        text = text.removeprefix("\ufeff")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc})") from None
    if not text.strip():
        raise ModelFileError(f"{path}: the model file is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: not a valid model file (JSON error at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}; truncated?)"
        ) from None
    except RecursionError:
        raise ModelFileError(f"{path}: not a valid model file (nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise ModelFileError(f"{path}: not a valid model file ({str(exc).split(';')[0]})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a fitcli model file (no \"format\": \"{FORMAT}\")")
    if isinstance(doc.get("version"), bool) or doc.get("version") != VERSION:
        raise ModelFileError(
            f"{path}: model file version {_short(doc.get('version'))} is not supported "
            f"(this fitcli reads {VERSION})"
        )
    name = doc.get("model")
    if not isinstance(name, str) or name not in models:
        raise ModelFileError(
            f"{path}: unknown model kind {_short(name)}; expected one of {', '.join(models)}"
        )
    model = _variant(path, models[name], doc.get("options"))
    params = doc.get("params")
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: \"params\" is missing or not an object")
    missing = [p for p in model.param_names if p not in params]
    if missing:
        raise ModelFileError(f"{path}: {name} parameters missing: {', '.join(missing)}")
    values = []
    for p in model.param_names:
        v = params[p]
        if not _finite(v):
            raise ModelFileError(f"{path}: parameter {p} must be a finite number; got {_short(v)}")
        values.append(float(v))
    _check_options(path, doc.get("options"))
    return model, values, doc


def _variant(path: str, model, options: Any):
    """The model variant the saved options name (e.g. linear-tanh's activation and form)."""
    if not isinstance(options, dict):
        return model
    try:
        names = [o.name for o in model.card.options]
        return model.variant(**{k: options[k] for k in names if k in options})
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _finite(value: Any) -> bool:
    """A JSON number (not a bool) that is finite as a float64."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_options(path: str, options: Any) -> None:
    if options is None:
        return
    if not isinstance(options, dict):
        raise ModelFileError(f"{path}: \"options\" must be an object; got {_short(options)}")
    for key, v in options.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not _finite(v):
            raise ModelFileError(f"{path}: option {key} must be a finite number; got {_short(v)}")


def model_options(model, doc: dict[str, Any]) -> dict[str, Any]:
    """The options of a loaded document that the model's predict/evaluate take."""
    options = doc.get("options") or {}
    return {k: options[k] for k in model.saved_options if k in options}


def fit_document(model, result, source: str, rows: int) -> dict[str, Any]:
    """The saved form of a FitResult: its figures under "fit", its options (those in
    model.saved_options, e.g. linear-tanh's z_scale) under "options"."""
    figures = result.to_dict()
    for key in ("model", "params", "matrix", "normalization"):
        figures.pop(key, None)
    options = {k: figures[k] for k in model.saved_options if k in figures}
    return model_document(model.name, model.param_names, result.params,
                          model.describe(result.params), fit=figures,
                          source={"file": source, "rows": rows}, options=options)
