"""The ghost timeline (first ghost, fixed-point count changes, ghost-before-drop) on an analytic
saddle-node family, through the same per-epoch analyses the rank-2 and full-rank experiments use.

Family: per unit F(x) = −x + tanh(2x + β). Its two upper fixed points merge where
tanh²(2x + β) = 1/2, i.e. at β_c = atanh(1/√2) − √2 ≈ −0.5328: for β < β_c there is one (stable)
fixed point and a ghost where F' = 0, at x_g = (atanh(1/√2) − β)/2 with speed |1/√2 − x_g|;
for β > β_c there are three fixed points. The minimum is a ghost only while its speed is below the
ceiling (0.15 here): far from β_c it is a fast minimum ("not slow"), so the first ghost comes later.
"""
import math

import numpy as np
import pytest
import torch

from dynamics import fixed_points
from dynamics.experiments import full_rank_slow_points, low_rank_flow
from dynamics.experiments._shared import ghost_timeline, slow_point_summary, timeline_epochs

BETA_C = math.atanh(1 / math.sqrt(2)) - math.sqrt(2)
BETAS = np.linspace(-0.95, -0.05, 10)           # one "epoch" every 10, crossing β_c between 40 and 50
EPOCHS = list(range(0, 100, 10))
FINDER = {"n_iters": 500, "lr": 1e-2, "lr_decay": 1.0, "newton_steps": 10, "tol_unique": 0.05,
          "outlier_distance": 5.0, "tol_fixed": 1e-10, "tol_q": 1e-14, "ghost_speed_max": 0.15}
CLASSIFY = {"tol_fixed": 1e-10, "ghost_speed_max": 0.15}


def _ghost_speed(betas):
    return np.abs(1 / math.sqrt(2) - (math.atanh(1 / math.sqrt(2)) - betas) / 2)


def _expected(betas):
    ghost = (betas < BETA_C) & (_ghost_speed(betas) <= 0.15)
    first = EPOCHS[int(np.argmax(ghost))] if ghost.any() else -1
    change = EPOCHS[int(np.nonzero(np.diff(betas < BETA_C))[0][0]) + 1]
    return ghost, first, change


@pytest.mark.parametrize("order", [1, -1], ids=["ghost_then_fixed_points", "fixed_points_then_ghost"])
def test_full_rank_timeline_on_saddle_node_family(order):
    betas = BETAS[::order].copy()
    E = len(betas)
    W = torch.full((E, 1, 1), 2.0, dtype=torch.float64)
    b = torch.as_tensor(betas, dtype=torch.float64)[:, None]
    states = torch.linspace(-1.5, 1.5, 31, dtype=torch.float64).expand(E, 1, 31)[..., None]   # [E, C, S, N]
    per_epoch = full_rank_slow_points.slow_point_timeline(W, b, states, FINDER, 0.01, 0, radius=0.2)
    ghost, first, change = _expected(betas)

    np.testing.assert_array_equal(per_epoch["n_fixed_points"], np.where(betas < BETA_C, 1, 3))
    assert np.isfinite(per_epoch["ghost_speed"]).tolist() == ghost.tolist()
    assert np.isfinite(per_epoch["ghost_speed_near_path"]).tolist() == ghost.tolist()
    np.testing.assert_allclose(np.asarray(per_epoch["ghost_speed"])[ghost], _ghost_speed(betas[ghost]), rtol=1e-6)

    summary = ghost_timeline(EPOCHS, per_epoch["n_fixed_points"], per_epoch["ghost_speed_near_path"],
                             {"before change": change, "after change": change + 10, "never": -1})
    assert summary["first ghost"] == first == (20 if order == 1 else 50)
    assert summary["count changes"] == [{"epoch": change, "from": 1 if order == 1 else 3, "to": 3 if order == 1 else 1}]
    assert summary["bifurcations"] == 1 and summary["fixed-point counts"] == [1, 3]
    assert summary["ghost before"] == {"before change": order == 1, "after change": True, "never": False}


def test_rank_two_timeline_on_saddle_node_family_and_the_path_radius():
    # Rank-2 network with W = diag(2, 0.5) (N = 2): κ̇ = (−κ₁ + tanh(2κ₁ + β), −κ₂ + tanh(κ₂ / 2)),
    # so the second coordinate adds the single fixed point κ₂ = 0 to every count.
    E = len(BETAS)
    W = torch.diag(torch.tensor([2.0, 0.5], dtype=torch.float64)).expand(E, 2, 2)
    b = torch.stack([torch.as_tensor(BETAS), torch.zeros(E, dtype=torch.float64)], dim=1)
    line = torch.stack([torch.linspace(-1.5, 1.5, 31, dtype=torch.float64), torch.zeros(31, dtype=torch.float64)], 1)
    far = line + torch.tensor([0.0, 2.0], dtype=torch.float64)
    axis = np.linspace(-3.0, 3.0, 121)
    ghost, first, change = _expected(BETAS)

    near = low_rank_flow.slow_point_timeline(W, b, line.expand(E, 1, 31, 2), axis, 30, CLASSIFY, radius=0.5)
    np.testing.assert_array_equal(near["n_fixed_points"], np.where(BETAS < BETA_C, 1, 3))
    assert np.isfinite(near["ghost_speed_near_path"]).tolist() == ghost.tolist()
    np.testing.assert_allclose(np.asarray(near["ghost_distance"])[ghost], 0.0, atol=0.06)   # on the line
    summary = ghost_timeline(EPOCHS, near["n_fixed_points"], near["ghost_speed_near_path"], {"drop": change})
    assert summary["first ghost"] == first == 20 and summary["ghost before"]["drop"]
    assert summary["count changes"] == [{"epoch": change, "from": 1, "to": 3}]

    away = low_rank_flow.slow_point_timeline(W, b, far.expand(E, 1, 31, 2), axis, 30, CLASSIFY, radius=0.5)
    assert np.isfinite(away["ghost_speed"]).tolist() == ghost.tolist()     # the ghost exists ...
    assert not np.isfinite(away["ghost_speed_near_path"]).any()            # ... but 2 away from the path
    assert ghost_timeline(EPOCHS, away["n_fixed_points"], away["ghost_speed_near_path"], {"drop": change}) \
        ["first ghost"] == -1


def test_slow_point_summary_and_timeline_epochs():
    row = slow_point_summary(["stable", "ghost", "saddle", "ghost", "non-minimum"], [0.0, 0.3, 0.0, 0.1, 0.05],
                             [0.0, 0.2, 5.0, 3.0, 0.0], radius=1.0)
    assert row["n_fixed_points"] == 2
    assert row["ghost_speed"] == 0.1 and row["ghost_distance"] == 3.0     # the slowest ghost is far
    assert row["ghost_speed_near_path"] == 0.3                             # the slowest near one
    assert timeline_epochs(range(0, 1000, 10), 517, 5) == [0, 130, 260, 390, 520]
    assert timeline_epochs([0, 5, 10, 15], 11, 40) == [0, 5, 10]


def test_newton_refine_leaves_a_region_of_negative_curvature():
    # F = sin x + 1.5 has no zero; |F| has minima (speed 0.5, F' = 0) at x = −π/2 + 2πk. At x = 1.87,
    # q'' < 0, so an undamped Newton step climbs; the adaptive damping turns it into descent.
    flow = lambda x: torch.sin(x) + 1.5
    start = torch.tensor([[1.87]], dtype=torch.float64)
    pts = fixed_points.find_slow_points(flow, start, {"n_iters": 0, "newton_steps": 40})
    assert pts.kind == ["not slow"]                                  # speed 0.5 > the default ceiling 0.1
    slow = fixed_points.find_slow_points(flow, start, {"n_iters": 0, "newton_steps": 40, "ghost_speed_max": 1.0})
    assert slow.kind == ["ghost"]
    assert float(pts.speed[0]) == pytest.approx(0.5, rel=1e-9)
    assert math.remainder(float(pts.x[0, 0]) + math.pi / 2, 2 * math.pi) == pytest.approx(0.0, abs=1e-6)


def test_onset_is_when_the_loss_leaves_its_plateau_for_good():
    from dynamics.experiments._shared import onset_and_learned
    rng = np.random.default_rng(0)
    loss = np.r_[np.full(40, 1.5), 1.0 + 0.08 * rng.standard_normal(200), np.linspace(1.0, 0.05, 30), np.full(50, 0.05)]
    loss[100] = 0.85                                    # a dip below 90% of the plateau that comes back
    onset, learned = onset_and_learned(loss, plateau_epoch=40)
    plateau = np.median(loss[40:50])
    assert learned == int(np.argmax(loss < 0.2 * plateau))
    assert onset > 100 and loss[onset - 1] >= 0.9 * plateau and np.all(loss[onset:learned] < 0.9 * plateau)
    assert onset_and_learned(np.full(50, 2.0), 0) == (-1, -1)                  # never leaves the plateau
    partial = np.r_[np.full(20, 1.0), np.full(20, 0.5)]                           # leaves it, never learned
    assert onset_and_learned(partial, 0) == (20, -1)
