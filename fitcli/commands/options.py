"""Each command's options as one typed, frozen record, declared once.

A record's fields carry their command-line declarations (flags, help, domain); from them
come the command's Typer signature, the record the command works with, and the
vocabulary the printer uses to say the core's parameter names as flags (report.console).
The rules between options are checked in one place per command: its `validate`.

This module does not use `from __future__ import annotations`: Typer reads the
annotations of the signatures built here as types.
"""

import enum
import inspect
import math
from dataclasses import MISSING, dataclass, field, fields
from types import UnionType
from typing import Annotated, Any, Optional, Union, get_args, get_origin, get_type_hints

import typer

from ..errors import UsageError
from ..report.console import set_vocabulary, speak

MAX_POINTS = 10**9  # synthetic points a command may be asked for
REPORT_PANEL = "Report and outliers"
GATE_PANEL = "Quality gates (exit code 5 when one fails)"
DEFAULT_THRESHOLD_SIGMAS = 3.0


@dataclass(frozen=True)
class Decl:
    """How one parameter is given on the command line."""

    flags: tuple[str, ...]  # empty: --name-with-dashes; for an argument, its metavar
    help: str
    argument: bool = False
    choices: tuple[str, ...] = ()
    metavar: Optional[str] = None
    panel: Optional[str] = None
    show_default: Optional[bool] = None
    positive: bool = False  # must be > 0
    min: Optional[float] = None
    max: Optional[float] = None
    below: Optional[float] = None  # must be < this (a tolerance: below 1)
    spoken: Optional[str] = None  # the flag messages name, if not the first of `flags`
    hidden: bool = False  # accepted (to say why it does not apply) but not in --help
    many: bool = False  # an argument given one or more times (FILE...)

    def problem(self, value: Any) -> Optional[str]:
        """Why `value` is outside the option's domain, or None.  A number must be
        finite (NaN and inf mean nothing as a step, a tolerance, a noise or a limit),
        and within the declared bounds."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value):
            return f"must be a finite number; got {value}"
        if self.positive and not value > 0:
            return f"must be > 0; got {value:g}"
        if self.below is not None and not value < self.below:
            return f"must be < {self.below:g}; got {value:g}"
        if self.min is not None and not value >= self.min:
            return f"must be >= {self.min:g}; got {value:g}"
        if self.max is not None and not value <= self.max:
            return f"must be <= {self.max:g}; got {value:g}"
        return None

    def domain(self) -> Optional[str]:
        """The domain as the help states it (typer states min and max itself)."""
        if self.positive and self.below is not None:
            return f"0<x<{self.below:g}"
        return "x>0" if self.positive else None


def option(default: Any, *flags: str, help: str, **decl: Any):
    return field(default=default, metadata={"cli": Decl(flags, help, **decl)})


def argument(metavar: str, help: str, default: Any = MISSING, many: bool = False):
    return field(default=default, metadata={"cli": Decl((metavar,), help, argument=True, many=many)})


def domain_check(d: Decl):
    """The Typer callback that enforces d's domain before any work."""

    def check(value):
        if value is not None and d.problem(value) is not None:
            raise typer.BadParameter(d.problem(value))
        return value + 0.0 if isinstance(value, float) else value  # -0 as 0 (a noise of -0)

    return check


def check_domains(record: Any) -> None:
    """Every declared option of `record` (an options record) within its domain: what the
    command line enforces, for a record built in Python too.

    Raises:
        UsageError: naming the flag.
    """
    for name, _, _, d in _declared(type(record)):
        value = getattr(record, name)
        if value is not None and d.problem(value) is not None:
            flag = d.spoken or (d.flags[0] if d.flags else "--" + name.replace("_", "-"))
            raise UsageError(f"{flag}: {d.problem(value)}")


def choice_type(name: str, choices: tuple[str, ...]) -> type:
    return enum.Enum(name.title().replace("_", ""), {c: c for c in choices}, type=str)


def _flags(name: str, d: Decl, kind: type) -> tuple[str, ...]:
    if d.flags:
        return d.flags
    dashed = "--" + name.replace("_", "-")
    return (f"{dashed}/--no-{dashed[2:]}",) if kind is bool and name in _SWITCHES else (dashed,)


_SWITCHES = {"normalize", "standardize"}  # bool options with an off form (--no-...)


def _parameter(name: str, kind: type, default: Any, d: Decl) -> inspect.Parameter:
    """The Typer parameter of one declared option."""
    if d.choices:
        kind = choice_type(name, d.choices)
        default = kind(default) if default not in (None, MISSING) else default
    annotation = kind if default is not None or kind is bool else Optional[kind]
    if d.many:
        annotation = list[kind]
    if d.argument:
        info = typer.Argument(metavar=d.flags[0], show_default=False, help=d.help)
        default = inspect.Parameter.empty if default is MISSING else default
    else:
        extra = {k: v for k, v in (("metavar", d.metavar), ("rich_help_panel", d.panel),
                                   ("show_default", d.show_default), ("min", d.min),
                                   ("max", d.max)) if v is not None}
        if d.hidden:
            extra["hidden"] = True
        if kind in (int, float):
            extra["callback"] = domain_check(d)
        text = d.help + (f"  [{d.domain()}]" if d.domain() else "")
        info = typer.Option(*_flags(name, d, kind), help=text, **extra)
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=Annotated[annotation, info])


def _declared(record: type):
    """(name, type, default, Decl) of each declared field of a record."""
    hints = get_type_hints(record)
    for f in fields(record):
        if "cli" in f.metadata:
            kind = hints[f.name]
            if get_origin(kind) in (Union, UnionType):  # X | None
                kind = next(a for a in get_args(kind) if a is not type(None))
            yield f.name, kind, f.default, f.metadata["cli"]


def signature(record: type, declarations: dict[str, Decl] | None = None,
              extra: list[inspect.Parameter] = (), before: str | None = None) -> inspect.Signature:
    """The Typer signature of `record`'s options (a Decl in `declarations` replaces the
    field's), with `extra` at the end or before the option named `before`."""
    declarations = declarations or {}
    params = [_parameter(name, kind, default, declarations.get(name, d))
              for name, kind, default, d in _declared(record)]
    at = next((i for i, p in enumerate(params) if p.name == before), len(params))
    return inspect.Signature([*params[:at], *extra, *params[at:]])


def plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def command(record: type, run, doc: str, declarations=None, extra=(), name: str = "command",
            before: str | None = None):
    """A function Typer can register: its signature from `record` (see signature()), its
    body `run(**values)` with the values plain (choices as strings)."""

    def function(**values: Any) -> None:
        run(**{k: plain(v) for k, v in values.items()})

    params = signature(record, declarations, list(extra), before)
    function.__signature__ = params
    function.__annotations__ = {p.name: p.annotation for p in params.parameters.values()}
    function.__doc__ = doc
    function.__name__ = name.replace("-", "_")
    return function


# -- the vocabulary: a parameter's name, said as the user gives it --------------------------

_SPOKEN: dict[str, tuple[str, ...]] = {}  # name -> its flags (first: how messages say it)


def learn(record: type) -> None:
    """Add the flags of `record`'s options to the vocabulary."""
    for name, kind, _, d in _declared(record):
        if not d.argument:
            flags = d.flags or _flags(name, d, kind)
            _SPOKEN.setdefault(name, (d.spoken,) if d.spoken else flags)


def say(name: str, value: Optional[str]) -> Optional[str]:
    """--flag, --flag VALUE, or --no-flag / --flag for a switch's False / True."""
    flags = _SPOKEN.get(name)
    if flags is None:
        return None
    first = flags[0]
    if "/" in first:  # a switch: --normalize/--no-normalize
        on, off = first.split("/")
        return off if value == "False" else on
    if value is None or value == "True":
        return first
    return f"{first} {value}"


def learn_flag(name: str, flag: str) -> None:
    """Add one parameter's flag to the vocabulary (e.g. a generator setting of synth)."""
    _SPOKEN.setdefault(name, (flag,))


def learn_model_options(cards) -> None:
    for card in cards:
        for o in card.options:
            flag = model_flag(o.name)
            if o.type is bool:
                flag = f"{flag}/--no-{flag[2:]}"
            _SPOKEN.setdefault(o.name, (flag,))


MODEL_FLAGS = {"loss_function": "--loss"}  # a model option whose flag is not its name


def model_flag(name: str) -> str:
    return MODEL_FLAGS.get(name, "--" + name.replace("_", "-"))


def model_parameters(options, defaults: bool = True) -> list[inspect.Parameter]:
    """The Typer parameters of models' own options (card.options): a choice, a switch
    (bool), a comma-separated list of choices (list), a JSON file (dict) or a value
    (str).  Without `defaults` every one defaults to None (not given)."""
    out = []
    for o in options:
        flag, help_text = model_flag(o.name), speak(o.help)
        default = o.default if defaults else None
        if o.type in (list, dict):
            info = typer.Option(flag, metavar="LIST" if o.type is list else "FILE",
                                show_default=False, help=help_text)
            annotation = Annotated[Optional[str], info]
        elif o.choices:
            kind = choice_type(o.name, o.choices)
            default = kind(default) if default is not None else None
            info = typer.Option(flag, help=help_text, show_default=defaults)
            annotation = Annotated[kind if default is not None else Optional[kind], info]
        elif o.type is bool:
            info = typer.Option(f"{flag}/--no-{flag[2:]}", show_default=False, help=help_text)
            annotation = Annotated[Optional[bool], info]
        else:
            info = typer.Option(flag, metavar="VALUE", show_default=False, help=help_text)
            annotation = Annotated[Optional[str], info]
        out.append(inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                                     annotation=annotation))
    return out


def model_values(card, given: dict) -> dict:
    """The model's own options as the core takes them: a list option's names checked
    against its choices (a tuple), a file option's JSON object read (a dict).

    Raises:
        UsageError: a name not among the choices; a file that is not a JSON object.
    """
    out = {}
    for o in card.options:
        value = given.get(o.name, o.default)
        if value is not None and o.type is list:
            names = tuple(v.strip() for v in value.split(",") if v.strip() not in ("", "none"))
            wrong = [v for v in names if v not in o.choices]
            if wrong:
                raise UsageError(f"{model_flag(o.name)}: unknown name {wrong[0]!r}; give a "
                                 f"comma-separated subset of {','.join(o.choices)}")
            value = names
        elif value is not None and o.type is dict:
            from ..io.jsonfile import read_json_object

            value = read_json_object(value, model_flag(o.name))
        out[o.name] = value
    return out


def model_variant(model, card, given: dict):
    """model.variant() of the options `given` (name -> the flag's value; see model_values).

    Raises:
        UsageError: options the model cannot take (naming the file of a file option).
    """
    values = model_values(card, given)
    try:
        return model.variant(**values)
    except ValueError as exc:
        files = [f"{model_flag(o.name)} {given[o.name]}: " for o in card.options
                 if o.type is dict and given.get(o.name) is not None]
        raise UsageError(f"{files[0] if files else ''}{exc}") from None


def column_list(text: Optional[str]) -> Optional[list[str]]:
    """The names (or positions) of --columns; a name given twice is refused, as a header
    that names a column twice is.

    Raises:
        UsageError: an empty name, or a name twice.
    """
    if text is None:
        return None
    names = [c.strip() for c in text.split(",")]
    if not all(names):
        raise UsageError(f"--columns must be a comma-separated list of names; got {text!r}")
    lower = [n.lower() for n in names]
    for j, name in enumerate(lower):
        if name in lower[:j]:
            raise UsageError(f"--columns: name '{names[j]}' appears twice (names "
                             f"{lower.index(name) + 1} and {j + 1})")
    return names


def check_file_option(flag: str, path: Optional[str]) -> None:
    """A file option that cannot be standard output (io.atomic.check_outputs checks the
    rest: the folder, a directory, the inputs and the other outputs)."""
    if path == "-":
        raise UsageError(f"{flag} needs a file name (standard output holds the results)")


def kind_declaration(cards) -> dict[str, Decl]:
    """KIND: one of the registry's models."""
    names = tuple(c.name for c in cards)
    return {"kind": Decl(("KIND",), f"{', '.join(names[:-1])} or {names[-1]}.", argument=True,
                         choices=names)}


set_vocabulary(say)
