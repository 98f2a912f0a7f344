"""The real data in shared/realdata: fitcli's default fit against the recorded Gold
Standard (and against this run's scipy peer), file by file."""

from __future__ import annotations

import json
from pathlib import Path

from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.io.csv_in import read_table

from common import table
from peers import gold_standard, mean_loss


def files(root: Path):
    """(model, csv path, recorded Gold Standard mean loss) for every real-data file."""
    oxford = json.loads((root / "oxford_results.json").read_text())["results"]
    for name, views in oxford.items():
        for info in views["views"].values():
            path = root / Path(info["csv"]).relative_to("shared/realdata")
            yield "project3d", path, info["gold_standard"]["loss_mean"]
    chess = json.loads((root / "opencv_chessboard" / "results.json").read_text())["images"]
    for info in chess.values():
        for c in "uv":
            path = root / Path(info[f"csv_{c}"]).relative_to("shared/realdata")
            yield "ratio2d", path, info[f"gold_standard_{c}"]["loss_mean"]


def realdata_section(root: Path, shown: str | None = None) -> tuple[str, float]:
    """One line per file; returns the text and the worst fitcli / Gold Standard ratio.
    `shown` is how the output names root (by default as given)."""
    shown = str(root) if shown is None else shown
    if not (root / "oxford_results.json").exists():
        return f"Real data: skipped ({shown} not found)", 0.0
    rows, worst = [], 0.0
    for name, path, recorded in files(root):
        model = MODELS[name]
        data = model.split(read_table(str(path), model.columns, model=name).values)[0]
        result = fit(name, data)
        loss = mean_loss(name, result.params, data)
        peer = gold_standard(name, data)
        worst = max(worst, loss / recorded)
        rows.append([f"{path.parent.name}/{path.name}", len(data[0]), f"{loss:.12g}",
                     f"{recorded:.12g}", f"{loss / recorded - 1:+.1e}",
                     f"{loss / peer.loss - 1:+.1e}", result.n_eval, result.status.value])
    header = ["file", "n", "fitcli loss", "Gold Standard loss", "ratio - 1",
              "vs this run's scipy - 1", "passes", "status"]
    return table(header, rows, f"Real data ({shown}; Gold Standard as recorded there)"), worst
