"""Real data (data/realdata, copied from the project's shared set): the default fit must
reach the recorded Gold Standard loss, loss <= GS * (1 + 1e-6)."""

import json

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.io.csv_in import read_table

from ..conftest import DATA

REAL = DATA / "realdata"
RECORDED = json.loads((REAL / "gold_standard.json").read_text())["files"]


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_default_fit_reaches_the_gold_standard_loss(name):
    info = RECORDED[name]
    model = MODELS[info["model"]]
    table = read_table(str(REAL / name), model.columns, model=model.name)
    data = model.split(table.values)[0]
    assert len(data[0]) == info["n"]
    result = fit(model, data)
    assert result.success, result.message
    r = model.residuals(result.params, *data)
    assert result.cost == pytest.approx(r @ r / info["n"], rel=1e-9)  # the loss it reports is real
    assert result.cost <= info["loss_mean"] * (1 + 1e-6)
    assert result.n_eval <= 20


def test_the_recorded_losses_are_means_of_the_recorded_sums():
    for info in RECORDED.values():
        assert info["loss_mean"] == pytest.approx(info["loss_sum"] / info["n"], rel=1e-12)
        assert np.isfinite(info["loss_mean"]) and info["loss_mean"] > 0
