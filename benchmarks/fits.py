"""Sections of the benchmark about fitting: fitcli against its peers, optimizers, scale."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from fitcli.core import fit
from fitcli.core.lm import levenberg_marquardt
from fitcli.core.loop import Tolerances
from fitcli.core.models import MODELS
from fitcli.core.manifold import unit

from common import stopwatch, table, timed, timed_pair
from peers import gold_standard, logistic, mean_loss, tanh_optimum


class FitRow(NamedTuple):
    model: str
    n: int
    fitcli_s: float
    peer_s: float
    fitcli_loss: float
    reference_loss: float
    fitcli_iter: str
    peer_iter: str
    peer: str
    extra: dict

    @property
    def speedup(self) -> float:
        return self.peer_s / self.fitcli_s

    @property
    def loss_ratio(self) -> float:
        return self.fitcli_loss / self.reference_loss if self.reference_loss > 0 else 1.0


def fit_row(name: str, data: tuple, repeat: int) -> FitRow:
    """fitcli's default fit (in-process) against the model's peer, on the same data, the
    two timed in turn (common.timed_pair)."""
    z = fit(name, data).extra.get("z_scale", 1.0)
    run_peer = (lambda: logistic(data, z)) if name == "linear-tanh" else \
        (lambda: gold_standard(name, data))

    def peer_call():  # the peer counts only its own work (not mapping back, not the loss)
        peer = run_peer()
        return peer.seconds, peer

    t_fit, result, peer_s, peer = timed_pair(stopwatch(lambda: fit(name, data)), peer_call,
                                             repeat)
    loss = mean_loss(name, result.params, data, z)
    passes = f"{result.n_iter}/{result.n_eval}"
    if name == "linear-tanh":
        reference = tanh_optimum(data, z)
        extra = {"sklearn_line_loss": peer.loss, "reference_s": reference.seconds}
        ref_loss, peer_name = reference.loss, "sklearn LogisticRegression (loss: grid+LM)"
    else:
        ref_loss, peer_name, extra = peer.loss, "scipy least_squares lm", {}
    return FitRow(name, len(data[0]), t_fit, peer_s, loss, ref_loss, passes,
                  peer.iterations, peer_name, extra)


def fit_table(rows: list[FitRow]) -> str:
    header = ["model", "n", "fitcli ms", "peer ms", "peer/fitcli", "fitcli loss",
              "peer loss", "loss ratio - 1", "fitcli it/passes", "peer it", "peer"]
    body = [[r.model, r.n, _ms(r.fitcli_s), _ms(r.peer_s), f"{r.speedup:.1f}x",
             f"{r.fitcli_loss:.12g}", f"{r.reference_loss:.12g}", f"{r.loss_ratio - 1:+.1e}",
             r.fitcli_iter, r.peer_iter, r.peer] for r in rows]
    return table(header, body, "Fits (in-process, default options; medians, fitcli and peer "
                 "timed in turn; losses are mean per-point, input units)")


def _ms(seconds: float) -> str:
    """Milliseconds to 3 significant digits, whole ones from 100 (n = 100 fits take a
    few tenths of one, scipy's million-point fits a few thousand)."""
    ms = seconds * 1e3
    return f"{ms:.0f}" if ms >= 100 else f"{ms:#.3g}"


def optimizer_table(cases: dict[str, tuple], references: dict[str, float], repeat: int) -> str:
    """Every optimizer with its default options on the same data: the basis of the defaults."""
    body = []
    for name, data in cases.items():
        for opt in ("lm", "gd", "momentum", "adam"):
            t, result = timed(lambda: fit(name, data, optimizer=opt), repeat)
            loss = mean_loss(name, result.params, data, result.extra.get("z_scale", 1.0))
            default = "  (default)" if opt == MODELS[name].default_optimizer else ""
            body.append([name, len(data[0]), opt + default, f"{t:.4f}", result.n_iter,
                         result.n_eval, result.status.value,
                         f"{loss / references[name] - 1:+.1e}"])
    header = ["model", "n", "optimizer", "seconds", "iterations", "passes", "status",
              "loss ratio - 1"]
    return table(header, body, "Optimizers (default options each; loss against the peer's)")


def conditioning(data: tuple, optimum_loss: float, iters: int) -> str:
    """Why normalise: the Gauss-Newton condition number in the tangent space, raw against
    Hartley-normalised, and where the tutorial's fixed-step descent gets in `iters` steps."""
    model = MODELS["project3d"]
    result = fit(model, data)
    raw = model.kernel(*data).normal(unit(result.params))[2]
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    start = model.start(kernel, frame.data, "dlt", None)
    internal = levenberg_marquardt(kernel, start, model.manifold, 200, Tolerances())
    normalised = kernel.normal(internal.params)[2]
    lines = ["Conditioning (project3d, n = %d; tangent-space Gauss-Newton matrix at the "
             "optimum)" % len(data[0]),
             f"  condition number, raw data:        {_tangent_condition(raw):.3e}",
             f"  condition number, normalised data: {_tangent_condition(normalised):.3e}"]
    raw_rates, normalised_rates = (1e-2, 1e-5, 1e-8, 1e-11), (1.0, 0.3, 0.1)
    for init in ("identity", "dlt"):  # the tutorial starts from a guess, not from the DLT
        for normalize, rates in ((False, raw_rates), (True, normalised_rates)):
            for lr in rates:
                r = fit(model, data, optimizer="gd", learning_rate=lr, normalize=normalize,
                        init=init, max_iter=iters)
                where = "normalised" if normalize else "raw data  "
                lines.append(f"  fixed-step gd from {init:8s} {where} lr {lr:<6g} {iters} steps: "
                             f"loss / optimum - 1 = {r.cost / optimum_loss - 1:.3e} "
                             f"({r.status.value})")
    return "\n".join(lines)


def _tangent_condition(H: np.ndarray) -> float:
    """max/min eigenvalue of H off its gauge null direction (H params = 0)."""
    ev = np.linalg.eigvalsh(H)
    return float(ev[-1] / ev[1])


def stage_profile(name: str, data: tuple, repeat: int = 300) -> str:
    """Where a small fit's time goes, stage by stage (median microseconds per call), with
    the peer's least_squares call alone beside it: at small n both are fixed costs."""
    from fitcli.core.fit import _Seeded
    from peers import PROBLEMS

    model = MODELS[name]
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    start = model.manifold.retract(model.start(kernel, frame.data, "dlt", _Seeded(0)))
    out = levenberg_marquardt(kernel, start, model.manifold, 200, Tolerances())
    residuals, jacobian = PROBLEMS[name](*frame.data)
    stages = {
        "check (degeneracy)": lambda: model.check(data),
        "frame (Hartley normalisation)": lambda: model.frame(data, True),
        "kernel + DLT start": lambda: model.start(model.kernel(*frame.data), frame.data, "dlt",
                                                  None),
        f"LM ({out.n_iter} iterations)": lambda: levenberg_marquardt(
            kernel, start, model.manifold, 200, Tolerances()),
        "  of which one pass (normal)": lambda: kernel.normal(start),
        "canonical form": lambda: model.canonical(frame.to_original(out.params), data),
        "whole fit()": lambda: fit(name, data),
        "peer: least_squares call alone": lambda: _least_squares(residuals, jacobian, start),
    }
    rows = [[label, f"{timed(f, repeat)[0] * 1e6:.1f}"] for label, f in stages.items()]
    return table(["stage", "us"], rows, f"Where a {name} fit of n = {len(data[0])} spends "
                 "its time (shared with the peer: frame, kernel + DLT start)")


def _least_squares(residuals, jacobian, start):
    from scipy.optimize import least_squares

    return least_squares(residuals, start, jac=jacobian, method="lm",
                         ftol=1e-10, xtol=1e-10, gtol=1e-10)
