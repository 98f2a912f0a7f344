"""Class labels of linear-tanh: any two distinct values, one of them read as +1."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...normalize import DegenerateDataError


class Labels(NamedTuple):
    """The two classes as written in the input, and a sentence saying which is +1."""

    positive: str
    negative: str
    how: str


def encode_labels(values: np.ndarray, levels=None,
                  positive: str | None = None) -> tuple[np.ndarray, str]:
    """Map two classes to {+1, -1}; see label_classes().

    Returns:
        (l (n,), a sentence saying which value became +1).
    """
    l, labels = label_classes(values, levels, positive)
    return l, labels.how


def label_classes(values: np.ndarray, levels=None, positive: str | None = None):
    """Map the two distinct values of `values` (n,) to +1 and -1.

    +1 is `positive` if given, else 1 for +1/-1 and 0/1 labels, else the second value in
    sorted order.  `levels` names the values when they are level indices of a text column.

    Returns:
        (l (n,), Labels).

    Raises:
        ValueError: more than two classes, or `positive` is not one of them;
            DegenerateDataError: one class only.
    """
    if len(values) < 2:
        raise DegenerateDataError(f"linear-tanh needs at least 2 points (one of each class); "
                                  f"got {len(values)}")
    distinct = np.unique(values)
    names = [levels[int(v)] if levels else _number_name(v) for v in distinct]
    shown = ", ".join(_said(n, levels) for n in names[:6])
    if len(distinct) > 2:
        more = ", ..." if len(names) > 6 else ""
        raise ValueError(f"linear-tanh separates two classes; the labels take {len(names)} "
                         f"values: {shown}{more}")
    if len(distinct) < 2:
        raise DegenerateDataError(
            f"only one class is present (every label is {shown}): no line separates it"
        )
    pick = _positive_index(distinct, names, levels, positive)
    l = np.where(values == distinct[pick], 1.0, -1.0)
    return l, Labels(names[pick], names[1 - pick], _how(names, pick, levels, positive))


def _said(name: str, levels) -> str:
    """A label as a message shows it: quoted if it is text, cut to 40 characters."""
    text = repr(name) if levels else name
    return text if len(text) <= 40 else text[:37] + "..."


def _number_name(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def _positive_index(distinct, names, levels, positive) -> int:
    if positive is None:
        return 1  # sorted second: 1 of -1/+1 and of 0/1
    if levels:
        found = [i for i, n in enumerate(names) if n == positive.strip()]
    else:
        try:
            found = [i for i, v in enumerate(distinct) if v == float(positive)]
        except ValueError:
            found = []
    if not found:
        raise ValueError(f"`positive={_said(positive, None)}` is not one of the labels "
                         f"({', '.join(_said(n, None) for n in names[:6])})")
    return found[0]


def _how(names, pick, levels, positive) -> str:
    a, b = (_said(n, levels) for n in names)
    pos, neg = (b, a) if pick == 1 else (a, b)
    if not levels and names == ["-1", "1"] and pick == 1:
        return "labels +1/-1"
    if positive is not None:
        why = " (`positive`)"
    elif not levels and names == ["0", "1"]:
        why = ""
    else:
        why = " (the second in sorted order; `positive` chooses)"
    return f"labels {a}/{b}: {pos} is +1{why}, {neg} is -1"
