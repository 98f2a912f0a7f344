"""Robust losses (hand-derived rho') against central differences; RANSAC; recovery of
the model from a sample with 20% gross outliers."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.gradcheck import numeric_gradient, relative_errors
from fitcli.core.models import MODELS
from fitcli.core.robust import LOSSES, Cauchy, Huber, RobustKernel, ransac, squared_errors, trials_needed
from fitcli.core.robust_fit import robust_fit
from fitcli.core.synth import synthesize

NAMES = sorted(MODELS)
THRESHOLD = 1.5  # pixels: 3 sigma of the samples' noise


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_derivative_matches_central_differences(name, rng):
    loss = LOSSES[name](0.7)
    s = np.concatenate([rng.uniform(0.0, 0.49, 20), rng.uniform(0.5, 30.0, 20)])  # both sides of c^2
    h = 1e-6 * np.maximum(s, 1e-3)
    numeric = (loss.rho(s + h) - loss.rho(s - h)) / (2 * h)
    np.testing.assert_allclose(loss.weight(s), numeric, rtol=1e-7)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_losses_are_least_squares_near_zero_and_never_above_it(name, rng):
    loss = LOSSES[name](2.0)
    s = rng.uniform(0, 100, 200)
    assert np.all(loss.rho(s) <= s + 1e-12)
    assert np.all((loss.weight(s) > 0) & (loss.weight(s) <= 1))
    assert loss.rho(np.array([1e-8]))[0] == pytest.approx(1e-8, rel=1e-6)
    # the scaling robust_kernel relies on: rho(l s; sqrt(l) c) = l rho(s; c)
    np.testing.assert_allclose(LOSSES[name](2.0 * 3.0).rho(9.0 * s), 9.0 * loss.rho(s), rtol=1e-12)


def test_huber_and_cauchy_hand_values():
    s = np.array([0.25, 4.0, 9.0])
    np.testing.assert_allclose(Huber(1.0).rho(s), [0.25, 3.0, 5.0])
    np.testing.assert_allclose(Huber(1.0).weight(s), [1.0, 0.5, 1.0 / 3.0])
    np.testing.assert_allclose(Cauchy(2.0).rho(s), 4.0 * np.log1p(s / 4.0))
    np.testing.assert_allclose(Cauchy(2.0).weight(s), [1 / 1.0625, 0.5, 4 / 13])


def _outlying_problem(name, seed):
    data, params = MODELS[name].example(np.random.default_rng(seed), n=40)
    target = data[-1].copy()
    target[:6] += 3.0  # some points far beyond the threshold, the rest within
    return (*data[:-1], target), params


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(3))
def test_robust_kernel_gradient_matches_central_differences(name, loss, seed):
    data, params = _outlying_problem(name, seed)
    kernel = RobustKernel(MODELS[name], data, LOSSES[loss](0.3))
    cost, grad = kernel.cost_grad(params)
    assert np.max(relative_errors(grad, numeric_gradient(kernel.cost, params))) < 1e-6
    assert cost == pytest.approx(kernel.cost(params), rel=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_robust_kernel_normal_matrix_is_the_weighted_gauss_newton_matrix(name):
    model = MODELS[name]
    data, params = _outlying_problem(name, 5)
    loss = Cauchy(0.3)
    r, J = model.residuals(params, *data), model.jacobian(params, *data)
    s = squared_errors(model, params, data)
    w = np.repeat(loss.weight(s), model.n_targets)
    n = len(s)
    cost, grad, H = RobustKernel(model, data, loss).normal(params)
    assert cost == pytest.approx(np.mean(loss.rho(s)), rel=1e-13)
    np.testing.assert_allclose(grad, 2 * J.T @ (w * r) / n, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(H, 2 * (J * w[:, None]).T @ J / n, rtol=1e-11, atol=1e-14)


def test_robust_kernel_chunks_do_not_change_the_sums(monkeypatch):
    import fitcli.core.robust as robust

    model = MODELS["project3d"]
    data, params = model.example(np.random.default_rng(3), n=1001)
    whole = RobustKernel(model, data, Huber(0.1)).normal(params)
    monkeypatch.setattr(robust, "CHUNK", 64)
    chunked = RobustKernel(model, data, Huber(0.1)).normal(params)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _sample(name, seed):
    sample = synthesize(name, seed=seed, n=300, noise=0.5, outliers=0.2)
    model = MODELS[name]
    data = model.split(sample.table)[0]
    clean = tuple(a[~sample.outlier] for a in data)
    # a replaced point may land near its true place by chance: it is no outlier then
    gross = sample.outlier & (squared_errors(model, sample.params, data) > THRESHOLD**2)
    return model, data, clean, gross


def _rms(model, params, data):
    return float(np.sqrt(np.mean(squared_errors(model, params, data))))


@pytest.mark.parametrize("method", ["cauchy", "ransac"])
@pytest.mark.parametrize("name", ["project3d", "ratio2d"])
@pytest.mark.parametrize("seed", range(2))
def test_20_percent_gross_outliers_fit_as_if_they_were_not_there(name, method, seed):
    """RMS on the true inliers within 2% of the least-squares fit to the clean points,
    and the inlier mask finds the outliers."""
    model, data, clean, outlier = _sample(name, seed)
    assert outlier.sum() >= 55
    clean_rms = _rms(model, fit(model, clean).params, clean)
    robust = robust_fit(model, data, method, threshold=THRESHOLD, seed=0)
    assert robust.result.success
    assert _rms(model, robust.result.params, clean) <= 1.02 * clean_rms
    assert np.all(~robust.inlier[outlier])  # every gross outlier flagged
    assert np.mean(robust.inlier[~outlier]) > 0.97  # few good points lost (3 sigma)
    assert _rms(model, fit(model, data).params, clean) > 20 * clean_rms  # least squares fails


@pytest.mark.parametrize("name", ["project3d", "ratio2d"])
@pytest.mark.parametrize("seed", range(3))
def test_huber_bounds_the_damage_but_is_not_immune_and_its_check_says_so(name, seed):
    """Huber's influence stays c per point, so 20% gross outliers still pull (within 10%
    in RMS from the robust start; least squares: > 20x).  Its check against least
    squares on its own inliers either passes, and then the fit is within 3% of the
    clean one, or fails (the report then refuses the result: exit 4)."""
    model, data, clean, _ = _sample(name, seed)
    clean_rms = _rms(model, fit(model, clean).params, clean)
    robust = robust_fit(model, data, "huber", threshold=THRESHOLD)
    rms = _rms(model, robust.result.params, clean)
    assert rms <= 1.10 * clean_rms
    check = robust.info["check"]
    assert check["passed"] == (check["excess"] <= 0.05)
    if check["passed"]:
        assert rms <= 1.03 * clean_rms
    else:
        assert "pulled it away" in check["text"]
    if name == "project3d":  # 60 outliers pull a camera of 11 degrees of freedom too far
        assert not check["passed"]
    cauchy = robust_fit(model, data, "cauchy", threshold=THRESHOLD).info["check"]
    assert cauchy["passed"] and 0 <= cauchy["excess"] <= 0.05


def test_without_outliers_every_robust_method_passes_its_check():
    model = MODELS["project3d"]
    sample = synthesize("project3d", seed=4, n=300, noise=0.5)
    data = model.split(sample.table)[0]
    for method in ("huber", "cauchy", "ransac"):
        robust = robust_fit(model, data, method, seed=0)
        assert robust.info["check"]["passed"], (method, robust.info["check"])
        assert robust.info["sigma_estimate"] == pytest.approx(0.5, rel=0.15)


def test_ransac_is_deterministic_for_a_seed_and_reports_it():
    model, data, _, _ = _sample("project3d", 1)
    a = robust_fit(model, data, "ransac", threshold=THRESHOLD, seed=7)
    b = robust_fit(model, data, "ransac", threshold=THRESHOLD, seed=7)
    np.testing.assert_array_equal(a.result.params, b.result.params)
    np.testing.assert_array_equal(a.inlier, b.inlier)
    assert a.info["seed"] == 7 and a.info["trials"] == b.info["trials"] >= 1


def test_ransac_uses_minimal_sets_and_stops_when_confident():
    model, data, _, outlier = _sample("ratio2d", 0)
    consensus = ransac(model, model.frame(data, True).data, 1e-2, np.random.default_rng(0))
    assert consensus.trials <= np.ceil(trials_needed(0.8 * 0.97, model.min_points, 0.999)) + 50
    assert consensus.confident
    capped = ransac(model, model.frame(data, True).data, 1e-2, np.random.default_rng(0), max_trials=3)
    assert capped.trials == 3 and not capped.confident
    assert trials_needed(1.0, 6, 0.99) == 1.0
    assert trials_needed(0.5, 6, 0.99) == pytest.approx(np.log(0.01) / np.log(1 - 0.5**6))


@pytest.mark.parametrize("method", ["huber", "cauchy", "ransac"])
@pytest.mark.parametrize("name", ["project3d", "ratio2d"])
def test_without_a_threshold_the_noise_scale_is_estimated_robustly(name, method):
    """Least median of squares, refined on the points within 2.5 sigma: the samples'
    noise is 0.5, and 3 sigma flags every gross outlier."""
    model, data, clean, outlier = _sample(name, 0)
    robust = robust_fit(model, data, method, seed=0)
    info = robust.info
    assert info["threshold_source"] == "estimated"
    assert info["sigma_estimate"] == pytest.approx(0.5, rel=0.15)
    assert info["threshold"] == pytest.approx(3 * info["sigma_estimate"])
    assert np.all(~robust.inlier[outlier]) and np.mean(robust.inlier[~outlier]) > 0.95
    clean_rms = _rms(model, fit(model, clean).params, clean)
    if method != "huber":
        assert info["check"]["passed"]
        assert _rms(model, robust.result.params, clean) <= 1.02 * clean_rms


@pytest.mark.parametrize("name", ["project3d", "ratio2d"])
def test_least_median_of_squares_scale_and_its_refinement(name):
    """sigma = sqrt(median s / median chi2(m)) (1 + 5 / (n - p)) of the best minimal set:
    on Gaussian noise of 2 per coordinate it finds 2 within 25% (a minimal set's fit is
    rough); 30% gross outliers inflate it, and the refinement on the points within 2.5
    sigma brings it back within 10%."""
    from fitcli.core.robust import chi2_median, least_median

    assert chi2_median(1) == pytest.approx(0.454936, rel=1e-5)
    assert chi2_median(2) == pytest.approx(2 * np.log(2), rel=1e-9)
    model = MODELS[name]
    for outliers in (0.0, 0.3):
        data = model.split(synthesize(name, seed=1, n=2000, noise=2.0, outliers=outliers).table)[0]
        frame = model.frame(data, True)
        median = least_median(model, frame.data, np.random.default_rng(1))
        if not outliers:
            assert median.sigma * np.sqrt(frame.cost_scale) == pytest.approx(2.0, rel=0.25)
        refined = robust_fit(model, data, "ransac", seed=1).info["sigma_estimate"]
        assert refined == pytest.approx(2.0, rel=0.1)


def test_robust_methods_refuse_a_threshold_that_is_not_positive():
    model, data, _, _ = _sample("ratio2d", 0)
    with pytest.raises(ValueError, match="threshold"):
        robust_fit(model, data, "cauchy", threshold=0.0)
    with pytest.raises(ValueError, match="unknown robust method"):
        robust_fit(model, data, "tukey", threshold=1.0)


def test_threshold_without_robust_only_labels_points():
    model, data, _, outlier = _sample("project3d", 0)
    plain = robust_fit(model, data, "none", threshold=THRESHOLD)
    np.testing.assert_array_equal(plain.result.params, fit(model, data).params)
    assert plain.info["n_inliers"] == int(plain.inlier.sum())


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("t", [0.5, 2.0, 6.25, 9.0, 1e6])
def test_truncated_chi_square_moments_match_sampling(m, t, rng):
    """E[X | X <= t] = m F_{m+2}(t) / F_m(t) and E[X^2 | X <= t] = m (m+2) F_{m+4}(t) / F_m(t)
    (docs/math.md s.6), against 400,000 draws of chi2(m)."""
    from fitcli.core.robust import truncated_moments

    x = rng.chisquare(m, 400_000)
    kept = x[x <= t]
    mean, var = truncated_moments(m, t)
    assert mean == pytest.approx(kept.mean(), rel=0.01)
    assert var == pytest.approx(kept.var(), rel=0.03)


@pytest.mark.parametrize("seed", range(3))
def test_the_noise_test_of_a_robust_fit_allows_for_the_cut(seed):
    """With --sigma right and a fifth of gross outliers, the inliers' residual is what
    the noise explains once the test allows for the errors the threshold cut off; taken
    as an uncut chi-square it read 'sigma is too large' at large n."""
    from fitcli.core.diagnostics import diagnose

    model = MODELS["project3d"]
    sample = synthesize("project3d", seed=seed, n=4000, noise=0.5, outliers=0.2)
    data = model.split(sample.table)[0]
    robust = robust_fit(model, data, "ransac", threshold=1.0, seed=seed)  # 2 sigma: a deep cut
    params, inlier = robust.result.params, robust.inlier
    cut = diagnose(model, params, data, sigma=0.5, inlier=inlier, threshold=1.0)["noise_test"]
    uncut = diagnose(model, params, data, sigma=0.5, inlier=inlier)["noise_test"]
    assert cut["verdict_code"] == "ok" and cut["cut_at"] == 1.0
    assert uncut["verdict_code"] == "too_small"
