"""What the shell shows of a model without loading its numerics: its card.

`fitcli --help` lists the commands and their options from the cards alone, so that it
starts without importing numpy; the model itself (MODELS) is loaded on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelOption:
    """A model's own option (a variant of the model): the shell shows it as a flag."""

    name: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    type: type = str  # without choices: bool (a switch) or str (a value)


@dataclass(frozen=True)
class SynthSetting:
    """A setting of a model's sample-data generator (the shell shows it as an option)."""

    name: str
    default: float
    help: str
    minimum: float | None = None


@dataclass(frozen=True)
class ModelCard:
    """A model's name, columns, starts and options, and the help of its command."""

    name: str
    module: str  # the module (under core.models) whose MODEL is the model
    summary: str  # one line: the command's entry in `fitcli --help`
    description: str  # the rest of the command's help
    columns: tuple[str, ...]  # CSV columns, inputs first, then targets
    inits: tuple[str, ...]  # the starts; the first is the default
    init_help: str
    options: tuple[ModelOption, ...] = ()
    synth_settings: tuple[SynthSetting, ...] = ()
    measured: bool = True  # targets are measurements with noise (not class labels)


CAMERA_SETTINGS = (
    SynthSetting("focal", 1500.0, "Focal length in pixels", 1e-9),
    SynthSetting("width", 1920.0, "Image width in pixels", 1e-9),
    SynthSetting("height", 1080.0, "Image height in pixels", 1e-9),
    SynthSetting("distance", 5.0, "Camera distance from the scene centre", 1e-9),
    SynthSetting("size", 3.0, "Side of the scene cube / plane square", 1e-9),
    SynthSetting("offset", 0.0, "Shift of the world origin, e.g. 1e5 for survey coordinates"),
)
