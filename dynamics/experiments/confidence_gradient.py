"""Fig 8a: in the no-learning zone the gradient is exactly zero only at infinite confidence.

(a) The authors' ``Figure8/code/A``: |dL/dr| of the simulated loss, normalised by its maximum,
    for a ∈ {0.01, 0.1, 0.5, 1, 2} against the a → ∞ curve (finite differences on the r grid, as
    in their code, or the exact autograd gradient: ``gradient_method``).
(b) The exact (autograd) gradient at a point inside the zone, r = ``zone_r``·r*, vs a: positive
    but exponentially small, growing as a decreases.
(c) Gradient descent with that exact gradient from inside the zone: with a low confidence the run
    leaves the zone and learns; with a high one it stays stuck.
"""
from __future__ import annotations

import numpy as np

from common.runlog import RunLogger

from .. import canonical
from ..plotting import ZONE_COLOR, colors, figure
from . import require, require_positive

DEFAULTS = {
    "T": 100.0,
    "confidences": [0.01, 0.1, 0.5, 1.0, 2.0],
    "n_r": 100,
    "r_range": [-1.0, 2.0],            # in units of r* (authors: linspace(-r*, 2r*, 100))
    "gradient_method": "finite_difference",  # authors: np.gradient on the grid; "autograd": exact
    "zone_r": 0.125,                   # panel (b) and the start of panel (c), in units of r*
    "zone_confidences": [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
    "descent_confidences": [0.1, 0.25, 1.0, 2.0],
    "descent_lr": 5e-8,                # exact-gradient convention (the loss itself, 1/T included)
    "descent_epochs": 100,
}


def check(cfg) -> None:
    require_positive(cfg, "T", "confidences", "n_r", "zone_r", "zone_confidences", "descent_confidences",
                     "descent_lr", "descent_epochs")
    require(cfg, "gradient_method", cfg.gradient_method in ("finite_difference", "autograd"),
            "'finite_difference' or 'autograd'")
    require(cfg, "zone_r", cfg.zone_r < 0.25, "must lie in the no-learning zone (< 0.25 r*)")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    T = float(cfg.T)
    r_opt = canonical.optimal_r(T)
    r = np.linspace(cfg.r_range[0] * r_opt, cfg.r_range[1] * r_opt, cfg.n_r)
    a = np.asarray(cfg.confidences, dtype=np.float64)
    loss, grad = canonical.exact_gradient(r[None, :], T, a[:, None])
    if cfg.gradient_method == "finite_difference":
        grad = np.gradient(loss, r, axis=1)
    closed = np.abs(np.gradient(canonical.closed_form_loss(r, T), r))
    in_zone = r <= canonical.no_learning_boundary(T)

    a_zone = np.asarray(cfg.zone_confidences, dtype=np.float64)
    _, g_zone = canonical.exact_gradient(np.full(len(a_zone), cfg.zone_r * r_opt), T, a_zone)
    a_gd = np.asarray(cfg.descent_confidences, dtype=np.float64)
    r_gd, loss_gd = canonical.exact_gradient_descent(np.full(len(a_gd), cfg.zone_r * r_opt), cfg.descent_lr,
                                                     T, a_gd, cfg.descent_epochs)

    fig, axes = figure(3, 1, width=4.6)
    ax = axes[0, 0]
    ax.axvspan(r[0] / r_opt, 0.25, color=ZONE_COLOR)
    ax.plot(r / r_opt, closed / closed.max(), "k-", label="a → ∞")
    for ai, g, col in zip(a, grad, colors(len(a), "Reds", 0.3, 1.0)):
        ax.plot(r / r_opt, np.abs(g) / np.abs(g).max(), color=col, label=f"a = {ai:g}")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 2)
    ax.set_xlabel("r / r*")
    ax.set_ylabel("|dL/dr| / max")
    ax.set_title(f"normalised gradient ({cfg.gradient_method})")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.loglog(a_zone, np.abs(g_zone), "o-")
    ax.set_xlabel("confidence a")
    ax.set_ylabel(f"|dL/dr| at r = {cfg.zone_r:g} r* (exact)")
    ax.set_title("gradient inside the no-learning zone")
    ax = axes[0, 2]
    ax.axhspan(0, 0.25, color=ZONE_COLOR, label="no-learning zone")
    for ai, col, i in zip(a_gd, colors(len(a_gd), "Reds", 0.3, 1.0), range(len(a_gd))):
        ax.plot(r_gd[:, i] / r_opt, color=col, label=f"a = {ai:g}")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("r / r*")
    ax.set_title(f"exact-gradient descent, η = {cfg.descent_lr:g}")
    ax.legend(fontsize=7)
    run.save_figure(fig, "fig8a_confidence_gradient")

    rows = [{"a": float(ai), "|dL/dr| in zone (exact)": float(abs(g))} for ai, g in zip(a_zone, g_zone)]
    for i, ai in enumerate(a_gd):
        rows.append({"a": float(ai), "descent: final r / r*": float(r_gd[-1, i] / r_opt),
                     "descent: left the zone": bool(r_gd[-1, i] > 0.25 * r_opt),
                     "descent: loss start → end": f"{loss_gd[0, i]:.3f} → {loss_gd[-1, i]:.3f}"})
    results = {"T": T, "r": r.tolist(), "confidences": a.tolist(), "gradient": grad.tolist(),
               "gradient_closed_form": closed.tolist(),
               "normalised_zone_gradient": {str(ai): float(np.abs(g[in_zone]).max() / np.abs(g).max())
                                            for ai, g in zip(a, grad)},
               "zone_confidences": a_zone.tolist(), "zone_gradient": g_zone.tolist(),
               "descent_confidences": a_gd.tolist(), "descent_r_over_r_star": (r_gd / r_opt).T.tolist(),
               "descent_loss": loss_gd.T.tolist()}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 8a: confidence and the no-learning zone")
    return results
