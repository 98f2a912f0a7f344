"""A small JSON object read from a file given to an option (e.g. project3d's
--intrinsics): one-line errors naming the option and the file."""

from __future__ import annotations

import json
from typing import Any

from ..errors import UsageError


def read_json_object(path: str, flag: str) -> dict[str, Any]:
    """The JSON object in `path`.

    Raises:
        UsageError: the file is missing, unreadable, not JSON, or not an object.
    """
    where = f"{flag} {path}"
    try:
        with open(path, encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{where}: cannot read the file ({exc})") from None
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        detail = f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else "invalid"
        raise UsageError(f"{where}: not valid JSON ({detail})") from None
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value
