"""`fitcli gradcheck KIND [FILE]`: the hand-derived gradient against central differences."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..cli import _column_list, app, reported_errors
from ..errors import EXIT_GRADCHECK, DataError, DegenerateError
from .synth import ModelKind

FORM_LABELS = {
    "cost_grad": "kernel gradient (gd, momentum, adam)",
    "normal": "kernel Gauss-Newton pass (lm)",
    "jacobian": "2 J^T r / n from residuals() and jacobian()",
}


@app.command("gradcheck", short_help="Check the hand-derived gradients against central differences")
def gradcheck(
    kind: Annotated[ModelKind, typer.Argument(metavar="KIND", help="linear-tanh, ratio2d or project3d.")],
    file: Annotated[Optional[str], typer.Argument(
        metavar="FILE", show_default=False,
        help="CSV of points as for the fit (- reads standard input); without it, synthetic "
        "data from fitcli synth KIND --n N --seed SEED.")] = None,
    columns: Annotated[Optional[str], typer.Option(
        metavar="NAMES", show_default=False, help="File columns to read, as for the fit.")] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="Synthetic points (without FILE).")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data and the random points.")] = 0,
    points: Annotated[int, typer.Option(min=0, help="Random points checked besides the start.")] = 3,
    tol: Annotated[float, typer.Option(min=0.0, help="Largest relative error accepted.")] = 1e-6,
    normalize: Annotated[bool, typer.Option(
        "--normalize/--no-normalize",
        help="Check in the fit's normalised coordinates (as the optimiser sees them) or in "
        "the input's units.")] = True,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table; the exit code says it.")] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the full traceback of an unexpected error.")] = False,
) -> None:
    """Compare the hand-derived gradient of the mean loss with central differences.

    At the fit's starting point and at --points random points near it, each partial
    derivative from the model's kernel (and from its Levenberg-Marquardt pass and its
    jacobian()) is compared with (L(p + h e_j) - L(p - h e_j)) / 2h.  Prints a table per
    parameter; exits 6 if any relative error exceeds --tol by more than the finite
    differences' own error.
    """
    with reported_errors(debug):
        from .. import report
        from ..core import MODELS
        from ..core.check import check_gradients
        from ..core.normalize import DegenerateDataError

        model = MODELS[kind.value]
        source, data = _data(kind.value, file, columns, n, seed, quiet)
        try:
            result = check_gradients(model, data, points=points, seed=seed, tol=tol, normalize=normalize)
        except DegenerateDataError as exc:
            raise DegenerateError(f"{source}: {exc}") from None
        if json_output:
            report.write_json({"input": source, **result.to_dict()})
        elif not quiet:
            report.print_tables(tables(result, source))
        failed = result.failed()
        if failed:
            worst = max(result.worst_counted(f) for f in FORM_LABELS)
            report.error(f"gradient check failed for {', '.join(failed)} (largest relative error "
                         f"{worst:.2g} > --tol {tol:g})")
            raise typer.Exit(EXIT_GRADCHECK)


def _data(kind: str, file: str | None, columns: str | None, n: int, seed: int, quiet: bool):
    """(source name, the model's data tuple) from FILE or from the synthetic generator."""
    from .. import report
    from ..core import MODELS
    from ..core.normalize import DegenerateDataError

    model = MODELS[kind]
    if file is None:
        from ..core.synth import synthesize

        source = f"synthetic (fitcli synth {kind} --n {n} --seed {seed})"
        table = synthesize(kind, seed=seed, n=n).table
    else:
        from ..data import read_table

        loaded = read_table(file, model.columns, model=kind, rename=_column_list(columns))
        source, table = loaded.source, loaded.values
    try:
        data, notes = model.split(table)
    except DegenerateDataError as exc:
        raise DegenerateError(f"{source}: {exc}") from None
    except ValueError as exc:
        raise DataError(f"{source}: {exc}") from None
    for text in notes:
        report.note(text, quiet)
    return source, data


def tables(result, source: str):
    """The per-parameter table and the summary of the three forms."""
    from rich.table import Table

    from .. import report

    start, tol, randoms = result.points[0], result.tol, len(result.points) - 1
    note = ("* above --tol, but within the finite differences' own error (e.g. a gradient "
            "that vanishes where the start fits the data)") if result.excused() else None
    main = Table(title=f"{result.model}: gradient of the mean loss at the start point (random: "
                 f"the worst relative error at {randoms} random points); data {source}; "
                 f"coordinates {result.coordinates}",
                 title_justify="left", caption=note, caption_justify="left")
    for name in ("parameter", "analytic", "numeric", "rel. error", "random", "result"):
        main.add_column(name, justify="left" if name in ("parameter", "result") else "right")
    worst_random = result.worst(start=1) if randoms else None
    failed = set(result.failed())
    for j, name in enumerate(result.param_names):
        worst_all = max(float(result.worst(f)[j]) for f in FORM_LABELS)
        verdict = "FAIL" if name in failed else ("ok*" if worst_all > tol else "ok")
        main.add_row(name, f"{start.analytic['cost_grad'][j]:.7g}", f"{start.numeric[j]:.7g}",
                     f"{start.rel_errors('cost_grad')[j]:.1e}",
                     "-" if worst_random is None else f"{worst_random[j]:.1e}", verdict)
    rows = [(FORM_LABELS[f], f"{result.worst_counted(f):.1e}") for f in FORM_LABELS]
    rows.append(("result", "FAILED: " + ", ".join(result.failed()) if failed else "passed"))
    summary = report.figures_table(f"largest relative error, all points (--tol {tol:g})", rows)
    return [main, summary]
