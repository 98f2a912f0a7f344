"""Hand-computed rows: inputs, expected residual, expected derivative (docs/math.md)."""

import math

import numpy as np
import pytest

from fitcli.core.models import MODELS
from fitcli.core.models.linear_tanh.labels import encode_labels


def test_linear_tanh_by_hand():
    # k=2, b=1, point (x=0.5, y=1.5), l=+1: z = 2*0.5 + 1 - 1.5 = 0.5
    t = math.tanh(0.5)
    r = MODELS["linear-tanh"].residuals(np.array([2.0, 1.0]), np.array([0.5]), np.array([1.5]), np.array([1.0]))
    J = MODELS["linear-tanh"].jacobian(np.array([2.0, 1.0]), np.array([0.5]), np.array([1.5]), np.array([1.0]))
    assert r[0] == pytest.approx(t - 1.0, rel=1e-15)
    assert J[0, 0] == pytest.approx((1 - t * t) * 0.5, rel=1e-15)
    assert J[0, 1] == pytest.approx(1 - t * t, rel=1e-15)


def test_ratio2d_by_hand():
    # theta = (a, b, t1, c, d, t2) = (1, 2, 3, 0.5, -1, 4); point (x, y) = (2, 1), l = 1
    theta = np.array([1.0, 2.0, 3.0, 0.5, -1.0, 4.0])
    x, y, l = np.array([2.0]), np.array([1.0]), np.array([1.0])
    nx, ny = 1 * 2 + 2 * 1 + 3, 0.5 * 2 - 1 * 1 + 4  # 7, 4
    r = MODELS["ratio2d"].residuals(theta, x, y, l)
    J = MODELS["ratio2d"].jacobian(theta, x, y, l)
    assert r[0] == pytest.approx(nx / ny - 1)
    # docs/math.md: dL/da = C ny x with C = 2 (r - l)/ny^2, i.e. dr/da = x / ny, dr/dc = -nx x / ny^2
    np.testing.assert_allclose(J[0], [2 / 4, 1 / 4, 1 / 4, -7 * 2 / 16, -7 * 1 / 16, -7 / 16])


def test_project3d_by_hand():
    M = np.array([[1.0, 0, 0, 1], [0, 2.0, 0, 0], [0, 0, 1.0, 2]])
    X, uv = np.array([[1.0, 1.0, 2.0]]), np.array([[0.25, 0.75]])
    # nx = 2, ny = 2, nz = 4: u_hat = 0.5, v_hat = 0.5
    r = MODELS["project3d"].residuals(M.ravel(), X, uv)
    np.testing.assert_allclose(r, [0.25, -0.25])
    J = MODELS["project3d"].jacobian(M.ravel(), X, uv)
    P = np.array([1.0, 1.0, 2.0, 1.0])
    np.testing.assert_allclose(J[0], np.concatenate([P / 4, np.zeros(4), -0.5 * P / 4]))
    np.testing.assert_allclose(J[1], np.concatenate([np.zeros(4), P / 4, -0.5 * P / 4]))


def test_project3d_point_squares_by_hand_and_as_the_residuals_give_them():
    """point_squares works the coordinates as rows in blocks: the hand row above, and
    the numbers of residuals() (the generic form) over several blocks, C- and
    column-major, with and without a scale."""
    from fitcli.core.models.base import Model
    from fitcli.core.objective import CHUNK

    model = MODELS["project3d"]
    M = np.array([[1.0, 0, 0, 1], [0, 2.0, 0, 0], [0, 0, 1.0, 2]])
    X, uv = np.array([[1.0, 1.0, 2.0]]), np.array([[0.25, 0.75]])
    assert model.point_squares(M.ravel(), (X, uv)).tolist() == [0.125]
    assert model.point_squares(M.ravel(), (X, uv), 2.0).tolist() == [0.5]
    rng = np.random.default_rng(4)
    n = 2 * CHUNK + 17
    values = rng.normal(size=(5, n))
    values[2] += 8.0  # in front of the camera
    for X, uv in ((values[0:3].T, values[3:5].T), (values[0:3].T.copy(), values[3:5].T.copy())):
        for scale in (1.0, 0.37):
            np.testing.assert_allclose(model.point_squares(M.ravel(), (X, uv), scale),
                                       Model.point_squares(model, M.ravel(), (X, uv), scale),
                                       rtol=1e-15, atol=0)


def test_labels_zero_one_are_read_as_minus_one_plus_one():
    l, how = encode_labels(np.array([0.0, 1.0, 1.0]))
    np.testing.assert_array_equal(l, [-1.0, 1.0, 1.0])
    assert "0/1" in how


@pytest.mark.parametrize("values", [[1.0, 2.0, 3.0], [1.0, 1.0]])  # three classes, one class
def test_bad_labels_are_refused(values):
    with pytest.raises(ValueError):
        encode_labels(np.array(values))
