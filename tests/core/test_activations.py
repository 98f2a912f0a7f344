"""The tutorial's activations: its printed values, central differences, and stability."""

import numpy as np
import pytest

from fitcli.core import activations as act
from fitcli.core.gradcheck import numeric_jacobian, relative_errors

PAIRS = [
    (act.sigmoid, act.dsigmoid), (act.tanh, act.dtanh), (act.relu, act.drelu),
    (act.leaky_relu, act.dleaky_relu), (act.softplus, act.dsoftplus),
]


def test_values_printed_in_the_tutorial():
    assert act.sigmoid(3.0) == pytest.approx(0.952574126822, abs=5e-13)
    assert act.dsigmoid(3.0) == pytest.approx(0.0451766597309, abs=5e-14)
    assert act.tanh(3.0) == pytest.approx(0.995054753687, abs=5e-13)
    assert act.dtanh(3.0) == pytest.approx(0.00986603716544, abs=5e-15)
    expected = [9.80897665e-01, 8.94462891e-04, 1.79657674e-02, 1.21052389e-04, 1.21052389e-04]
    np.testing.assert_allclose(act.softmax([9.0, 2.0, 5.0, 0.0, 0.0]), expected, rtol=5e-9)


@pytest.mark.parametrize("f,df", PAIRS, ids=lambda f: getattr(f, "__name__", ""))
def test_derivative_matches_central_differences(f, df, rng):
    z = rng.uniform(-4, 4, 50)
    z = z[np.abs(z) > 1e-3]  # away from the kink of relu and leaky relu
    numeric = np.array([numeric_jacobian(lambda p: f(p), np.array([v]))[0, 0] for v in z])
    assert np.max(relative_errors(df(z), numeric)) < 1e-6


def test_softmax_jacobian_matches_central_differences(rng):
    a = rng.normal(0, 2, 5)
    numeric = numeric_jacobian(act.softmax, a)
    np.testing.assert_allclose(act.dsoftmax(a), numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(act.dsoftmax(a).sum(axis=0), 0.0, atol=1e-15)  # sum p = 1


def test_the_forms_in_the_tutorial_hold():
    z = np.linspace(-6, 6, 25)
    s = act.sigmoid(z)
    np.testing.assert_allclose(act.dsigmoid(z), s * (1 - s), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(act.dtanh(z), 1 - np.tanh(z) ** 2, rtol=1e-9)  # the naive form cancels
    np.testing.assert_allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(act.leaky_relu(z), np.maximum(0.01 * z, z))


def test_kinks_return_a_one_sided_value():
    assert act.drelu(0.0) == 0.0 and act.drelu(1e-300) == 1.0
    assert act.dleaky_relu(0.0) == 0.01 and act.dleaky_relu(-5.0) == 0.01


def test_no_overflow_and_no_lost_precision_at_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        assert act.sigmoid(-1000.0) == 0.0 and act.sigmoid(1000.0) == 1.0
        assert act.sigmoid(-50.0) == pytest.approx(np.exp(-50.0), rel=1e-12)
        assert act.dsigmoid(40.0) == pytest.approx(np.exp(-40.0), rel=1e-12)  # not 1 - 1 = 0
        assert act.dtanh(20.0) == pytest.approx(4 * np.exp(-40.0), rel=1e-12)
        assert act.softplus(1000.0) == 1000.0 and act.softplus(-1000.0) == 0.0
        assert act.softplus(-40.0) == pytest.approx(np.exp(-40.0), rel=1e-12)
        np.testing.assert_allclose(act.softmax([1000.0, 1000.0]), [0.5, 0.5])


def test_softmax_rows_of_a_matrix():
    a = np.array([[0.0, 0.0], [1.0, 3.0]])
    p = act.softmax(a)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert act.dsoftmax(a).shape == (2, 2, 2)
    np.testing.assert_allclose(p[1], act.softmax(a[1]))
