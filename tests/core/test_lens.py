"""project3d's parametric camera (docs/math.md s.7): every new Jacobian against central
differences, recovery of known cameras (with distortion, left-handed, known intrinsics),
its standard errors against Monte Carlo, and the model-choice evidence."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.camera import cross_matrix, rotation, rotation_jacobian, rotation_vector
from fitcli.core.diagnostics import covariance, diagnose
from fitcli.core.gradcheck import numeric_gradient, numeric_jacobian, relative_errors
from fitcli.core.models import MODELS
from fitcli.core.models.lens.describe import FIGURES, figures
from fitcli.core.models.lens.layout import read_intrinsics
from fitcli.core.models.lens.start import undistort
from fitcli.core.normalize import DegenerateDataError
from fitcli.core.synth import synthesize

LENS = dict(k1=-0.25, k2=0.08, p1=0.002, p2=-0.001)
VARIANTS = [dict(skew="zero"), dict(distortion="k1"), dict(distortion="k1,k2,p1,p2", skew="zero"),
            dict(distortion="k1,k2,k3,p1,p2"), dict(distortion="k2,p2"),
            dict(intrinsics={"fx": 2.0, "fy": 2.1, "cx": 0.1, "cy": -0.1, "skew": 0.02,
                             "k1": -0.2, "k2": 0.05, "p1": 0.003})]
IDS = ["skew0", "k1", "k1k2p1p2-skew0", "all", "k2p2", "pose"]


def variant(options):
    return MODELS["project3d"].variant(**options)


def sample(seed=1, n=200, noise=0.0, **settings):
    s = synthesize("project3d", seed=seed, n=n, noise=noise, **{**LENS, **settings})
    return s, (s.table[:, :3], s.table[:, 3:])


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("options", VARIANTS, ids=IDS)
def test_jacobian_through_projection_distortion_and_rotation(options, seed):
    model = variant(options)
    data, params = model.example(np.random.default_rng(seed), n=40)
    numeric = numeric_jacobian(lambda p: model.residuals(p, *data), params)
    analytic = model.jacobian(params, *data)
    assert analytic.shape == (80, len(params))
    assert np.max(relative_errors(analytic, numeric)) < 1e-6


@pytest.mark.parametrize("options", VARIANTS, ids=IDS)
def test_kernel_sums_are_the_jacobian_products_and_the_gradient(options, monkeypatch):
    """The kernel's pass (pose rows in local coordinates, mapped to w and C at the end)
    equals 2 J^T r / n and 2 J^T J / n, its gradient the central differences of its
    loss, and chunk boundaries change nothing."""
    import fitcli.core.objective as base

    model = variant(options)
    data, params = model.example(np.random.default_rng(5), n=1001)
    r, J = model.residuals(params, *data), model.jacobian(params, *data)
    cost, grad, H = model.kernel(*data).normal(params)
    np.testing.assert_allclose(grad, 2 * J.T @ r / 1001, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(H, 2 * J.T @ J / 1001, rtol=1e-11, atol=1e-13)
    assert cost == pytest.approx(r @ r / 1001, rel=1e-13)
    kernel = model.kernel(*data)
    numeric = numeric_gradient(kernel.cost, params)
    assert np.max(relative_errors(kernel.cost_grad(params)[1], numeric)) < 1e-6
    monkeypatch.setattr(base, "CHUNK", 64)
    for a, b in zip((cost, grad, H), model.kernel(*data).normal(params)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("angle", [0.0, 1e-9, 1e-5, 0.3, 2.0, 3.1, np.pi - 1e-7])
def test_rotation_vector_and_its_jacobian(angle):
    """log inverts Rodrigues up to |w| = pi; d(R(w) v)/dw = -[R v]_x J(w) (central differences)."""
    rng = np.random.default_rng(int(angle * 1000))
    axis = rng.normal(size=3)
    w = angle * axis / np.linalg.norm(axis)
    np.testing.assert_allclose(rotation_vector(rotation(w)), w, atol=1e-12)
    v = rng.normal(size=3)
    numeric = numeric_jacobian(lambda x: rotation(x) @ v, w)
    np.testing.assert_allclose(-cross_matrix(rotation(w) @ v) @ rotation_jacobian(w), numeric,
                               atol=1e-8)


@pytest.mark.parametrize("skew", ["free", "zero"])
def test_noise_free_camera_with_distortion_is_recovered_exactly(skew):
    s, data = sample()
    result = fit("project3d", data, distortion="k1,k2,p1,p2", skew=skew)
    assert result.success
    names = result.param_names
    truth = dict(zip(variant(dict(distortion="k1,k2,p1,p2")).param_names, s.params))
    got = dict(zip(names, result.params))
    for name in names:  # K, w, C to 1e-9 relative; the dimensionless coefficients to 1e-9
        scale = {"skew": 1500.0, "k1": 1.0, "k2": 1.0, "p1": 1.0, "p2": 1.0}.get(name, 0.0)
        assert got[name] == pytest.approx(truth[name], rel=1e-9, abs=1e-9 * scale), name
    assert result.cost < 1e-15


def test_every_coefficient_free_still_recovers_the_lens_and_k3_is_zero():
    s, data = sample(seed=2, n=300)
    result = fit("project3d", data, distortion="k1,k2,k3,p1,p2")
    got = dict(zip(result.param_names, result.params))
    assert got["k3"] == pytest.approx(0.0, abs=1e-8)
    for name, value in LENS.items():
        assert got[name] == pytest.approx(value, abs=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_noisy_camera_with_distortion_within_its_standard_errors(seed):
    s, data = sample(seed=seed, n=300, noise=0.5)
    model = variant(dict(distortion="k1,k2,p1,p2", skew="zero"))
    result = fit(model, data)
    d = diagnose(model, result.params, data, sigma=0.5, frame=result.frame)
    camera = d["camera"]
    K, R, C = s.settings["K"], s.settings["R"], s.settings["C"]
    truth = {"fx": K[0, 0], "fy": K[1, 1], "cx": K[0, 2], "cy": K[1, 2], **LENS,
             "Cx": C[0], "Cy": C[1], "Cz": C[2]}
    for name, value in truth.items():
        got, se = camera["figures"][name], camera["standard_errors"][name]
        assert se > 0 and abs(got - value) < 4 * se, (name, got, value, se)
    np.testing.assert_allclose(camera["R"], R, atol=4 * max(camera["standard_errors"][a] for a in ("rx", "ry", "rz")) * np.pi / 180)
    assert camera["handedness"] == "right" and camera["warnings"] == []


def test_standard_errors_agree_with_monte_carlo(rng):
    """200 refits of noisy copies of one 60-point view: the spread of each parameter and
    of each camera figure matches its standard error (sampling error of 200 draws: 5%)."""
    s, clean = sample(seed=11, n=60)
    model = variant(dict(distortion="k1,k2", skew="zero"))
    truth = fit(model, clean).params
    P = []
    for _ in range(200):
        noisy = (clean[0], clean[1] + rng.normal(0, 0.5, clean[1].shape))
        P.append(fit(model, noisy).params)
    P = np.array(P)
    cov = covariance(model, truth, clean, 0.5)
    ratio = P.std(axis=0, ddof=1) / np.sqrt(np.diag(cov))
    assert np.all((ratio > 0.8) & (ratio < 1.2)), dict(zip(model.param_names, ratio))
    camera = diagnose(model, truth, clean, sigma=0.5)["camera"]
    F = np.array([figures(model, p) for p in P])
    keys = [k for k in FIGURES if np.isfinite(camera["standard_errors"][k])]
    spread = dict(zip(FIGURES, F.std(axis=0, ddof=1)))
    ratio = {k: spread[k] / camera["standard_errors"][k] for k in keys}
    assert all(0.8 < r < 1.2 for r in ratio.values()), ratio


def test_a_left_handed_world_is_fitted_with_a_mirrored_axis_not_failed():
    """The world's Y axis mirrored (a left-handed frame, as the Oxford views are): the
    camera is represented with det R = -1, K and the lens recovered, and said so."""
    s, (X, uv) = sample(seed=3)
    X = X * [1.0, -1.0, 1.0]
    model = variant(dict(distortion="k1,k2,p1,p2"))
    result = fit(model, (X, uv))
    assert result.success and result.cost < 1e-15
    assert result.extra["mirror"] == "Z"
    camera = diagnose(model, result.params, (X, uv), frame=result.frame)["camera"]
    assert camera["handedness"] == "left" and np.linalg.det(camera["R"]) == pytest.approx(-1.0)
    assert any("left-handed" in w for w in camera["warnings"])
    np.testing.assert_allclose(camera["K"], s.settings["K"], rtol=1e-8, atol=1e-6)
    for name, value in LENS.items():
        assert camera["distortion"][name] == pytest.approx(value, abs=1e-9)
    x_c = camera["R"] @ (X - camera["C"]).T  # x_c = R (X - C) = R X + t: the reported camera
    np.testing.assert_allclose(camera["R"] @ X.T + np.reshape(camera["t"], (3, 1)), x_c, atol=1e-9)
    out = model.predict(result.params, X, mirror="Z")
    np.testing.assert_allclose(np.column_stack([out["u"], out["v"]]), uv, atol=1e-6)


def test_undistort_inverts_the_lens():
    s, (X, uv) = sample(seed=4, n=100)
    full = np.zeros(16)
    K = s.settings["K"]
    full[:10] = K[0, 0], K[1, 1], 0.0, K[0, 2], K[1, 2], LENS["k1"], LENS["k2"], 0.0, LENS["p1"], LENS["p2"]
    xy = undistort(full, uv)
    x_c = (X - s.settings["C"]) @ s.settings["R"].T
    np.testing.assert_allclose(xy, x_c[:, :2] / x_c[:, 2:], atol=1e-10)


def _intrinsics(s):
    K = s.settings["K"]
    return {"fx": K[0, 0], "fy": K[1, 1], "cx": K[0, 2], "cy": K[1, 2], **LENS}


@pytest.mark.parametrize("planar", [False, True])
def test_known_intrinsics_recover_the_pose(planar):
    """The solvePnP case: K and the lens given, the pose from the undistorted points'
    DLT (or, on a plane, their homography), then LM; exact without noise."""
    s, (X, uv) = sample(seed=5, n=150)
    if planar:  # the points' Z set to 0 and the image redrawn by the same camera
        X = X * [1.0, 1.0, 0.0]
        uv = MODELS["project3d"].variant(intrinsics=_intrinsics(s)).predict(
            np.concatenate([s.params[-6:]]), X, mirror="none")
        uv = np.column_stack([uv["u"], uv["v"]])
    model = variant(dict(intrinsics=_intrinsics(s)))
    result = fit(model, (X, uv))
    assert result.param_names == ("wx", "wy", "wz", "Cx", "Cy", "Cz")
    np.testing.assert_allclose(result.params, s.params[-6:], rtol=1e-9, atol=1e-9)


def test_noisy_pose_within_its_standard_errors():
    s, data = sample(seed=6, n=100, noise=0.5)
    model = variant(dict(intrinsics=_intrinsics(s)))
    result = fit(model, data)
    se = diagnose(model, result.params, data, sigma=0.5, frame=result.frame)["standard_errors"]
    assert np.all(np.abs(result.params - s.params[-6:]) < 4 * se)


def test_intrinsics_from_a_saved_model_and_from_a_small_json():
    values = read_intrinsics({"fx": 500, "fy": 510, "cx": 320, "cy": 240, "s": 1.5, "k1": -0.1})
    assert values["skew"] == 1.5 and values["k2"] == 0.0 and values["k1"] == -0.1
    K = np.array([[800.0, 2.0, 300.0], [0.0, 790.0, 250.0], [0.0, 0.0, 1.0]])
    M = -3.0 * K @ np.hstack([rotation([0.1, 0.2, 0.3]), [[1.0], [2.0], [3.0]]])
    names = ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3")
    doc = {"format": "fitcli-model", "model": "project3d", "params": dict(zip(names, M.ravel()))}
    got = read_intrinsics(doc)
    assert [got[k] for k in ("fx", "fy", "skew", "cx", "cy")] == pytest.approx([800, 790, 2, 300, 250])
    with pytest.raises(ValueError, match="no cy"):
        read_intrinsics({"fx": 1.0, "fy": 1.0, "cx": 0.0})


@pytest.mark.parametrize("options", [dict(distortion="k1"), dict(skew="zero")])
def test_planar_points_with_free_intrinsics_point_to_the_homography(options):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(-1, 1, (30, 2)), np.zeros(30)])
    uv = 500 * X[:, :2] / 5 + 300 + rng.normal(0, 0.5, (30, 2))
    with pytest.raises(DegenerateDataError, match="homography"):
        fit("project3d", (X, uv), **options)


def test_the_default_is_the_3x4_matrix_unchanged():
    model = MODELS["project3d"]
    assert model.variant() is model and model.variant(skew="free", distortion=()) is model


def test_model_choice_supports_distortion_that_is_there_and_not_what_is_not():
    s, data = sample(seed=7, n=200, noise=0.5)
    model = variant(dict(distortion="k1,k2"))
    section = model.sections(fit(model, data), data, None)[0]
    rows, test = section.content["models"], section.content["test"]
    assert [r["n_params"] for r in rows] == [11, 13]
    assert test["supported"] and test["p_value"] < 1e-10 and rows[1]["bic"] < rows[0]["bic"]
    assert rows[1]["sigma_estimate"] == pytest.approx(0.5, rel=0.15)
    plain = synthesize("project3d", seed=7, n=200, noise=0.5)
    data = (plain.table[:, :3], plain.table[:, 3:])
    section = model.sections(fit(model, data), data, None)[0]
    assert not section.content["test"]["supported"]
    assert any("not supported" in w for w in section.warnings)


def test_too_many_parameters_for_the_points_are_warned_about():
    s, data = sample(seed=8, n=40, noise=0.5)
    model = variant(dict(distortion="k1,k2,k3,p1,p2"))
    section = model.sections(fit(model, data), data, None)[0]
    assert any("16 parameters for 80 image coordinates" in w for w in section.warnings)


@pytest.mark.parametrize("f,d1,d2", [(0.5, 2, 100), (3.0, 1, 10), (50.0, 5, 500), (1e-3, 3, 7),
                                     (200.0, 3, 1000), (1.2, 10, 20)])
def test_f_distribution_against_reference_values(f, d1, d2):
    stats = pytest.importorskip("scipy.stats")
    from fitcli.core.stats import f_sf

    assert f_sf(f, d1, d2) == pytest.approx(stats.f.sf(f, d1, d2), rel=1e-10)

