"""The data path of a large fit: normalisation in blocks, kernels that keep the points
as given (views, no n-sized copies), and sums that do not depend on memory layout."""

import numpy as np
import pytest

import fitcli.core.normalize as normalize
from fitcli.core.models import MODELS
from fitcli.core.normalize import moment_rank, planar_rank, similarity, similarity_xy


@pytest.mark.parametrize("order", ["C", "F"])
def test_similarity_centres_and_scales_in_blocks(rng, order, monkeypatch):
    monkeypatch.setattr(normalize, "CHUNK", 64)
    points = np.asarray(rng.normal(3.0, 2.0, (1001, 3)), order=order)
    T, out = similarity(points, "points")
    assert out.flags.f_contiguous
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-13)
    assert np.linalg.norm(out, axis=1).mean() == pytest.approx(np.sqrt(3), rel=1e-13)
    homogeneous = np.column_stack([points, np.ones(len(points))]) @ T.T
    np.testing.assert_allclose(homogeneous[:, :3], out, atol=1e-13)


def test_similarity_keeps_the_digits_of_coordinates_offset_by_1e5(rng):
    points = rng.uniform(-1.5, 1.5, (500, 3))
    far = points + 1e5  # survey coordinates: every value carries ~1e-11 of rounding
    near_out, far_out = similarity(points, "p")[1], similarity(far - 1e5, "p")[1]
    np.testing.assert_allclose(similarity(far, "p")[1], near_out, atol=1e-9)
    np.testing.assert_allclose(far_out, near_out, atol=1e-9)


def test_moment_rank_is_the_same_for_either_layout(rng, monkeypatch):
    monkeypatch.setattr(normalize, "CHUNK", 100)
    plane = rng.normal(size=(777, 2)) @ rng.normal(size=(2, 3)) + 5.0
    for points, rank in ((plane, 2), (rng.normal(size=(777, 3)), 3)):
        assert moment_rank(np.ascontiguousarray(points)) == rank
        assert moment_rank(np.asfortranarray(points)) == rank


def test_similarity_xy_is_similarity_on_two_arrays(rng):
    xy = rng.normal(size=(300, 2)) * [3.0, 0.5] + [1e5, -2e3]  # far from the origin
    T, rows = similarity(xy, "p")
    T2, x, y = similarity_xy(np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), "p")
    np.testing.assert_allclose(T2, T, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(np.column_stack([x, y]), rows, atol=1e-10)


def test_planar_rank_agrees_with_moment_rank(rng):
    xy = rng.normal(size=(200, 2))
    line = np.column_stack([xy[:, 0], 3.0 * xy[:, 0] - 2.0]) + 1e5  # far from the origin
    cases = {"spread": (xy, 2), "line": (line, 1), "point": (np.tile([7.0, -3.0], (50, 1)), 0),
             "thin": (xy * [1.0, 1e-5], 2), "too thin": (xy * [1.0, 1e-9], 1),
             "origin": (np.zeros((9, 2)), 0)}
    for name, (points, rank) in cases.items():
        assert planar_rank(points[:, 0], points[:, 1]) == rank, name
        assert moment_rank(points) == rank, name


@pytest.mark.parametrize("name", ["project3d", "ratio2d"])
def test_kernel_takes_normalised_points_as_views(name, rng):
    model = MODELS[name]
    data, _ = model.example(rng, n=500)
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    held = [kernel.P, kernel.u, kernel.v] if name == "project3d" else [kernel.x, kernel.y]
    for array in held:
        assert any(np.shares_memory(array, d) for d in frame.data)
