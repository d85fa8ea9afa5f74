"""The batched slow-point finder on systems whose fixed points and ghosts are known."""
import numpy as np
import pytest
import torch

from dynamics import fixed_points


def test_two_fixed_points_of_the_saddle_node_below_the_bifurcation():
    x0 = torch.linspace(-2, 2, 21, dtype=torch.float64)[:, None]
    pts = fixed_points.find_slow_points(lambda x: x ** 2 - 1.0, x0, {"n_iters": 2000, "newton_steps": 10})
    found = sorted(zip(pts.x[:, 0].tolist(), pts.kind))
    assert [k for _, k in found] == ["stable", "unstable"]
    np.testing.assert_allclose([x for x, _ in found], [-1.0, 1.0], atol=1e-8)
    assert torch.all(pts.q < 1e-12)


@pytest.mark.parametrize("r", [0.5, 0.01])
def test_ghost_of_x_squared_plus_r(r):
    x0 = torch.linspace(-2, 2, 21, dtype=torch.float64)[:, None]
    pts = fixed_points.find_slow_points(lambda x: x ** 2 + r, x0, {"n_iters": 3000, "newton_steps": 20})
    assert len(pts) == 1 and pts.kind == ["ghost"]
    assert abs(float(pts.x[0, 0])) < 1e-6                       # the speed minimum at x = 0
    assert float(pts.speed[0]) == pytest.approx(r, rel=1e-6)    # ... where |ẋ| = r > 0
    assert not bool(pts.is_fixed[0])


def test_nine_fixed_points_of_a_bistable_two_unit_network():
    # F(x) = −x + tanh(2x) per unit: fixed points 0 (unstable) and ±x*, x* = tanh(2x*).
    x_star = 0.957504
    flow = lambda x: -x + torch.tanh(2.0 * x)
    x0 = torch.rand(300, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3 - 1.5
    pts = fixed_points.find_slow_points(flow, x0, {"n_iters": 2000})
    assert len(pts) == 9 and torch.all(pts.q < 1e-12)
    kinds = {k: pts.kind.count(k) for k in set(pts.kind)}
    assert kinds == {"stable": 4, "saddle": 4, "unstable": 1}
    corners = pts.x[[k == "stable" for k in pts.kind]].abs()
    np.testing.assert_allclose(corners.numpy(), x_star, atol=1e-5)


def test_outliers_and_duplicates_are_dropped():
    x = torch.tensor([[0.0], [1e-4], [1.0], [10.0]], dtype=torch.float64)
    q = torch.tensor([0.0, 1e-9, 0.1, 0.2], dtype=torch.float64)
    assert fixed_points.keep_unique(x, q, tol=1e-2).tolist() == [0, 2, 3]
    ref = torch.zeros(1, 1, dtype=torch.float64)
    assert fixed_points.exclude_outliers(x, ref, 2.0).tolist() == [True, True, True, False]


def test_unknown_setting_is_rejected():
    with pytest.raises(KeyError, match="n_iter"):
        fixed_points.find_slow_points(lambda x: x, torch.zeros(1, 1), {"n_iter": 10})
