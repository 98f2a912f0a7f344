"""The plot of a fit: what the residual says (against the noise, or the scores of the
classes), the loss curve where the fit took enough iterations for one to say something,
and the picture of the fit a person wants, by the kind of view of the model (Model.view).

Many points are drawn as a density, with the residual arrows of a random subsample, and
the titles say so.  matplotlib is an optional extra (pip install 'fitcli[plot]') and is
imported only here, only when a plot is asked for.  Figures are drawn with the object
API (no pyplot state) and returned as bytes, so the caller writes them atomically.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from .formats import term

FORMATS = ("png", "pdf", "svg")
MAX_SHOWN = 20000  # points drawn per layer; more only slow the drawing down
DENSE = 5000  # more points than this are drawn as a density
ARROWS = 400  # residual arrows drawn when the points are a density
CURVE_MIN = 8  # a loss curve of fewer values (start included) says nothing a title cannot
INSTALL_HINT = "pip install 'fitcli[plot]'"


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def render(report, data: tuple[np.ndarray, ...], fmt: str = "png") -> bytes:
    """The figure of a fit's report (report.Report) as `fmt` bytes (see figure())."""
    buffer = io.BytesIO()
    figure(report, data).savefig(buffer, format=fmt, dpi=110)
    return buffer.getvalue()


def figure(report, data: tuple[np.ndarray, ...]):
    """The matplotlib Figure of a fit's report: on the left the residual (the loss curve
    above it when it has CURVE_MIN values or more), on the right the view of the
    model's kind (Model.view).

    Args:
        data: the model's data tuple in the input's units.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .record import loss_label

    model, result = report.model, report.result
    wide = model.view == "lens"  # two image panels on the right, each as large as one
    fig = Figure(figsize=(18 if wide else 13, 6), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 3.0 if wide else 1.6])
    left = grid[0]
    if len(result.history) >= CURVE_MIN:
        top, left = grid[0].subgridspec(2, 1)
        _loss_curve(fig.add_subplot(top), result.history, loss_label(model, report.request.robust))
    residual = _scores if model.view == "classes" else _standardised
    residual(fig.add_subplot(left), data, report)
    VIEWS[model.view](fig, grid[1], data, report)
    return fig


def _history_text(history) -> str:
    """What the fit's loss did, for a title: '' where the loss curve shows it."""
    values = np.asarray(history, float)
    if len(values) >= CURVE_MIN:
        return ""
    return (f"loss {values[0]:.4g} at the start, {values[-1]:.4g} after "
            f"{len(values) - 1} iteration{'s' if len(values) != 2 else ''}")


def _loss_curve(ax, history, label: str) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    values = np.asarray(history, float)
    shown = np.where(values > 0, values, np.nan)  # a log axis cannot show an exact 0
    ax.semilogy(np.arange(len(values)), shown, "o-", ms=3, color="tab:blue")
    positive = shown[np.isfinite(shown)]
    digits = 4
    if len(positive) and positive.max() > positive.min():  # enough digits to tell ticks apart
        digits = int(np.clip(2 + np.ceil(np.log10(positive.max() / np.ptp(positive))), 4, 12))
    plain = FuncFormatter(lambda v, _: f"{v:.{digits}g}")
    ax.yaxis.set_major_formatter(plain)
    if len(positive) and positive.max() < 10 * positive.min():  # within a decade: label minor ticks
        ax.yaxis.set_minor_formatter(plain)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration (0 = start)")
    ax.set_ylabel("loss (log scale)")
    ax.set_title(f"{label}\nloss {values[0]:.4g} at the start, {values[-1]:.4g} after "
                 f"{len(values) - 1} iterations", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)


def _standardised(ax, data, report) -> None:
    """The counted points' residual coordinates divided by sigma, as a histogram, with
    the standard normal density they follow when the noise explains them."""
    columns, d = report.columns, report.diagnostics.figures
    r = np.column_stack([columns["ru"], columns["rv"]]) if "ru" in columns else columns["residual"][:, None]
    if report.inlier is not None and d["points"] != "all points":
        r = r[report.inlier]
    sigma = d.get("sigma") or float("nan")
    z = (r / sigma).ravel() if sigma > 0 else np.array([])
    z = z[np.isfinite(z)]
    limit = float(np.clip(np.ceil(np.abs(z).max()) if len(z) else 4.0, 4.0, 6.0))
    inside = z[np.abs(z) <= limit]
    bins = int(np.clip(np.sqrt(len(inside)), 10, 60))
    ax.hist(inside, bins=bins, range=(-limit, limit), density=True, color="tab:blue", alpha=0.6,
            label=f"{len(z)} residual coordinates")
    t = np.linspace(-limit, limit, 400)
    ax.plot(t, np.exp(-t * t / 2) / math.sqrt(2 * math.pi), "k-", lw=1.5, label="normal, sd 1")
    beyond = int(np.sum(np.abs(z) > limit))
    source = "given" if d.get("sigma_source") == "given" else "estimated"
    ax.set_xlabel(f"residual / sigma (sigma = {sigma:.4g}, {source})")
    ax.set_ylabel("density")
    said = [_history_text(report.result.history), f"{beyond} beyond +-{limit:g}" if beyond else ""]
    ax.set_title("\n".join(["residuals against the noise: they follow the curve when it "
                            "explains them", "; ".join(t for t in said if t)]).strip(), fontsize=10)
    _headroom(ax)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(True, alpha=0.3)


def _scores(ax, data, report) -> None:
    """The classes' scores z as two histograms: a point is misclassified on the other
    side of z = 0."""
    columns, l = report.columns, data[2]
    z = np.asarray(columns["z"], float)
    lo, hi = np.percentile(z, [0.5, 99.5]) if len(z) else (-1.0, 1.0)
    span = max(abs(lo), abs(hi)) or 1.0
    bins = np.linspace(-span, span, int(np.clip(np.sqrt(len(z)), 10, 60)) + 1)
    for label, colour in ((1.0, "tab:blue"), (-1.0, "tab:orange")):
        ax.hist(np.clip(z[l == label], -span, span), bins=bins, color=colour, alpha=0.55,
                label=f"label {label:+g} ({int(np.sum(l == label))})")
    ax.axvline(0.0, color="k", lw=1.2, label="z = 0, the line")
    ax.set_xlabel("z (positive: classified +1)")
    ax.set_ylabel("points")
    ax.set_title(f"scores per class: the misclassified cross z = 0\n"
                 f"{_history_text(report.result.history)}".strip(), fontsize=10)
    _headroom(ax)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(True, alpha=0.3)


def _headroom(ax) -> None:
    """Room above the tallest bar for the legend in the upper corner."""
    ax.set_ylim(0.0, 1.25 * ax.get_ylim()[1])


def _legend(ax) -> None:
    """The legend below the axes, clear of the tick labels and the axis label at any
    size of the axes (an offset in points, not in the axes' fraction)."""
    from matplotlib.transforms import offset_copy

    below = offset_copy(ax.transAxes, fig=ax.figure, y=-34, units="points")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below, ncol=3,
              fontsize=8, frameon=False)


def _shown(mask: np.ndarray, limit: int = MAX_SHOWN) -> np.ndarray:
    """Indices of the True entries of mask, at most `limit` (a random subsample, the
    same on every call for the same mask)."""
    index = np.flatnonzero(mask)
    if len(index) <= limit:
        return index
    return np.sort(np.random.default_rng(0).choice(index, limit, replace=False))


def _classes(fig, spec, data, report) -> None:
    """Two classes of points and the line between them (the classification's line)."""
    ax = fig.add_subplot(spec)
    x, y, l = data
    columns = report.columns
    line = report.section("classification").content["line"]
    wrong = columns["label_hat"] != l
    limit = DENSE if len(x) > DENSE else MAX_SHOWN
    for label, colour in ((1.0, "tab:blue"), (-1.0, "tab:orange")):
        mask = l == label
        i = _shown(mask, limit)
        part = f", {len(i)} of {int(mask.sum())} drawn at random" if len(i) < mask.sum() else ""
        ax.scatter(x[i], y[i], s=12 if len(x) <= DENSE else 3, color=colour, alpha=0.8,
                   label=f"label {label:+g}{part}")
    i = _shown(wrong, limit)
    ax.scatter(x[i], y[i], s=70, facecolors="none", edgecolors="red", linewidths=1.2,
               label=f"misclassified ({int(wrong.sum())})")
    k, b, side = line["k"], line["b"], line["positive_side"]
    if k is None:  # the general form's vertical line
        ax.axvline(line["x"], color="k", lw=1.5, label=f"x = {line['x']:.4g}")
    else:
        xs = np.array([x.min(), x.max()])
        ax.plot(xs, k * xs + b, "k-", lw=1.5, label=f"y = {k:.4g} x {term(b, 4)}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    name = report.model.name
    ax.set_title(f"{name}: +1 lies {side} the line" if k is not None else
                 f"{name}: +1 lies to the {side} of the line")
    _legend(ax)


def _scalar(fig, spec, data, report) -> None:
    """One target: observed against predicted, and the residual."""
    columns, inlier = report.columns, report.inlier
    top, bottom = spec.subgridspec(2, 1, height_ratios=[2, 1])
    ax, res = fig.add_subplot(top), fig.add_subplot(bottom)
    target = report.model.columns[-1]
    observed, predicted = data[-1], columns[f"{target}_hat"]
    good = np.ones(len(observed), bool) if inlier is None else inlier
    dense = len(observed) > DENSE
    for axis, y in ((ax, predicted), (res, predicted - observed)):
        if dense:
            _density(axis, observed[good], y[good], f"{int(good.sum())} points: density")
        else:
            axis.scatter(observed[good], y[good], s=10, color="tab:blue", label="points")
        if not good.all():
            i = _shown(~good)
            axis.scatter(observed[i], y[i], s=30, marker="x", color="red",
                         label=f"outliers ({int((~good).sum())})")
    lo, hi = float(observed.min()), float(observed.max())
    ax.plot([lo, hi], [lo, hi], "k-", lw=1, label="predicted = observed")
    res.axhline(0.0, color="k", lw=1)
    if not good.all():  # keep the inliers' residuals readable
        res.set_ylim(*_padded((predicted - observed)[good], 0.3))
    ax.set_ylabel(f"predicted {target}")
    res.set_xlabel(f"observed {target}")
    res.set_ylabel("predicted - observed")
    ax.set_title(f"{report.model.name}: observed against predicted, and the residual")
    ax.legend(loc="best", fontsize=8)


def nice_scale(want: float) -> float:
    """The largest of 1, 2, 5 x 10^k not above `want` (at least 1e-300)."""
    if not want > 0 or not math.isfinite(want):
        return 1.0
    power = 10.0 ** math.floor(math.log10(want))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= want * (1 + 1e-12))


def _image(fig, spec, data, report) -> None:
    """Image points, their reprojections and the residual vectors; many points as a
    density with the arrows of a random subsample.  The axes hold every arrow."""
    columns, inlier = report.columns, report.inlier
    ax = fig.add_subplot(spec)
    uv = data[1]
    uv_hat = np.column_stack([columns["u_hat"], columns["v_hat"]])
    error, depth = columns["error"], columns["depth"]
    n = len(uv)
    good = np.ones(n, bool) if inlier is None else inlier
    extent = float(np.ptp(uv, axis=0).max()) or 1.0
    typical = float(np.median(error[good])) if good.any() else 0.0
    scale = nice_scale(0.03 * extent / typical) if typical > 0 and np.isfinite(typical) else 1.0
    dense = n > DENSE
    if dense:
        _density(ax, uv[:, 0], uv[:, 1], "observed (u, v): density")
    else:
        ax.scatter(uv[:, 0], uv[:, 1], s=8, color="tab:blue", label="observed (u, v)")
        ax.scatter(uv_hat[:, 0], uv_hat[:, 1], s=14, marker="+", color="tab:green",
                   linewidths=0.8, label="reprojected")
    limit = ARROWS if dense else MAX_SHOWN
    arrows = _shown(good, limit)
    d = scale * (uv_hat[arrows] - uv[arrows])
    drawn = f" ({len(arrows)} of {int(good.sum())}, chosen at random)" if len(arrows) < good.sum() else ""
    ax.quiver(uv[arrows, 0], uv[arrows, 1], d[:, 0], d[:, 1], angles="xy", scale_units="xy",
              scale=1, width=0.002, color="tab:red" if dense else "tab:gray",
              label=f"residual x {scale:g}{drawn}")
    i = _shown(~good, limit)
    if len(i):  # an outlier's residual is drawn at its true length
        ax.plot(np.stack([uv[i, 0], uv_hat[i, 0]]), np.stack([uv[i, 1], uv_hat[i, 1]]),
                "--", color="red", lw=0.6, alpha=0.6)
    _mark(ax, uv, ~good, "o", "red", "outliers, dashed to their reprojection")
    _mark(ax, uv, depth <= 0, "^", "black", "behind the camera")
    held = np.vstack([uv, uv[arrows] + d])  # every observed point and arrow tip
    ax.set_xlabel("u")
    ax.set_ylabel("v (down)")
    ax.set_xlim(*_padded(held[:, 0]))
    ax.set_ylim(*_padded(held[:, 1])[::-1])  # image rows grow downwards
    ax.set_aspect("equal", adjustable="box")
    what = f"{n} points as a density, " if dense else "image points, "
    ax.set_title(f"{report.model.name}: {what}residuals drawn {scale:g} times longer")
    _legend(ax)


def _density(ax, x, y, label: str) -> None:
    """Many points as a 2D histogram (log counts), not a solid blot of markers."""
    from matplotlib.colors import LogNorm

    counts, xe, ye = np.histogram2d(x, y, bins=120)
    counts[counts == 0] = np.nan
    mesh = ax.pcolormesh(xe, ye, counts.T, cmap="Blues", norm=LogNorm(), rasterized=True)
    ax.figure.colorbar(mesh, ax=ax, label="points per cell", shrink=0.8)
    ax.plot([], [], "s", color="tab:blue", label=label)


def _padded(values: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = margin * (hi - lo) or 1.0
    return lo - pad, hi + pad


def _mark(ax, uv, mask, marker, colour, label) -> None:
    if mask.any():
        i = _shown(mask)
        ax.scatter(uv[i, 0], uv[i, 1], s=60, marker=marker, facecolors="none",
                   edgecolors=colour, linewidths=1.2, label=f"{label} ({int(mask.sum())})")


def _lens(fig, spec, data, report) -> None:
    """A camera with lens distortion: the residual vectors (as _image), and beside them
    the distortion field, the shift the lens gives an ideal image point."""
    left, right = spec.subgridspec(1, 2, width_ratios=[1, 1])
    _image(fig, left, data, report)
    image = fig.axes[-1]
    image.set_title(image.get_title().replace(f"{report.model.name}: image points, ", "").capitalize(),
                    fontsize=10)
    ax = fig.add_subplot(right)
    camera = report.section("camera").content
    uv = data[1]
    (u0, u1), (v0, v1) = _padded(uv[:, 0]), _padded(uv[:, 1])
    gu, gv = np.meshgrid(np.linspace(u0, u1, 15), np.linspace(v0, v1, 11))
    du, dv = distortion_shift(camera["K"], camera["distortion"], gu.ravel(), gv.ravel())
    size = np.hypot(du, dv)
    largest = float(size.max()) if size.size else 0.0
    scale = nice_scale(0.15 * max(u1 - u0, v1 - v0) / largest) if largest > 0 else 1.0
    quiver = ax.quiver(gu.ravel(), gv.ravel(), scale * du, scale * dv, size, angles="xy",
                       scale_units="xy", scale=1, cmap="viridis", width=0.003)
    fig.colorbar(quiver, ax=ax, label="shift (px)", shrink=0.8)
    K = np.asarray(camera["K"], float)
    ax.plot(K[0, 2], K[1, 2], "r+", ms=12, label="principal point")
    ax.set_xlim(u0, u1)
    ax.set_ylim(v1, v0)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("u")
    ax.set_ylabel("v (down)")
    ax.set_title(f"Lens distortion drawn {scale:g} times longer\n(largest shift {largest:.3g} px)",
                 fontsize=10)
    _legend(ax)


def distortion_shift(K, distortion: dict, u: np.ndarray, v: np.ndarray):
    """(du, dv): where the lens (OpenCV's model, docs/math.md s.7) moves the ideal image
    points (u, v) of a camera with intrinsics K (3, 3)."""
    K = np.asarray(K, float)
    c = {k: (distortion.get(k) or 0.0) for k in ("k1", "k2", "k3", "p1", "p2")}
    b = (v - K[1, 2]) / K[1, 1]
    a = (u - K[0, 2] - K[0, 1] * b) / K[0, 0]
    r2 = a * a + b * b
    L = 1 + r2 * (c["k1"] + r2 * (c["k2"] + r2 * c["k3"]))
    xd = a * L + 2 * c["p1"] * a * b + c["p2"] * (r2 + 2 * a * a)
    yd = b * L + c["p1"] * (r2 + 2 * b * b) + 2 * c["p2"] * a * b
    return K[0, 0] * (xd - a) + K[0, 1] * (yd - b), K[1, 1] * (yd - b)


VIEWS: dict[str, Any] = {"classes": _classes, "scalar": _scalar, "image": _image, "lens": _lens}
