"""The batched slow-point finder on systems whose fixed points and ghosts are known."""
import math

import numpy as np
import pytest
import torch

from dynamics import fixed_points

X0_1D = torch.linspace(-2, 2, 21, dtype=torch.float64)[:, None]


def test_two_fixed_points_of_the_saddle_node_below_the_bifurcation():
    pts = fixed_points.find_slow_points(lambda x: x ** 2 - 1.0, X0_1D, {"n_iters": 2000, "newton_steps": 10})
    found = sorted(zip(pts.x[:, 0].tolist(), pts.kind))
    assert [k for _, k in found] == ["stable", "unstable"]
    np.testing.assert_allclose([x for x, _ in found], [-1.0, 1.0], atol=1e-8)
    assert torch.all(pts.q < 1e-12)


@pytest.mark.parametrize("r, kind", [(-0.01, None), (1e-3, "ghost"), (0.02, "ghost"), (0.5, "not slow")])
def test_saddle_node_normal_form_on_both_sides_of_the_bifurcation(r, kind):
    # ẋ = x² + r. r < 0: fixed points ±√−r (λ = ∓2√−r: multipliers 1 ∓ √−r with α = 0.5).
    # r > 0: one minimum of |ẋ| at x = 0 with speed r and λ = 0 (marginal): a ghost while r is below
    # the speed ceiling (0.1), a fast minimum that holds nothing above it.
    pts = fixed_points.find_slow_points(lambda x: x ** 2 + r, X0_1D, {"n_iters": 3000, "newton_steps": 20})
    if r < 0:
        assert sorted(zip(pts.x[:, 0].tolist(), pts.kind)) == [
            (pytest.approx(-0.1, abs=1e-8), "stable"), (pytest.approx(0.1, abs=1e-8), "unstable")]
        return
    assert pts.kind == [kind]
    assert abs(float(pts.x[0, 0])) < 1e-6 and float(pts.speed[0]) == pytest.approx(r, rel=1e-6)
    assert float(pts.marginal_gap[0]) < 1e-6 and float(pts.slow_speed[0]) == pytest.approx(r, rel=1e-6)
    assert math.isinf(float(pts.fixed_distance[0])) or float(pts.fixed_distance[0]) > 1.0


def test_ghost_and_a_fast_minimum_in_two_dimensions():
    # ẋ = r + x²(x − 2)² + 0.5·s(x), s a smooth step at x = 1; ẏ = −y. No zero anywhere; |F| has a
    # minimum near (0, 0) with speed ≈ r (a ghost) and one near (2, 0) with speed ≈ 0.5 + r (not slow:
    # the marginal direction is there, but the speed is above the ceiling).
    r = 1e-3

    def flow(z):
        x, y = z[:, 0], z[:, 1]
        step = 0.5 * (1 + torch.tanh(5 * (x - 1)))
        return torch.stack([r + x ** 2 * (x - 2) ** 2 + 0.5 * step, -y], dim=1)

    grid = torch.cartesian_prod(torch.linspace(-1, 3, 21), torch.linspace(-1, 1, 5)).double()
    pts = fixed_points.find_slow_points(flow, grid, {"n_iters": 3000, "newton_steps": 20})
    minima = sorted((round(float(x), 2), k, float(s)) for (x, _), k, s in zip(pts.x, pts.kind, pts.speed)
                    if k != "non-minimum")
    assert [(x, k) for x, k, _ in minima] == [(0.0, "ghost"), (2.0, "not slow")]
    step = lambda x: 0.5 * (1 + math.tanh(5 * (x - 1)))          # nearly flat at both minima
    assert minima[0][2] == pytest.approx(r + 0.5 * step(0), rel=1e-3)
    assert minima[1][2] == pytest.approx(r + 0.5 * step(2), rel=1e-3)


@pytest.mark.parametrize("c, kind", [(1e-3, "ghost"), (0.02, "not slow")])
def test_a_sheared_ghost_is_judged_by_its_speed_along_the_slow_direction(c, kind):
    # F = (c + x² + a·y, a·c − y): at (0, 0) F = c(1, a), J = [[0, a], [0, −1]] (λ = 0 along (1, 0)).
    # The fast component relaxes; the drift along the slow direction is c(1 + a²), faster than |F|.
    a = 3.0
    flow = lambda z: torch.stack([c + z[:, 0] ** 2 + a * z[:, 1], a * c - z[:, 1]], dim=1)
    pts = fixed_points.find_slow_points(flow, torch.zeros(1, 2, dtype=torch.float64),
                                        {"n_iters": 0, "newton_steps": 0, "state_scale": 1.0})
    assert float(pts.speed[0]) == pytest.approx(c * math.sqrt(1 + a * a))          # below 0.1 in both cases
    assert float(pts.slow_speed[0]) == pytest.approx(c * (1 + a * a))
    assert pts.kind == [kind]


def test_an_unconverged_fixed_point_is_not_a_ghost():
    # A stable linear flow, evaluated 1e-4 from its fixed point: q ≈ 1e-8 is far above an absolute
    # 1e-10, and q's Hessian (AᵀA) is positive definite, but a zero of the linearisation is near.
    A = torch.tensor([[-1.0, 2.0], [0.0, -0.5]], dtype=torch.float64)
    flow = lambda z: z @ A.T
    x = torch.tensor([[1e-4, -1e-4]], dtype=torch.float64)
    reference = torch.tensor([[1.0, 0.0], [0.0, -1.0]], dtype=torch.float64)
    pts = fixed_points.find_slow_points(flow, x, {"n_iters": 0, "newton_steps": 0}, reference=reference)
    assert float(pts.q[0]) > 1e-10
    assert float(pts.fixed_distance[0]) == pytest.approx(float(x.norm()), rel=1e-12)   # Newton is exact here
    assert pts.kind == ["stable"]


def test_an_unconverged_ghost_is_not_a_fixed_point():
    # ẋ = x² + 1e-5 has no zero. Five Newton steps from x = 0.05 stop near x ≈ 0.007, where the
    # linearisation has a zero close by; a Newton step to it does not reduce the flow, so it is no fixed point.
    pts = fixed_points.find_slow_points(lambda x: x ** 2 + 1e-5, torch.tensor([[0.05]], dtype=torch.float64),
                                        {"n_iters": 0, "newton_steps": 5, "state_scale": 1.0})
    assert float(pts.q[0]) > 1e-10 and pts.kind[0] not in fixed_points.FIXED_KINDS
    assert float(pts.fixed_distance[0]) == float("inf")


def test_stability_of_the_discrete_map_differs_from_the_flow():
    # λ = −0.1 ± 3i: the flow spirals in (Re λ < 0), the map x ← x + 0.5 F(x) spirals out (|1 + λ/2| > 1).
    # λ = −5: the flow decays, the map overshoots (1 − 2.5 = −1.5).
    A = torch.tensor([[-0.1, 3.0], [-3.0, -0.1]], dtype=torch.float64)
    flows = {"spiral": lambda z: z @ A.T, "stiff": lambda z: -5.0 * z}
    for name, flow in flows.items():
        x0 = torch.zeros(1, 2 if name == "spiral" else 1, dtype=torch.float64)
        discrete = fixed_points.find_slow_points(flow, x0, {"n_iters": 0, "alpha": 0.5})
        continuous = fixed_points.find_slow_points(flow, x0, {"n_iters": 0, "alpha": 0.5, "stability": "continuous"})
        assert discrete.kind == ["unstable"] and continuous.kind == ["stable"], name
    small_step = fixed_points.find_slow_points(flows["stiff"], torch.zeros(1, 1, dtype=torch.float64),
                                               {"n_iters": 0, "alpha": 0.1})
    assert small_step.kind == ["stable"]                                              # 1 − 0.5 = 0.5
    with pytest.raises(ValueError, match="stability"):
        fixed_points.find_slow_points(flows["stiff"], torch.zeros(1, 1), {"stability": "euler"})


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


def test_ghost_speed_ceiling_from_the_task_time_scale():
    # α = 0.5, a 20-step delay, unit distance: a state faster than 0.1 leaves within the delay.
    assert fixed_points.ghost_speed_ceiling(1.0, 0.5, 20) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        fixed_points.ghost_speed_ceiling(1.0, 0.0, 20)


def test_outliers_and_duplicates_are_dropped():
    x = torch.tensor([[0.0], [1e-4], [1.0], [10.0]], dtype=torch.float64)
    q = torch.tensor([0.0, 1e-9, 0.1, 0.2], dtype=torch.float64)
    assert fixed_points.keep_unique(x, q, tol=1e-2).tolist() == [0, 2, 3]
    ref = torch.zeros(1, 1, dtype=torch.float64)
    assert fixed_points.exclude_outliers(x, ref, 2.0).tolist() == [True, True, True, False]


def test_unknown_setting_is_rejected():
    with pytest.raises(KeyError, match="n_iter"):
        fixed_points.find_slow_points(lambda x: x, torch.zeros(1, 1), {"n_iter": 10})
