"""Saved models (JSON) and atomic file writes.

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
import os
import tempfile
from typing import Any

from .errors import ModelFileError

FORMAT = "fitcli-model"
VERSION = 1


def write_atomic(path: str, text: str | bytes) -> None:
    """Write `text` (str as UTF-8, or bytes) to `path` through a temporary file in the same
    folder and a rename: readers see the old file or the new one, never a part; on
    failure the old file stays."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fitcli-", suffix=".tmp", dir=folder)
    binary = isinstance(text, bytes)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    """(model object, params in param_names order, the document) of a saved model.

    Raises:
        ModelFileError: unreadable, not JSON, wrong format or version, unknown model,
            missing or non-finite parameters.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: not a valid model file (JSON error at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}; truncated?)"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a fitcli model file (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise ModelFileError(
            f"{path}: model file version {doc.get('version')!r} is not supported (this fitcli reads {VERSION})"
        )
    name = doc.get("model")
    if name not in models:
        raise ModelFileError(f"{path}: unknown model kind {name!r}; expected one of {', '.join(models)}")
    model = models[name]
    params = doc.get("params")
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: \"params\" is missing or not an object")
    missing = [p for p in model.param_names if p not in params]
    if missing:
        raise ModelFileError(f"{path}: {name} parameters missing: {', '.join(missing)}")
    values = []
    for p in model.param_names:
        v = params[p]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ModelFileError(f"{path}: parameter {p} must be a finite number; got {v!r}")
        values.append(float(v))
    return model, values, doc
