"""Figs 2b,c: gradient descent on r from r₀ = 10 r* at a learning rate below and above η_c.

The authors' ``loss_function_gradient.py``: a → ∞ gradient (code convention), T = 100,
η ∈ {1e-10, 1e-9}, 3000 epochs. Below η_c the iterate reaches r* and oscillates around it (the
oscillatory minimum); above η_c one overshoot lands in the no-learning zone, where it stays.
"""
from __future__ import annotations

import numpy as np

from common.runlog import RunLogger

from .. import canonical, critical_lr
from ..plotting import ZONE_COLOR, figure
from . import require, require_positive

DEFAULTS = {
    "T": 100.0,
    "lrs": [1e-10, 1e-9],
    "r0_factor": 10.0,             # r₀ = 10 r* (authors)
    "epochs": 3000,
    "convention": "code",          # authors' gradient ±π/(4r^{3/2}) (no 1/T); "exact" divides by T
}


def check(cfg) -> None:
    require_positive(cfg, "T", "lrs", "r0_factor", "epochs")
    require(cfg, "convention", cfg.convention in canonical.CONVENTIONS, f"one of {canonical.CONVENTIONS}")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    T = float(cfg.T)
    r_opt, r_zone = canonical.optimal_r(T), canonical.no_learning_boundary(T)
    lrs = np.asarray(cfg.lrs, dtype=np.float64)
    r, loss = canonical.gradient_descent(np.full(len(lrs), cfg.r0_factor * r_opt), lrs, T, cfg.epochs,
                                         cfg.convention)
    eta_c = float(critical_lr.predicted_critical_lr(T, cfg.convention))
    fig, axes = figure(2, 1)
    for i, lr in enumerate(lrs):
        label = f"η = {lr:.2g} ({'<' if lr < eta_c else '>'} η_c)"
        axes[0, 0].plot(r[:, i] / r_opt, label=label)
        axes[0, 1].plot(loss[:, i], label=label)
    ax = axes[0, 0]
    ax.axhspan(1e-3, 0.25, color=ZONE_COLOR, label="no-learning zone")
    ax.axhline(1.0, color="black", label="r*")
    ax.axhline(0.25, color="black", ls="--", label="r*/4")
    ax.set_yscale("log")
    ax.set_ylim(0.05, cfg.r0_factor * 1.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("r / r*")
    ax.legend(fontsize=8)
    ax.set_title(f"predicted η_c = {eta_c:.3g}")
    axes[0, 1].set_xlabel("epoch")
    axes[0, 1].set_ylabel("loss (a → ∞)")
    axes[0, 1].legend(fontsize=8)
    run.save_figure(fig, "fig2bc_canonical_gradient_descent")
    tail = max(1, cfg.epochs // 10)
    rows = [{"lr": float(lr), "lr / η_c": float(lr / eta_c), "final r / r*": float(r[-1, i] / r_opt),
             "stuck in zone": bool(r[-1, i] <= r_zone), "mean loss (last 10%)": float(loss[-tail:, i].mean())}
            for i, lr in enumerate(lrs)]
    results = {"T": T, "eta_c_predicted": eta_c, "lrs": lrs.tolist(), "r_over_r_star": (r / r_opt).T.tolist(),
               "loss": loss.T.tolist(), "summary": rows}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Figs 2b,c: gradient descent on r")
    return results
