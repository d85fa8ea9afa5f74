"""The critical learning rate vs the delay T: predicted η_c = 3π⁴/(32 T⁵), measured, power law.

The derivation is in ``dynamics.critical_lr``. For each T ∈ {25, 50, 100, 200} gradient descent
runs from r₀ = 10 r* + N(0, (r*/10)²) on one absolute learning-rate grid shared by all T (then
refined between the two grid points around the threshold); the measured η_c is the smallest rate
at which at least half of the runs end in the no-learning zone. The v2 abstract states that η_c
"scales as an inverse power law with the timescale of the learned computation".
"""
from __future__ import annotations

import math

import numpy as np

from common.runlog import RunLogger

from .. import canonical, critical_lr
from ..plotting import figure
from . import require, require_positive

DEFAULTS = {
    "Ts": [25.0, 50.0, 100.0, 200.0],
    "lrs_per_decade": 20,
    "n_refine": 21,
    "n_inits": 10,
    "epochs": 3000,
    "convention": "code",          # authors' gradient (no 1/T): η_c ∝ T^-5; "exact": η_c ∝ T^-4
}


def check(cfg) -> None:
    require_positive(cfg, "Ts", "lrs_per_decade", "n_inits", "epochs")
    require(cfg, "n_refine", cfg.n_refine >= 0, "must be >= 0")
    require(cfg, "convention", cfg.convention in canonical.CONVENTIONS, f"one of {canonical.CONVENTIONS}")


def learning_rate_grid(Ts, convention: str, per_decade: int) -> np.ndarray:
    """One absolute log grid covering [η_c(T)/3, 3 η_c(T)] for every T, in whole decades."""
    pred = critical_lr.predicted_critical_lr(np.asarray(Ts, float), convention)
    lo, hi = math.floor(math.log10(pred.min() / 3)), math.ceil(math.log10(pred.max() * 3))
    return np.logspace(lo, hi, (hi - lo) * per_decade + 1)


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    lrs = learning_rate_grid(cfg.Ts, cfg.convention, cfg.lrs_per_decade)
    rows = critical_lr.measure_critical_lrs(cfg.Ts, lrs, cfg.n_inits, cfg.epochs, cfg.seed,
                                            cfg.convention, cfg.n_refine)
    Ts = np.array([r["T"] for r in rows])
    measured = np.array([r["measured"] for r in rows])
    predicted = np.array([r["predicted"] for r in rows])
    ok = np.isfinite(measured)
    p_meas, c_meas = critical_lr.fit_power_law(Ts[ok], measured[ok]) if ok.sum() >= 2 else (float("nan"),) * 2
    p_pred, _ = critical_lr.fit_power_law(Ts, predicted)

    fig, axes = figure(2, 1)
    ax = axes[0, 0]
    ax.loglog(Ts, predicted, "k-", label=f"predicted 3π⁴/(32T^{-p_pred:.0f})")
    ax.loglog(Ts, measured, "o", ms=8, label=f"measured (fit exponent {p_meas:.3f})")
    ax.set_xticks(Ts, [f"{t:g}" for t in Ts], minor=False)
    ax.set_xticks([], minor=True)
    ax.set_xlabel("delay T")
    ax.set_ylabel("critical learning rate η_c")
    ax.legend()
    ax = axes[0, 1]
    for r in rows:
        ax.plot(lrs / r["predicted"], r["stuck"], ".-", label=f"T = {r['T']:g}")
    ax.axvline(1.0, color="red", ls="--", label="η = predicted η_c")
    ax.set_xlim(0.5, 2.0)
    ax.set_xlabel("η / predicted η_c")
    ax.set_ylabel("fraction of runs stuck in the no-learning zone")
    ax.legend(fontsize=8)
    run.save_figure(fig, "fig2_critical_lr_vs_T")

    table = [{"T": r["T"], "predicted η_c": r["predicted"], "measured η_c": r["measured"],
              "measured / predicted": r["ratio"]} for r in rows]
    table.append({"T": "fit", "predicted η_c": f"exponent {p_pred:.3f}", "measured η_c": f"exponent {p_meas:.3f}",
                  "measured / predicted": ""})
    results = {"convention": cfg.convention, "Ts": Ts.tolist(), "predicted": predicted.tolist(),
               "measured": measured.tolist(), "ratio": (measured / predicted).tolist(),
               "exponent_measured": p_meas, "prefactor_measured": c_meas, "exponent_predicted": p_pred,
               "lr_grid": lrs.tolist(), "stuck_fraction": {str(r["T"]): r["stuck"].tolist() for r in rows}}
    run.save_json(results, "results")
    run.save_table(table, "summary", "Critical learning rate vs T")
    return results
