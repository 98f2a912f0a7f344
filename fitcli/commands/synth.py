"""`fitcli synth KIND`: sample points from a known model, and the model itself."""

from __future__ import annotations

import enum
from typing import Annotated, Optional

import typer

from ..cli import app, reported_errors
from ..errors import UsageError


class ModelKind(str, enum.Enum):
    linear_tanh = "linear-tanh"
    ratio2d = "ratio2d"
    project3d = "project3d"


CAMERA = ("focal", "width", "height", "distance", "size", "offset")
SEPARATOR = ("gap", "scale", "k", "b")


def format_csv(columns, table) -> str:
    """Header and rows; each float in its shortest exact form, integer columns as ints."""
    import numpy as np

    formats = []
    for j in range(table.shape[1]):
        col = table[:, j]
        integral = bool(np.all(col == np.round(col))) and np.all(np.abs(col) < 2**53)
        formats.append((lambda v: str(int(v))) if integral else repr)
    lines = [",".join(columns)]
    for row in table.tolist():
        lines.append(",".join(f(v) for f, v in zip(formats, row)))
    return "\n".join(lines) + "\n"


@app.command("synth", short_help="Write sample points drawn from a known model")
def synth(
    kind: Annotated[ModelKind, typer.Argument(metavar="KIND", help="linear-tanh, ratio2d or project3d.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of points.")] = 200,
    noise: Annotated[Optional[float], typer.Option(
        min=0.0, show_default=False,
        help="Noise: sigma in pixels per image coordinate (project3d, ratio2d; default 0.5), "
        "or the blur of the class boundary in units of y (linear-tanh; default 0).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same file.")] = 0,
    outliers: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Fraction of points replaced by gross errors (labels flipped "
        "for linear-tanh).")] = 0.0,
    focal: Annotated[Optional[float], typer.Option(min=1e-9, show_default=False, help="Focal length in pixels [1500].")] = None,
    width: Annotated[Optional[float], typer.Option(min=1e-9, show_default=False, help="Image width in pixels [1920].")] = None,
    height: Annotated[Optional[float], typer.Option(min=1e-9, show_default=False, help="Image height in pixels [1080].")] = None,
    distance: Annotated[Optional[float], typer.Option(min=1e-9, show_default=False, help="Camera distance from the scene centre [5].")] = None,
    size: Annotated[Optional[float], typer.Option(min=1e-9, show_default=False, help="Side of the scene cube / plane square [3].")] = None,
    offset: Annotated[Optional[float], typer.Option(show_default=False, help="Shift of the world origin, e.g. 1e5 for survey coordinates [0].")] = None,
    gap: Annotated[Optional[float], typer.Option(min=0.0, show_default=False, help="linear-tanh: empty band of this height around the line [0].")] = None,
    scale: Annotated[Optional[float], typer.Option(min=1e-300, show_default=False, help="linear-tanh: multiply x, y (and b) by this [1].")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", show_default=False, help="Write the CSV here (atomically) instead of stdout.")] = None,
    truth: Annotated[Optional[str], typer.Option(metavar="FILE", show_default=False, help="Write the true model here, in the format of --output of a fit.")] = None,
) -> None:
    """Write sample points drawn from a known model (CSV on stdout, or -o FILE)."""
    with reported_errors():
        from ..core import MODELS
        from ..core.synth import synthesize
        from ..modelfile import check_output, dumps, model_document, save

        if truth == "-" and output in (None, "-"):
            raise UsageError("--truth - needs -o FILE: stdout already carries the points")
        for path, option in ((output, "-o"), (truth, "--truth")):
            if path is not None:
                check_output(path, option)
        given = dict(focal=focal, width=width, height=height, distance=distance, size=size,
                     offset=offset, gap=gap, scale=scale)
        allowed = SEPARATOR if kind is ModelKind.linear_tanh else CAMERA
        wrong = [f"--{k}" for k, v in given.items() if v is not None and k not in allowed]
        if wrong:
            raise UsageError(f"{', '.join(wrong)} does not apply to {kind.value}")
        settings = {k: v for k, v in given.items() if v is not None}
        if noise is not None:
            settings["noise"] = noise
        sample = synthesize(kind.value, seed=seed, n=n, outliers=outliers, **settings)
        model = MODELS[kind.value]
        text = format_csv(sample.columns, sample.table)
        if truth:
            about = {"seed": seed, **{k: _plain(v) for k, v in sample.settings.items()}}
            doc = model_document(model.name, model.param_names, sample.params,
                                 model.describe(sample.params), truth=about,
                                 source={"file": output or "-", "rows": n})
            save(truth, dumps(doc), "--truth")
        save(output or "-", text, "-o")


def _plain(value):
    import numpy as np

    return value.tolist() if isinstance(value, np.ndarray) else value
