"""Model.predict and Model.evaluate: the same formulas as the residuals, and the fit's loss."""

import math

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.core.models.base import OptionError
from fitcli.core.synth import synthesize

NAMES = sorted(MODELS)


@pytest.mark.parametrize("name", NAMES)
def test_predictions_minus_targets_are_the_residuals(name, rng):
    model = MODELS[name]
    data, params = model.example(rng, n=30)
    table = np.column_stack([np.reshape(a, (30, -1)) for a in data])
    out = model.predict(params, table[:, : model.n_inputs])
    if name == "linear-tanh":
        z = out["z"]
        np.testing.assert_allclose(np.tanh(z) - data[2], model.residuals(params, *data), rtol=1e-14)
        np.testing.assert_array_equal(out["label"], np.where(z >= 0, 1.0, -1.0))
    else:
        targets = model.columns[model.n_inputs:]
        predicted = np.column_stack([out[t] for t in targets])
        r = (predicted - table[:, model.n_inputs:]).ravel()
        np.testing.assert_allclose(r, model.residuals(params, *data), rtol=1e-12, atol=1e-12)


def test_project3d_by_hand_u_v_and_depth():
    # M as in test_models: nx = X + 1, ny = 2 Y, nz = Z + 2; |(i, j, k)| = 1
    M = np.array([[1.0, 0, 0, 1], [0, 2.0, 0, 0], [0, 0, 1.0, 2]])
    out = MODELS["project3d"].predict(M.ravel(), np.array([[1.0, 1.0, 2.0]]))
    assert (out["u"][0], out["v"][0], out["depth"][0]) == (0.5, 0.5, 4.0)
    scaled = MODELS["project3d"].predict(3.0 * M.ravel(), np.array([[1.0, 1.0, 2.0]]))
    assert scaled["depth"][0] == pytest.approx(4.0)  # depth is in world units, whatever the scale


def test_project3d_error_measures_by_hand():
    M = np.array([[1.0, 0, 0, 1], [0, 2.0, 0, 0], [0, 0, 1.0, 2]])
    # both points project to (0.5, 0.5); errors (0.3, 0.4) and (0, 0)
    table = np.array([[1.0, 1.0, 2.0, 0.2, 0.1], [1.0, 1.0, 2.0, 0.5, 0.5]])
    got = MODELS["project3d"].evaluate(M.ravel(), table)
    assert got["loss"] == pytest.approx(0.25 / 2)
    assert got["rmse"] == pytest.approx(math.sqrt(0.125))
    assert got["rms_u"] == pytest.approx(math.sqrt(0.09 / 2))
    assert got["rms_v"] == pytest.approx(math.sqrt(0.16 / 2))
    assert got["max_error"] == pytest.approx(0.5)
    assert got["behind_camera"] == 0


@pytest.mark.parametrize("name,settings", [
    ("project3d", {}), ("ratio2d", {}), ("linear-tanh", {"noise": 1.0}),
    ("linear-tanh", {"noise": 1.0, "scale": 1000.0}),
])
def test_evaluate_with_the_saved_options_reproduces_the_fit_loss(name, settings):
    """What predict reports on the training rows is what the fit reported."""
    model = MODELS[name]
    table = synthesize(name, seed=4, n=150, **settings).table
    result = fit(model, model.split(table)[0])
    options = {k: result.extra[k] for k in model.saved_options}
    got = model.evaluate(result.params, table, **options)
    assert got["loss"] == pytest.approx(result.cost, rel=1e-9)
    for key in ("rmse", "accuracy"):
        if key in result.extra:
            assert got[key] == pytest.approx(result.extra[key], rel=1e-9)


def test_linear_tanh_held_out_rows_may_hold_one_class_and_0_1_labels():
    model = MODELS["linear-tanh"]
    params = np.array([0.0, 0.0])  # the line y = 0: +1 below it
    table = np.array([[0.0, -1.0, 1.0], [0.0, -2.0, 1.0], [0.0, 3.0, 1.0]])
    assert model.evaluate(params, table)["accuracy"] == pytest.approx(2 / 3)
    table01 = table.copy()
    table01[2, 2] = 0.0  # 0 reads as -1: now all three are right
    assert model.evaluate(params, table01)["accuracy"] == 1.0


def test_linear_tanh_rejects_bad_labels_and_a_bad_z_scale():
    model = MODELS["linear-tanh"]
    table = np.array([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="labels must be"):
        model.evaluate(np.zeros(2), table)
    with pytest.raises(OptionError, match="z_scale"):
        model.evaluate(np.zeros(2), np.array([[0.0, 1.0, 1.0]]), z_scale=0.0)
