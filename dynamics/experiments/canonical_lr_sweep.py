"""Fig 2d: loss after 1k–10k epochs of gradient descent vs the learning rate.

The authors' ``loss_function_gradient_lr.py``: T = 100, η ∈ logspace(−11, −8, 100), 10 runs per η
from r₀ = 10 r* + N(0, (r*/10)²), a → ∞ gradient in the code convention. Below η_c the residual
loss grows with η (the oscillatory minimum: the iterate bounces around r* with an amplitude ∝ η);
above η_c the runs end in the no-learning zone (loss 1).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr

from common.runlog import RunLogger

from .. import canonical, critical_lr
from ..plotting import colors, figure, mean_sem
from . import require, require_positive

DEFAULTS = {
    "T": 100.0,
    "log10_lr_range": [-11.0, -8.0],
    "n_lrs": 100,
    "n_inits": 10,
    "epochs": 10000,
    "report_epochs": [1000, 2000, 3000, 5000, 10000],
    "convention": "code",          # authors' gradient (no 1/T); "exact" divides by T
}


def check(cfg) -> None:
    require_positive(cfg, "T", "n_lrs", "n_inits", "epochs", "report_epochs")
    require(cfg, "log10_lr_range", len(cfg.log10_lr_range) == 2 and cfg.log10_lr_range[0] < cfg.log10_lr_range[1],
            "needs [low, high]")
    require(cfg, "report_epochs", max(cfg.report_epochs) <= cfg.epochs, "must not exceed `epochs`")
    require(cfg, "convention", cfg.convention in canonical.CONVENTIONS, f"one of {canonical.CONVENTIONS}")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    T = float(cfg.T)
    lrs = np.logspace(*cfg.log10_lr_range, cfg.n_lrs)
    rng = np.random.default_rng(cfg.seed)
    r0 = np.concatenate([critical_lr.initial_r(T, cfg.n_inits, rng) for _ in lrs])
    r, loss = canonical.gradient_descent(r0, np.repeat(lrs, cfg.n_inits), T, cfg.epochs, cfg.convention)
    loss = loss.reshape(cfg.epochs + 1, len(lrs), cfg.n_inits)
    eta_c = float(critical_lr.predicted_critical_lr(T, cfg.convention))
    stuck = (r[-1].reshape(len(lrs), cfg.n_inits) <= canonical.no_learning_boundary(T)).mean(1)
    measured = critical_lr.threshold_from_sweep(lrs, stuck)

    fig, axes = figure(1, 1, width=6.5, height=4.3)
    ax = axes[0, 0]
    for ep, col in zip(cfg.report_epochs, colors(len(cfg.report_epochs))):
        mean, sem = mean_sem(loss[ep], axis=1)
        ax.errorbar(lrs, mean, sem, color=col, label=f"epoch {ep}", lw=1)
    ax.axvline(eta_c, color="red", ls="--", label=f"predicted η_c = {eta_c:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("loss (mean ± SEM)")
    ax.set_title(f"T = {T:g}: oscillatory minimum below η_c, no-learning zone above")
    ax.legend(fontsize=8)
    run.save_figure(fig, "fig2d_canonical_loss_vs_lr")

    final = loss[-1].mean(axis=1)
    below = (lrs < eta_c) & (lrs >= eta_c / 30)
    rho = float(spearmanr(lrs[below], final[below]).statistic) if below.sum() > 2 else float("nan")
    rows = [{"quantity": "predicted η_c", "value": eta_c},
            {"quantity": "measured η_c (≥ 50% of runs stuck at the last epoch)", "value": measured},
            {"quantity": "Spearman ρ(η, final loss) for η_c/30 ≤ η < η_c", "value": rho}]
    for frac in (0.1, 0.3, 0.9):
        i = int(np.argmin(np.abs(lrs - frac * eta_c)))
        rows.append({"quantity": f"final loss at η ≈ {frac:g} η_c", "value": float(final[i])})
    rows.append({"quantity": "final loss at η ≈ 1.2 η_c", "value": float(final[int(np.argmin(np.abs(lrs - 1.2 * eta_c)))])})
    results = {"T": T, "lrs": lrs.tolist(), "eta_c_predicted": eta_c, "eta_c_measured": measured,
               "stuck_fraction": stuck.tolist(), "spearman_residual_vs_lr": rho,
               "loss_mean": {str(ep): loss[ep].mean(1).tolist() for ep in cfg.report_epochs}}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 2d: loss vs learning rate")
    return results
