"""The classification report of linear-tanh: hand-computed figures, labels of any two
values, and the verdicts on lines the form cannot express."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.models.linear_tanh.classification import line, point_columns, report, vertical_limit
from fitcli.core.models import MODELS
from fitcli.core.models.linear_tanh.labels import encode_labels, label_classes
from fitcli.core.normalize import DegenerateDataError

MODEL = MODELS["linear-tanh"]
# The line y = x (k = 1, b = 0); z = x - y.  Rows 1, 2 right, rows 3, 4 wrong.
HAND = (np.array([0.0, 0.0, 1.0, 2.0]), np.array([-1.0, 2.0, 0.5, 3.0]), np.array([1.0, -1.0, -1.0, 1.0]))


def test_report_by_hand():
    out = report(MODEL, np.array([1.0, 0.0]), HAND, cost=0.5)
    assert out["accuracy"] == 0.5 and out["n_misclassified"] == 2
    assert out["confusion"] == [[1, 1], [1, 1]]
    assert out["min_margin"] == 1.0 and out["worst_margin"] == -1.0
    assert out["min_distance"] == pytest.approx(1 / np.sqrt(2), rel=1e-15)
    assert [r["row"] for r in out["misclassified"]] == [3, 4]
    assert out["misclassified"][0] == {"row": 3, "x": 1.0, "y": 0.5, "label": -1, "z": 0.5, "margin": -0.5}
    assert out["precision"] == 0.5 and out["recall"] == 0.5
    assert out["line"] == {"k": 1.0, "b": 0.0, "positive_side": "below"}
    assert out["log_loss"] is None and out["separable"] is False


def test_per_point_columns_by_hand():
    cols = point_columns(MODEL, np.array([1.0, 0.0]), HAND, z_scale=2.0)
    np.testing.assert_array_equal(cols["z"], [1.0, -2.0, 0.5, -1.0])
    np.testing.assert_array_equal(cols["label_hat"], [1, -1, 1, -1])
    np.testing.assert_array_equal(cols["correct"], [True, True, False, False])
    np.testing.assert_allclose(cols["activation"], np.tanh(cols["z"] / 2.0))
    np.testing.assert_allclose(cols["loss"], (np.tanh(cols["z"] / 2.0) - HAND[2]) ** 2)


def test_general_form_margin_is_the_vertical_distance_on_the_own_side():
    general = MODEL.variant(form="general")
    w = np.array([-2.0, 2.0, 0.0])  # z = 2 (y - x): +1 above the line y = x
    flipped = (HAND[0], HAND[1], -HAND[2])
    cols = point_columns(general, w, flipped)
    np.testing.assert_allclose(cols["margin"], point_columns(MODEL, np.array([1.0, 0.0]), HAND)["margin"])
    assert line(general, w) == {"k": 1.0, "b": 0.0, "positive_side": "above"}
    vertical = line(general, np.array([2.0, 0.0, -1.0]))
    assert vertical == {"k": None, "b": None, "x": 0.5, "positive_side": "right"}


def test_log_loss_for_cross_entropy_from_z():
    model = MODEL.variant(activation="sigmoid", loss_function="cross-entropy")
    out = report(model, np.array([1.0, 0.0]), HAND, cost=0.0, z_scale=2.0)
    z, t = np.array([1.0, -2.0, 0.5, -1.0]) / 2.0, (HAND[2] + 1) / 2
    p = 1 / (1 + np.exp(-z))
    assert out["log_loss"] == pytest.approx(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))), rel=1e-13)


def test_vertical_limit_equals_brute_force(rng):
    x = rng.integers(0, 6, 40).astype(float)  # ties in x: no split between equal values
    l = np.where(rng.random(40) < 0.3 + 0.1 * x, 1.0, -1.0)
    got = vertical_limit(MODEL, x, l)
    best = min(min(np.sum((x > c) != (l > 0)), np.sum((x < c) != (l > 0)))
               for c in np.r_[x.min() - 1, np.unique(x) + 0.5])
    assert got["errors"] == best and got["loss"] == pytest.approx(4 * best / 40)
    pos = l > 0
    right = got["positive_side"] == "right"
    assert np.sum((x > got["x"] if right else x < got["x"]) != pos) == best


def _vertical_data(noise=0.0, n=200):
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-1, 1, (2, n))
    return x, y, np.where(x + rng.normal(0, noise, n) > 0.3, 1.0, -1.0)


@pytest.mark.parametrize("loss", ["squared", "cross-entropy"])
def test_a_vertical_separator_is_detected_in_the_tutorial_form(loss):
    data = _vertical_data()
    model = MODEL.variant(loss_function=loss)
    result = fit(model, data)
    out = report(model, result.params, data, result.cost, result.extra["z_scale"])
    assert out["vertical"]["x"] == pytest.approx(0.3, abs=0.02)
    assert out["vertical"]["positive_side"] == "right"
    assert "vertical" in out["degenerate"] and "`form='general'`" in out["degenerate"]
    assert out["warnings"] == [out["degenerate"]]  # no word on above and below


def test_the_general_form_fits_a_vertical_line():
    data = _vertical_data(noise=0.1, n=400)
    model = MODEL.variant(form="general", activation="sigmoid", loss_function="cross-entropy")
    result = fit(model, data)
    w1, w2, w0 = result.params
    assert result.success and abs(w2) < 0.1 * abs(w1) and -w0 / w1 == pytest.approx(0.3, abs=0.03)
    out = report(model, result.params, data, result.cost)
    assert out["degenerate"] is None and out["accuracy"] > 0.9


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_separable_classes_have_no_minimum_in_the_general_form(activation):
    x, y = np.random.default_rng(2).uniform(-3, 3, (2, 100))
    data = (x, y, np.where(y < 0.5 * x + 1, 1.0, -1.0))
    model = MODEL.variant(form="general", activation=activation, loss_function="cross-entropy")
    result = fit(model, data)  # stops at the iteration limit at the latest
    out = report(model, result.params, data, result.cost)
    assert result.n_iter <= 200 and out["separable"] and out["accuracy"] == 1.0
    assert "no minimum" in out["degenerate"]
    tutorial = MODEL.variant(activation=activation, loss_function="cross-entropy")
    result = fit(tutorial, data)  # the tutorial form fixes the scale of z: a true minimum
    assert result.success and report(tutorial, result.params, data, result.cost)["degenerate"] is None


def test_positive_class_above_the_line_is_pointed_out():
    x, y = np.random.default_rng(3).uniform(-3, 3, (2, 200))
    l = np.where(y > 0.5 * x + 1, 1.0, -1.0)  # +1 above: the tutorial form cannot say so
    result = fit("linear-tanh", (x, y, l))
    out = report(MODEL, result.params, (x, y, l), result.cost, result.extra["z_scale"])
    assert any("`positive`" in w for w in out["warnings"])
    result = fit("linear-tanh", (x, y, -l))  # the other class as +1
    out = report(MODEL, result.params, (x, y, -l), result.cost, result.extra["z_scale"])
    assert out["accuracy"] > 0.95 and out["warnings"] == []


@pytest.mark.parametrize("values,levels,positive,plus,how", [
    ([1, -1, 1], None, None, "1", "labels +1/-1"),
    ([0, 1, 1], None, None, "1", "labels 0/1: 1 is +1, 0 is -1"),
    ([2, 5, 5], None, None, "5", "labels 2/5: 5 is +1 (the second in sorted order; `positive` chooses), 2 is -1"),
    ([1, -1, 1], None, "-1", "-1", "labels -1/1: -1 is +1 (`positive`), 1 is -1"),
    ([0, 1, 0], ("cat", "dog"), None, "dog", "labels 'cat'/'dog': 'dog' is +1 (the second in sorted order"),
    ([0, 1, 0], ("cat", "dog"), "cat", "cat", "labels 'cat'/'dog': 'cat' is +1 (`positive`), 'dog' is -1"),
])
def test_two_label_values_and_which_is_plus_one(values, levels, positive, plus, how):
    values = np.array(values, dtype=float)
    l, labels = label_classes(values, levels, positive)
    named = [levels[int(v)] if levels else str(int(v)) for v in values]
    np.testing.assert_array_equal(l, [1.0 if n == plus else -1.0 for n in named])
    assert labels.positive == plus and labels.how.startswith(how)
    assert encode_labels(values, levels, positive)[1] == labels.how


def test_label_errors():
    with pytest.raises(ValueError, match="separates two classes; the labels take 3 values: 'a', 'b', 'c'"):
        label_classes(np.array([0.0, 1.0, 2.0]), ("a", "b", "c"))
    with pytest.raises(ValueError, match=r"`positive=7` is not one of the labels \(0, 1\)"):
        label_classes(np.array([0.0, 1.0]), None, "7")
    with pytest.raises(DegenerateDataError, match="only one class"):
        label_classes(np.array([3.0, 3.0]))
