"""`fitcli gradcheck KIND [FILE]`: the hand-derived gradient against central differences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import typer

from ..errors import EXIT_GRADCHECK, UsageError
from ..report import console
from .examples import epilog
from .options import (
    MAX_POINTS,
    argument,
    check_domains,
    column_list,
    command,
    kind_declaration,
    learn,
    model_flag,
    model_parameters,
    model_variant,
    option,
)
from .shared import about, reported_errors

MAX_CHECKED = 1000  # random points: each costs a pass per parameter and form
DOC = """Compare the hand-derived gradient of the mean loss with central differences.

    At the fit's starting point and at --points random points near it, each partial
    derivative from the model's kernel (and from its Levenberg-Marquardt pass and its
    jacobian()) is compared with (L(p + h e_j) - L(p - h e_j)) / 2h.  Prints a table per
    parameter; exits 6 if any relative error exceeds --tol by more than the finite
    differences' own error.
    """


@dataclass(frozen=True)
class GradcheckOptions:
    """The options of `fitcli gradcheck`."""

    kind: str = argument("KIND", "linear-tanh, ratio2d or project3d.")
    file: Optional[str] = argument(
        "FILE", "CSV of points as for the fit (- reads standard input); without it, synthetic "
        "data from fitcli synth KIND --n N --seed SEED.", default=None)
    columns: Optional[str] = option(None, metavar="NAMES", show_default=False,
                                    help="File columns to read, as for the fit.")
    n: int = option(50, "--n", min=1, max=MAX_POINTS, help="Synthetic points (without FILE).")
    seed: int = option(0, min=0, help="Seed of the synthetic data and the random points.")
    points: int = option(3, min=0, max=MAX_CHECKED, help="Random points checked besides the start.")
    tol: float = option(1e-6, positive=True, below=1.0, help="Largest relative error accepted.")
    normalize: bool = option(
        True, "--normalize/--no-normalize",
        help="Check in the fit's normalised coordinates (as the optimiser sees them) or in "
        "the input's units.")
    json_output: bool = option(False, "--json", help="One JSON object on stdout.")
    quiet: bool = option(False, "--quiet", "-q", help="No table; the exit code says it.")
    debug: bool = option(False, "--debug", help="Show the full traceback of an unexpected error.")
    model_options: dict = field(default_factory=dict)  # KIND's own (its card.options): a variant

    def model(self):
        """The model checked: KIND, or its variant of the model options given.

        Raises:
            UsageError: an option of another model, or one the model cannot take.
        """
        from ..core.models import CARDS, MODELS

        card, given = CARDS[self.kind], {k: v for k, v in self.model_options.items() if v is not None}
        wrong = sorted(set(given) - {o.name for o in card.options})
        if wrong:
            raise UsageError(f"{model_flag(wrong[0])} does not apply to {card.name}")
        return model_variant(MODELS[self.kind], card, given)

    def validate(self) -> "GradcheckOptions":
        check_domains(self)
        return self


learn(GradcheckOptions)


def _model_options(cards) -> list:
    """Every model's own options, once each (a variant to check), defaulting to not given."""
    seen = {}
    for card in cards:
        for o in card.options:
            seen.setdefault(o.name, o)
    return model_parameters(seen.values(), defaults=False)


def register(app: typer.Typer, cards) -> None:
    cards = list(cards)
    extra = _model_options(cards)
    names = {p.name for p in extra}

    def run(**values: Any) -> None:
        own = {k: values.pop(k) for k in list(values) if k in names}
        gradcheck(GradcheckOptions(**values, model_options=own))

    function = command(GradcheckOptions, run, DOC, kind_declaration(cards), extra,
                       name="gradcheck")
    app.command("gradcheck", epilog=epilog("gradcheck"), short_help="Check the hand-derived gradients against central "
                "differences")(function)


def gradcheck(o: GradcheckOptions) -> None:
    with reported_errors(o.debug):
        o = o.validate()
        from ..core.check import check_gradients
        from ..report.tables import GRADCHECK_FORMS, gradcheck_tables

        model = o.model()
        source, data = _data(model, o)
        with about(source, None):
            result = check_gradients(model, data, points=o.points, seed=o.seed, tol=o.tol,
                                     normalize=o.normalize)
        if o.json_output:
            console.write_json({"input": source, **result.to_dict()})
        elif not o.quiet:
            console.print_tables(gradcheck_tables(result, source))
        failed = result.failed()
        if failed:
            worst = max(result.worst_counted(f) for f in GRADCHECK_FORMS)
            console.error(f"gradient check failed for {', '.join(failed)} (largest relative error "
                          f"{worst:.2g} > --tol {o.tol:g})")
            raise typer.Exit(EXIT_GRADCHECK)


def _data(model, o: GradcheckOptions):
    """(source name, the model's data tuple) from FILE or from the synthetic generator."""
    if o.file is None:
        from ..core.synth import synthesize

        source = f"synthetic (fitcli synth {model.name} --n {o.n} --seed {o.seed})"
        values = synthesize(model.name, seed=o.seed, n=o.n).table
    else:
        from ..io.points import read_points

        table = read_points(o.file, model.columns, model=model.name, rename=column_list(o.columns))
        source, values = table.source, table.values
    with about(source):
        data, notes = model.split(values)
    for text in notes:
        console.note(text, o.quiet)
    return source, data
