"""K, R, C from a projection matrix: RQ decomposition, angles, propagated errors."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.camera import (
    CAMERA_FIGURES, KRt_from_projection, camera_centre, camera_figures, describe, euler_angles,
    figures_along, projection_from_KRt, rotation, rotation_from_euler, rq,
)
from fitcli.core.diagnostics import covariance_factor
from fitcli.core.models import MODELS
from fitcli.core.synth import synthesize


def random_camera(rng):
    K = np.array([[rng.uniform(500, 3000), rng.normal(0, 1), rng.uniform(0, 2000)],
                  [0.0, rng.uniform(500, 3000), rng.uniform(0, 2000)], [0.0, 0.0, 1.0]])
    return K, rotation(rng.normal(0, 1.5, 3)), rng.normal(0, 5, 3)


@pytest.mark.parametrize("seed", range(5))
def test_rq_factors_into_positive_upper_triangular_times_orthogonal(seed):
    A = np.random.default_rng(seed).normal(size=(3, 3))
    U, Q = rq(A)
    np.testing.assert_allclose(U @ Q, A, atol=1e-14)
    np.testing.assert_allclose(np.tril(U, -1), 0.0, atol=0)
    assert np.all(np.diag(U) > 0)
    np.testing.assert_allclose(Q @ Q.T, np.eye(3), atol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_decomposition_recovers_K_R_t_of_any_positive_multiple(seed):
    rng = np.random.default_rng(seed)
    K, R, t = random_camera(rng)
    M = rng.uniform(1e-3, 1e3) * projection_from_KRt(K, R, t)
    K2, R2, t2 = KRt_from_projection(M)
    np.testing.assert_allclose(K2, K, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(R2, R, atol=1e-12)
    np.testing.assert_allclose(t2, t, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(camera_centre(M), -R.T @ t, rtol=1e-10, atol=1e-10)
    assert describe(M)["handedness"] == "right" and describe(M)["warnings"] == []


def test_a_negative_multiple_is_a_left_handed_camera_and_is_flagged():
    K, R, t = random_camera(np.random.default_rng(9))
    M = -projection_from_KRt(K, R, t)
    K2, R2, _ = KRt_from_projection(M)
    np.testing.assert_allclose(K2, K, rtol=1e-10, atol=1e-9)  # K keeps a positive diagonal
    assert np.linalg.det(R2) == pytest.approx(-1.0)
    report = describe(M)
    assert report["handedness"] == "left" and "left-handed" in report["warnings"][0]
    assert np.all(np.isnan(euler_angles(R2)))


@pytest.mark.parametrize("seed", range(10))
def test_euler_angles_invert_rotation_from_euler(seed):
    angles = np.random.default_rng(seed).uniform([-180, -89, -180], [180, 89, 180])
    R = rotation_from_euler(angles)
    np.testing.assert_allclose(euler_angles(R), angles, atol=1e-9)
    # the convention stated in the report: R = Rz(rz) Ry(ry) Rx(rx)
    rx, ry, rz = np.radians(angles)
    Rz = rotation([0, 0, rz]); Ry = rotation([0, ry, 0]); Rx = rotation([rx, 0, 0])
    np.testing.assert_allclose(Rz @ Ry @ Rx, R, atol=1e-14)


def test_euler_angles_at_gimbal_lock_still_rebuild_R():
    R = rotation_from_euler([30.0, 90.0, 10.0])
    np.testing.assert_allclose(rotation_from_euler(euler_angles(R)), R, atol=1e-9)


def test_figure_derivatives_match_closed_forms():
    """dC/dm4 = -A^-1 exactly; every figure is scale-free, so D M = 0."""
    K, R, t = random_camera(np.random.default_rng(4))
    M = projection_from_KRt(K, R, t) / 1000.0
    h = 1e-6 * np.abs(M.ravel())  # each entry stepped by its own size
    D = figures_along(M, np.diag(h), step=1.0) / h
    C_rows = [CAMERA_FIGURES.index(c) for c in ("Cx", "Cy", "Cz")]
    np.testing.assert_allclose(D[np.ix_(C_rows, [3, 7, 11])], -np.linalg.inv(M[:, :3]), rtol=1e-6)
    scale = np.abs(D) @ np.abs(M.ravel())
    assert np.all(np.abs(D @ M.ravel()) <= 1e-6 * scale)


def test_noise_free_sample_gives_the_true_camera_exactly():
    sample = synthesize("project3d", seed=2, n=100, noise=0.0)
    result = fit("project3d", (sample.table[:, :3], sample.table[:, 3:]))
    K, R, _ = KRt_from_projection(result.params.reshape(3, 4))
    np.testing.assert_allclose(K, sample.settings["K"], rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(R, sample.settings["R"], atol=1e-9)
    np.testing.assert_allclose(camera_centre(result.params.reshape(3, 4)), sample.settings["C"], atol=1e-8)


@pytest.mark.parametrize("seed", range(4))
def test_noisy_camera_recovered_within_its_standard_errors(seed):
    """f, principal point, skew 0, angles and centre of the generating camera lie within
    4 propagated standard errors of the fitted ones."""
    sample = synthesize("project3d", seed=seed, n=200, noise=0.5)
    data = (sample.table[:, :3], sample.table[:, 3:])
    result = fit("project3d", data)
    M = result.params.reshape(3, 4)
    report = describe(M, covariance_factor(MODELS["project3d"], result.params, data, 0.5))
    K, R, C = sample.settings["K"], sample.settings["R"], sample.settings["C"]
    truth = np.concatenate([[K[0, 0], K[1, 1], 0.0, K[0, 2], K[1, 2]], euler_angles(R), C])
    got = np.array([report["figures"][k] for k in CAMERA_FIGURES])
    se = np.array([report["standard_errors"][k] for k in CAMERA_FIGURES])
    assert np.all(se > 0)
    assert np.all(np.abs(got - truth) < 4 * se), dict(zip(CAMERA_FIGURES, (got - truth) / se))
    assert report["warnings"] == []


def test_significant_skew_is_flagged():
    K, R, t = random_camera(np.random.default_rng(1))
    K[0, 1] = 0.05 * K[0, 0]
    report = describe(projection_from_KRt(K, R, t))
    assert any("implausible skew" in w for w in report["warnings"])
    assert camera_figures(projection_from_KRt(K, R, t))[2] == pytest.approx(K[0, 1])
