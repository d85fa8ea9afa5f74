"""Fig 2a: the loss landscape L(r) of the canonical model, closed form (a → ∞) vs Euler simulation.

The simulated loss at the paper's confidences (a = 0.1, 1; authors' ``plot_loss_function.py``)
is drawn over the a → ∞ closed form |T − t*(r)|/T, with the optimum r* and the no-learning zone
r ≤ r*/4 marked. A large confidence (``check_confidence``) checks the closed form numerically.
"""
from __future__ import annotations

import numpy as np

from common.runlog import RunLogger

from .. import canonical
from ..plotting import ZONE_COLOR, figure
from . import require, require_positive

DEFAULTS = {
    "T": 100.0,
    "confidences": [0.1, 1.0],
    "check_confidence": 100.0,
    "n_r": 100,
    "r_range": [-1.0, 2.0],        # in units of r*: the authors' linspace(-r*, 2r*, 100)
}


def check(cfg) -> None:
    require_positive(cfg, "T", "confidences", "check_confidence", "n_r")
    require(cfg, "r_range", len(cfg.r_range) == 2 and cfg.r_range[0] < cfg.r_range[1], "needs [low, high]")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    T = float(cfg.T)
    r_opt, r_zone = canonical.optimal_r(T), canonical.no_learning_boundary(T)
    r = np.linspace(cfg.r_range[0] * r_opt, cfg.r_range[1] * r_opt, cfg.n_r)
    closed = canonical.closed_form_loss(r, T)
    a_all = np.asarray(list(cfg.confidences) + [cfg.check_confidence], dtype=np.float64)
    sim, _ = canonical.exact_gradient(r[None, :], T, a_all[:, None])
    t_euler = float(canonical.euler_escape_time(r_opt, T))

    fig, axes = figure(1, 1, width=6, height=4.2)
    ax = axes[0, 0]
    ax.axvspan(r[0] / r_opt, 0.25, color=ZONE_COLOR, label="no-learning zone r ≤ r*/4")
    ax.plot(r / r_opt, closed, "k-", label="a → ∞ (closed form)")
    for a, L in zip(a_all[:-1], sim[:-1]):
        ax.scatter(r / r_opt, L, s=14, label=f"Euler, a = {a:g}")
    ax.scatter(r / r_opt, sim[-1], s=10, marker="x", color="gray", lw=0.8,
               label=f"Euler, a = {a_all[-1]:g} (check)")
    ax.axvline(1.0, color="orange", ls="--", label="r*")
    ax.set_xlabel("r / r*")
    ax.set_ylabel("loss")
    ax.set_title(f"canonical model, T = {T:g}")
    ax.legend(fontsize=8)
    run.save_figure(fig, "fig2a_canonical_loss_landscape")

    gap = np.abs(sim[-1] - closed)
    rows = [{"quantity": "r* = π²/(4T²)", "value": r_opt},
            {"quantity": "Euler escape time at r* (target T)", "value": t_euler},
            {"quantity": "relative error of the escape time", "value": abs(t_euler - T) / T},
            {"quantity": f"max |L_sim(a={cfg.check_confidence:g}) − L_closed|", "value": float(gap.max())}]
    rows += [{"quantity": f"argmin_r L_sim(a={a:g}) / r*", "value": float(r[np.argmin(L)] / r_opt)}
             for a, L in zip(a_all, sim)]
    results = {"T": T, "r_star": r_opt, "r_zone": r_zone, "r": r.tolist(), "closed_form": closed.tolist(),
               "confidences": a_all.tolist(), "simulated": sim.tolist(), "euler_escape_at_r_star": t_euler,
               "max_gap_large_a": float(gap.max())}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 2a: loss landscape of ẋ = x² + r")
    return results
