"""A fit command on the stream or dask engine (--engine): the points read as
partitions, the fit and its report as passes over them (core.engines), then the same
report, model file and exit code as on the memory engine."""

from __future__ import annotations

import math
from contextlib import contextmanager
from types import SimpleNamespace

from ..errors import DataError
from ..core.result import Status
from ..report import console
from .shared import about


def fit_on_engine(card, model, o, deliver):
    """Fit `model` with the options `o` (commands.fit.FitOptions) on o.engine; `deliver`
    is the fit command's (the files, the model file, the results).  Returns (report, None)."""
    from ..core.engines import make_engine
    from ..io.points import open_points

    points = open_points(o.file, model.columns, model=card.name, rename=o.column_names,
                         size=o.partition_bytes)
    engine = make_engine(o.engine, points.partitions, o.scheduler)
    try:
        fitted, summary, info = _run(model, engine, points, o)
        report = _report(model, points, engine, fitted, summary, info, o)

        def write_files():
            if o.residuals and report.result.status is not Status.INTERRUPTED:
                from ..report.pointfile import write_engine_residuals

                write_engine_residuals(o.residuals, report, points, summary.request,
                                       engine.offsets)

        deliver(model, report, SimpleNamespace(source=points.source,
                                               n_rows=fitted.result.n_points), o, write_files)
    finally:
        engine.close()
    return report, None


def _run(model, engine, points, o):
    """The fit and its report's passes; the robust method's info as robust_fit's."""
    import dataclasses

    from ..core import Tolerances
    from ..core.engines.fit import engine_fit
    from ..core.engines.report import engine_report
    from ..core.robust import LOSSES
    from ..core.robust_fit import _loss_text

    loss = LOSSES[o.robust](o.threshold) if o.robust in LOSSES else None
    with console.progress(model.name, o.quiet, lambda info: {}) as callback, \
            about(points.source), _named_range(points.source):
        fitted = engine_fit(model, engine, optimizer=o.optimizer, init=o.init,
                            normalize=o.normalize, max_iter=o.max_iter,
                            tol=Tolerances(o.tol, o.xtol, o.gtol), seed=o.seed,
                            callback=callback, loss=loss, columns=points.names,
                            threshold=o.threshold, counted=o.robust != "none")
        summary = engine_report(engine, fitted, sigma=o.sigma)
    result = fitted.result
    rmse = summary.rms_all if o.robust != "none" else math.sqrt(result.cost)
    where = {"name": engine.name, "passes": engine.passes, "partitions": len(engine.partitions)}
    extra = {**result.extra, "engine": where, "rmse": rmse}
    fitted.result = dataclasses.replace(result, extra=extra)
    info = {"method": o.robust, "threshold": o.threshold, "loss": _loss_text(loss)}
    return fitted, summary, info


@contextmanager
def _named_range(source: str):
    """A column out of range, said as the CSV reader says it: file, then column."""
    from ..core.engines.fit import RangeError

    try:
        yield
    except RangeError as exc:
        raise DataError(f"{source}, {exc}") from None


def _report(model, points, engine, fitted, summary, info, o):
    from ..report.record import ReportRequest, build_engine_report

    request = ReportRequest(o.sigma, o.robust, o.threshold, o.residuals, o.plot, o.max_rms,
                            o.min_inliers, o.require_converged)
    offsets = engine.offsets

    def numbers(index):
        with about(points.source):
            return points.numbers(index, offsets)

    return build_engine_report(model, points.source, points.kind, fitted.result, summary, info,
                               request, numbers)
