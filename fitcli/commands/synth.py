"""`fitcli synth KIND`: sample points from a known model, and the model itself."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import typer

from ..core.models.card import ModelCard
from ..errors import UsageError
from ..report import console
from .examples import epilog
from .options import (
    MAX_POINTS,
    Decl,
    argument,
    check_domains,
    command,
    domain_check,
    kind_declaration,
    learn,
    learn_flag,
    option,
)
from .shared import about, reported_errors


@dataclass(frozen=True)
class SynthOptions:
    """The options of `fitcli synth` (the model's generator settings come from its card)."""

    kind: str = argument("KIND", "linear-tanh, ratio2d or project3d.")
    n: int = option(200, "--n", min=1, max=MAX_POINTS, help="Number of points.")
    noise: Optional[float] = option(
        None, min=0.0, show_default=False,
        help="Noise: sigma in pixels per image coordinate (project3d, ratio2d; default 0.5), "
        "or the blur of the class boundary in units of y (linear-tanh; default 0).")
    seed: int = option(0, min=0, help="Random seed: the same seed gives the same file.")
    outliers: float = option(
        0.0, min=0.0, max=1.0,
        help="Fraction of points replaced by gross errors (labels flipped for linear-tanh).")
    output: Optional[str] = option(
        None, "--output", "-o", metavar="FILE", show_default=False, spoken="-o",
        help="Write the CSV here (atomically) instead of stdout; a name ending in .parquet "
        "writes Parquet (40 bytes a camera point, against about 95 as CSV).")
    truth: Optional[str] = option(
        None, metavar="FILE", show_default=False,
        help="Write the true model here, in the format of --output of a fit.")
    settings: dict = field(default_factory=dict)  # the generator's own (card.synth_settings)

    def validate(self, card: ModelCard) -> "SynthOptions":
        from ..io.atomic import check_outputs

        check_domains(self)
        if self.truth == "-" and self.output in (None, "-"):
            raise UsageError("--truth - needs -o FILE: stdout already carries the points")
        check_outputs([("-o", self.output), ("--truth", self.truth)],
                      stdout=self.output in (None, "-") or self.truth == "-")
        allowed = {s.name for s in card.synth_settings}
        wrong = [f"--{k}" for k, v in self.settings.items() if v is not None and k not in allowed]
        if wrong:
            raise UsageError(f"{', '.join(wrong)} does not apply to {card.name}")
        for s in card.synth_settings:
            value = self.settings.get(s.name)
            if value is not None and _setting(s).problem(value):
                raise UsageError(f"--{s.name}: {_setting(s).problem(value)}")
        return self


def _setting(s) -> Decl:
    """The domain of a generator setting: finite, and at least its minimum."""
    return Decl((), s.help, min=s.minimum)


def synth_parameters(cards) -> list[inspect.Parameter]:
    """The generators' settings of every model, once each (models may share them)."""
    seen, out = {}, []
    for card in cards:
        for s in card.synth_settings:
            seen.setdefault(s.name, (s, []))[1].append(card.name)
    for name, (s, owners) in seen.items():
        learn_flag(name, f"--{name}")
        text = f"{owners[0]}: {s.help[:1].lower()}{s.help[1:]}" if len(owners) == 1 else s.help
        extra = {"min": s.minimum} if s.minimum is not None else {}
        info = typer.Option(f"--{name}", show_default=False, help=f"{text} [{s.default:g}].",
                            callback=domain_check(_setting(s)), **extra)
        out.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                     annotation=Annotated[Optional[float], info]))
    return out


learn(SynthOptions)


def register(app: typer.Typer, cards) -> None:
    cards = list(cards)
    names = {s.name for c in cards for s in c.synth_settings}

    def run(**values: Any) -> None:
        settings = {k: values.pop(k) for k in list(values) if k in names}
        synth(SynthOptions(**values, settings=settings))

    function = command(SynthOptions, run, "Write sample points drawn from a known model (CSV on "
                       "stdout, or -o FILE).", kind_declaration(cards), synth_parameters(cards),
                       "synth", before="output")
    app.command("synth", epilog=epilog("synth"), short_help="Write sample points drawn from a known model")(function)


def synth(o: SynthOptions) -> None:
    with reported_errors():
        from ..core.models import CARDS, MODELS
        from ..core.result import plain
        from ..core.synth import synthesize
        from ..io.atomic import staged
        from ..io.modelfile import dumps, model_document
        from ..io.parquet_out import table_content

        o = o.validate(CARDS[o.kind])
        settings = {k: v for k, v in o.settings.items() if v is not None}
        if o.noise is not None:
            settings["noise"] = o.noise
        with about(f"synth {o.kind}", UsageError):  # settings no sample can come from
            sample = synthesize(o.kind, seed=o.seed, n=o.n, outliers=o.outliers, **settings)
        card = CARDS[o.kind]
        own = {k: v for k, v in sample.options.items() if k in {c.name for c in card.options}}
        model = MODELS[o.kind].variant(**own)  # the variant drawn from (e.g. with distortion)
        with staged():  # -o and --truth are put in place together, at the end
            if o.truth:
                truth = {"seed": o.seed, **{k: plain(v) for k, v in sample.settings.items()}}
                described = {**model.describe(sample.params), **sample.options}
                doc = model_document(model.name, model.param_names, sample.params, described,
                                     truth=truth, source={"file": o.output or "-", "rows": o.n},
                                     options={k: described[k] for k in model.saved_options
                                              if k in described})
                console.output(o.truth, dumps(doc), "`truth`")
            console.output(o.output or "-", table_content(o.output, sample.columns, sample.table),
                           "`output`")
