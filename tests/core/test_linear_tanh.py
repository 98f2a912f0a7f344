"""linear-tanh's variants: every activation/loss/form against central differences and the
formulas of docs/math.md s.1, fits against known answers, a dense grid and scikit-learn."""

import itertools
import json
import pathlib

import numpy as np
import pytest

import fitcli.core.objective as base
from fitcli.core import fit
from fitcli.core.gradcheck import numeric_gradient, numeric_jacobian, relative_errors
from fitcli.core.models import MODELS
from fitcli.core.models.linear_tanh.model import LinearTanh, LinearTanhKernel
from fitcli.core.models.linear_tanh.separator import ACTIVATIONS, FORMS, LOSSES, log_loss, losses, terms
from fitcli.io.csv_in import read_table

from ..conftest import DATA

MODEL = MODELS["linear-tanh"]
VARIANTS = [dict(activation=a, loss_function=c, form=f) for a, c, f in itertools.product(ACTIVATIONS, LOSSES, FORMS)]
IDS = ["-".join(v.values()) for v in VARIANTS]
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"


def sample(name):
    table = read_table(str(name), MODEL.columns, model="linear-tanh", text_columns=("label",))
    return MODEL.split(table.values, table.levels)[0]


def problem(variant, seed, n=40):
    model = MODEL.variant(**variant)
    data, params = model.example(np.random.default_rng(seed), n=n)
    return model, data, 1.5 * params  # some points saturate, some do not


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_gradient_of_every_variant_matches_central_differences(variant, seed):
    model, data, params = problem(variant, seed)
    kernel = model.kernel(*data)
    cost, grad = kernel.cost_grad(params)
    assert np.max(relative_errors(grad, numeric_gradient(kernel.cost, params))) < 1e-6
    r = model.residuals(params, *data)
    assert cost == pytest.approx(r @ r / len(r), rel=1e-12)  # cost = |r|^2 / n for every loss


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_residual_jacobian_of_every_variant_matches_central_differences(variant):
    model, data, params = problem(variant, 11)
    numeric = numeric_jacobian(lambda p: model.residuals(p, *data), params)
    assert np.max(relative_errors(model.jacobian(params, *data), numeric)) < 1e-6


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_kernel_matrix_is_gauss_newton_or_the_exact_hessian(variant):
    model, data, params = problem(variant, 5)
    cost, grad, H = model.kernel(*data).normal(params)
    if variant["loss_function"] == "squared":
        r, J = model.residuals(params, *data), model.jacobian(params, *data)
        np.testing.assert_allclose(H, 2 * J.T @ J / len(r), rtol=1e-12, atol=1e-15)
    else:  # Newton: the derivative of the gradient
        numeric = numeric_jacobian(lambda p: model.kernel(*data).cost_grad(p)[1], params)
        assert np.max(relative_errors(H, numeric)) < 1e-6
        assert np.all(np.linalg.eigvalsh(H) >= -1e-15)


def test_losses_are_the_formulas_of_the_tutorial():
    z = np.linspace(-4, 4, 17)
    for l in (1.0, -1.0):
        t = (l + 1) / 2
        s, p = 1 / (1 + np.exp(-z)), (np.tanh(z) + 1) / 2
        expected = {
            ("tanh", "squared"): ((np.tanh(z) - l) ** 2, 2 * (np.tanh(z) - l) * (1 - np.tanh(z) ** 2)),
            ("sigmoid", "squared"): ((s - t) ** 2, 2 * (s - t) * s * (1 - s)),
            ("sigmoid", "cross-entropy"): (-(t * np.log(s) + (1 - t) * np.log(1 - s)), s - t),
            ("tanh", "cross-entropy"): (-(t * np.log(p) + (1 - t) * np.log(1 - p)), np.tanh(z) - l),
        }
        for (act, loss), (value, slope) in expected.items():
            got = terms(act, loss, z, np.full_like(z, l))
            np.testing.assert_allclose(got.loss, value, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(got.dloss, slope, rtol=1e-12, atol=1e-15)


def test_cross_entropy_is_exact_where_the_probability_rounds_to_0_or_1():
    z, l = np.array([800.0, -800.0, 40.0]), np.array([-1.0, -1.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = terms("sigmoid", "cross-entropy", z, l)
    np.testing.assert_allclose(got.loss, [800.0, 0.0, np.exp(-40.0)], rtol=1e-12)
    np.testing.assert_allclose(got.dloss, [1.0, 0.0, -np.exp(-40.0)], rtol=1e-12)
    assert terms("tanh", "cross-entropy", np.array([400.0]), np.array([-1.0])).loss[0] == 800.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_the_loss_alone_is_the_loss_of_the_terms(activation, loss, rng):
    """losses() (the loss-only pass, the start's scoring) is terms().loss, to the bit."""
    z = np.concatenate([rng.normal(0, 3, 500), [0.0, 1e-300, -40.0, 40.0, 400.0, -1e6]])
    l = np.where(rng.random(len(z)) < 0.5, -1.0, 1.0)
    assert np.array_equal(losses(activation, loss, z, l), terms(activation, loss, z, l).loss)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
def test_the_loss_only_pass_is_the_full_pass_loss(variant):
    model, data, params = problem(variant, 5, n=1001)
    kernel = model.kernel(*data)
    assert kernel.cost(params) == kernel.normal(params)[0]


def test_fast_tutorial_kernel_equals_the_general_kernel():
    model, data, params = problem(dict(activation="tanh", loss_function="squared", form="tutorial"), 2, n=1001)
    fast = model.kernel(*data)
    assert isinstance(fast, LinearTanhKernel)
    from fitcli.core.models.linear_tanh.separator import SeparatorKernel
    x, y, l = data
    slow = SeparatorKernel(np.stack([x, np.ones_like(x)]), -y, l,
                           lambda z, l: terms("tanh", "squared", z, l),
                           lambda z, l: losses("tanh", "squared", z, l))
    for a, b in zip(fast.normal(params), slow.normal(params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("variant", VARIANTS[1::2], ids=IDS[1::2])
def test_chunks_do_not_change_the_sums(variant, monkeypatch):
    model, data, params = problem(variant, 3, n=1001)
    whole = model.kernel(*data).normal(params)
    monkeypatch.setattr(base, "CHUNK", 64)
    for a, b in zip(whole, model.kernel(*data).normal(params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("variant", VARIANTS[1::2], ids=IDS[1::2])
def test_general_form_finds_the_true_line_in_noisy_data(variant):
    """Labels from the sign of z + N(0, 0.7) around y = 0.5 x + 1: P(+1) = 1/2 on the line,
    and the general form learns how steep P is."""
    from fitcli.core.synth import synthesize

    s = synthesize("linear-tanh", seed=8, n=40000, noise=0.7)
    result = fit("linear-tanh", tuple(s.table.T), **variant)
    w1, w2, w0 = result.params
    assert result.success
    assert -w1 / w2 == pytest.approx(0.5, abs=0.02) and -w0 / w2 == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("variant", VARIANTS[::2], ids=IDS[::2])
def test_tutorial_form_recovers_the_line_of_its_own_probability_model(variant):
    """Labels drawn with P(+1) = s(z / std(y)) (sigmoid) or (tanh(z / std(y)) + 1)/2, the
    model each tutorial variant states, from z = 0.5 x + 1 - y."""
    from fitcli.core.models.linear_tanh.separator import probability

    rng = np.random.default_rng(4)
    x, y = rng.uniform(-5, 5, (2, 160000))
    p = probability(variant["activation"], (0.5 * x + 1.0 - y) / np.std(y))
    l = np.where(rng.random(len(x)) < p, 1.0, -1.0)
    result = fit("linear-tanh", (x, y, l), **variant)
    assert result.success  # standard errors about 0.006 (k) and 0.012 (b): 4 of them
    k, b = result.params
    assert k == pytest.approx(0.5, abs=0.025) and b == pytest.approx(1.0, abs=0.05)


def test_tutorial_form_ties_the_steepness_to_y_so_a_sharper_boundary_tilts_the_line():
    """With a boundary sharper than s(z / std(y)), the tutorial's cross-entropy steepens
    the only way it can, by a larger |k| (the normal's length is sqrt(1 + k^2))."""
    from fitcli.core.synth import synthesize

    s = synthesize("linear-tanh", seed=8, n=40000, noise=0.7)
    k, _ = fit("linear-tanh", tuple(s.table.T), activation="sigmoid", loss_function="cross-entropy").params
    assert k > 0.515


def test_the_separated_sample_is_separated_by_every_tutorial_variant():
    data = sample(DATA / "linear_tanh_separated.csv")
    truth = json.loads((DATA / "linear_tanh_separated.truth.json").read_text())["truth"]
    for variant in VARIANTS[::2]:  # tutorial form: a finite minimum even for separated classes
        result = fit("linear-tanh", data, **variant)
        assert result.success and result.extra["accuracy"] == 1.0
        k, b = result.params
        # inside the empty band of height `gap` around the true line, at x in [-5, 5]
        for x in (-5.0, 5.0):
            assert abs(k * x + b - (0.5 * x + 1.0)) < truth["gap"] / 2


def test_standardised_fit_does_not_depend_on_units():
    x, y, l = sample(DATA / "linear_tanh.csv")
    k, b = fit("linear-tanh", (x, y, l)).params
    k2, b2 = fit("linear-tanh", (1e-3 * x + 7.0, 1e4 * y - 5.0, l)).params
    # same line: y' = 1e4 (k (x' - 7)/1e-3 + b) - 5
    assert k2 == pytest.approx(1e7 * k, rel=1e-6)
    assert b2 == pytest.approx(1e4 * (b - 7e3 * k) - 5.0, rel=1e-6)


def test_raw_tutorial_loss_is_measured_in_y_units():
    x, y, l = sample(DATA / "linear_tanh.csv")
    result = fit("linear-tanh", (x, y, l), standardize=False)
    k, b = result.params
    assert result.extra["z_scale"] == 1.0 and result.extra["standardized"] is False
    assert result.cost == pytest.approx(np.mean((np.tanh(k * x + b - y) - l) ** 2), rel=1e-12)
    standardised = fit("linear-tanh", (x, y, l))
    s = standardised.extra["z_scale"]
    assert s == pytest.approx(np.std(y))
    k, b = standardised.params
    assert standardised.cost == pytest.approx(np.mean((np.tanh((k * x + b - y) / s) - l) ** 2), rel=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_reported_fit_is_the_best_minimum_on_a_dense_grid(activation):
    """Two basins (a flipped cluster): a start at k = b = 0 ends in the worse one; the
    default starts find the better one, and no point of an 801 x 801 grid is lower."""
    x, y, l = sample(FIXTURES / "two_minima.csv")
    model = MODEL.variant(activation=activation)
    result = fit(model, (x, y, l))
    s = result.extra["z_scale"]
    ks, bs = np.linspace(-4, 4, 801), np.linspace(-10, 10, 801)
    Z = (ks[:, None, None] * x + bs[None, :, None] - y) / s
    act, target = (np.tanh(Z), l) if activation == "tanh" else (1 / (1 + np.exp(-Z)), (l + 1) / 2)
    grid = np.mean((act - target) ** 2, axis=2)  # docs/math.md s.1, written out independently
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert result.success and result.cost <= grid[i, j] + 1e-12
    assert result.params == pytest.approx([ks[i], bs[j]], abs=0.02)  # the grid's own best cell
    local = fit(model, (x, y, l), init="zero")
    assert local.success and local.cost > result.cost + 5e-3  # a genuine second minimum
    from fitcli.core.models.linear_tanh.classification import vertical_limit
    assert vertical_limit(model, x, l)["loss"] > result.cost  # and not beaten by a vertical line


def test_matches_scikit_learn_logistic_regression_without_regularisation():
    sklearn = pytest.importorskip("sklearn.linear_model")
    from sklearn.metrics import log_loss as sk_log_loss

    x, y, l = sample(DATA / "linear_tanh.csv")  # overlapping classes: a finite optimum
    result = fit("linear-tanh", (x, y, l), activation="sigmoid", loss_function="cross-entropy", form="general")
    X = np.column_stack([x, y])
    clf = sklearn.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, l)
    theirs = np.r_[clf.coef_[0], clf.intercept_]
    np.testing.assert_allclose(result.params, theirs, rtol=1e-4)
    w1, w2, w0 = result.params
    assert -w1 / w2 == pytest.approx(-theirs[0] / theirs[1], rel=1e-4)
    assert -w0 / w2 == pytest.approx(-theirs[2] / theirs[1], rel=1e-4)
    p = clf.predict_proba(X)[:, 1]
    assert result.cost == pytest.approx(sk_log_loss(l, p), rel=1e-8)
    assert np.mean(log_loss("sigmoid", X @ result.params[:2] + w0, l)) == pytest.approx(result.cost, rel=1e-12)


def test_tanh_cross_entropy_is_logistic_regression_at_twice_the_score():
    x, y, l = sample(DATA / "linear_tanh.csv")
    tanh = fit("linear-tanh", (x, y, l), activation="tanh", loss_function="cross-entropy", form="general")
    sig = fit("linear-tanh", (x, y, l), activation="sigmoid", loss_function="cross-entropy", form="general")
    np.testing.assert_allclose(2 * tanh.params, sig.params, rtol=1e-7)
    assert tanh.cost == pytest.approx(sig.cost, rel=1e-12)


def test_variants_are_checked_and_keep_their_settings():
    v = MODEL.variant(loss_function="cross-entropy", form="general")
    assert v.param_names == ("w1", "w2", "w0") and MODEL.param_names == ("k", "b")
    assert v.variant() is v and v.variant(activation="sigmoid").loss_function == "cross-entropy"
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        LinearTanh(loss_function="hinge")
    with pytest.raises(ValueError, match="no option 'lr'"):
        MODEL.variant(lr=1)
    with pytest.raises(ValueError, match="labels must be \\+1/-1"):
        fit("linear-tanh", (np.arange(4.0), np.zeros(4), np.array([0.0, 1.0, 0.0, 1.0])))
