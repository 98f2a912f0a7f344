"""The names of the warnings a fit can print, so that a user can silence one by name
(--no-warn NAME, or FITCLI_NO_WARN=NAME,NAME for CI logs); a silenced warning still
is in the JSON's "warnings".  A warning is known by the words it starts with (or holds),
which the tests tie to the messages the code writes."""

from __future__ import annotations

NAMES: dict[str, tuple[str, str]] = {  # name -> (what it is, words of its message)
    "left-handed": ("a left-handed camera (a mirrored axis)", "the camera is left-handed"),
    "skew": ("an implausible camera skew", "implausible skew"),
    "behind-camera": ("points behind the fitted camera", "points are behind the fitted camera"),
    "noise": ("the noise test's verdict when it is not ok", "the residual is "),
    "standard-errors": ("standard errors not determined", "standard errors are not determined"),
    "ransac-limit": ("RANSAC stopped at its draw limit", "RANSAC stopped at its limit"),
    "gate": ("a failed quality gate", "quality gate failed"),
    "not-converged": ("a fit that did not converge or diverged", "not converged:|diverged:"),
    "not-saved": ("the model was not saved with -o", "model not saved to"),
    "separable": ("linear-tanh: separable classes", "the classes are linearly separable"),
    "vertical": ("linear-tanh: a vertical line fits better", "a vertical line (|the best separator is vertical"),
    "above": ("linear-tanh: +1 lies above the line", "the +1 class lies mostly above"),
}


def name_of(message: str) -> str | None:
    """The name of a warning's message, or None for one without a name."""
    for name, (_, words) in NAMES.items():
        if any(w in message for w in words.split("|")):
            return name
    return None
