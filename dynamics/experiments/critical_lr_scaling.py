"""The critical learning rate vs the delay T: predicted η_c = 3π⁴/(32 T⁵), measured, power law.

The derivation is in ``dynamics.critical_lr``. For each T ∈ {25, 50, 100, 200} gradient descent
runs from r₀ = 10 r* + N(0, (r*/10)²) on one absolute learning-rate grid shared by all T (then
refined between the two grid points around the threshold); the measured η_c is the smallest rate
at which at least half of the runs end in the no-learning zone. The v2 abstract states that η_c
"scales as an inverse power law with the timescale of the learned computation".

That measurement uses the a → ∞ landscape the prediction is derived from. The second one, for
T ∈ ``exact_Ts``, runs gradient descent on the simulated model itself: Euler step ``exact_dt``,
readout confidence ``exact_confidence``, exact gradient through the simulation, batched over the
grid rates within a factor ``exact_lr_span`` of the prediction × ``exact_n_inits`` initial values
(same draw, same stuck criterion). ``convention`` applies to both (the simulated gradient is
multiplied by T in ``"code"``). Why the two can differ is in ``dynamics.critical_lr``.
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
    "exact_Ts": [25.0, 50.0],      # delays that also get the simulated, exact-gradient measurement
    "exact_confidence": 1.5,       # readout confidence a of the simulated runs
    "exact_dt": 0.02,              # their Euler step; the authors' 0.1 does not resolve the readout
                                   # at a ≳ 1 (exact_dt=0.1 exact_confidence=1.0: η_c 0.64–0.68 × predicted)
    "exact_n_inits": 10,
    "exact_epochs": 500,
    "exact_lr_span": 3.0,          # sweep the grid rates within [η_c/span, span·η_c] of each T
    "exact_n_refine": 11,
}


#: The stuck-fraction panel shows η/η_c within [1/span, span] (the grid covers at least that, see
#: ``learning_rate_grid``).
_STUCK_PANEL_SPAN = 3.0


def check(cfg) -> None:
    require_positive(cfg, "Ts", "lrs_per_decade", "n_inits", "epochs")
    require(cfg, "n_refine", cfg.n_refine >= 0, "must be >= 0")
    require(cfg, "convention", cfg.convention in canonical.CONVENTIONS, f"one of {canonical.CONVENTIONS}")
    require(cfg, "exact_Ts", isinstance(cfg.exact_Ts, (list, tuple)) and all(
        isinstance(t, (int, float)) and t > 0 for t in cfg.exact_Ts), "a list (may be empty) of positive delays")
    require_positive(cfg, "exact_confidence", "exact_dt", "exact_n_inits", "exact_epochs")
    require(cfg, "exact_lr_span", cfg.exact_lr_span > 1, "must be > 1")
    require(cfg, "exact_n_refine", cfg.exact_n_refine >= 0, "must be >= 0")


def learning_rate_grid(Ts, convention: str, per_decade: int) -> np.ndarray:
    """One absolute log grid covering [η_c(T)/3, 3 η_c(T)] for every T, in whole decades."""
    pred = critical_lr.predicted_critical_lr(np.asarray(Ts, float), convention)
    lo, hi = math.floor(math.log10(pred.min() / 3)), math.ceil(math.log10(pred.max() * 3))
    return np.logspace(lo, hi, (hi - lo) * per_decade + 1)


def _fit(rows) -> tuple[float, float]:
    """(exponent, prefactor) of the measured η_c over the rows with a finite threshold (NaN if < 2)."""
    Ts = np.array([r["T"] for r in rows])
    measured = np.array([r["measured"] for r in rows])
    ok = np.isfinite(measured)
    return critical_lr.fit_power_law(Ts[ok], measured[ok]) if ok.sum() >= 2 else (float("nan"),) * 2


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    lrs = learning_rate_grid(cfg.Ts, cfg.convention, cfg.lrs_per_decade)
    rows = critical_lr.measure_critical_lrs(cfg.Ts, lrs, cfg.n_inits, cfg.epochs, cfg.seed,
                                            cfg.convention, cfg.n_refine)
    run.info(f"closed form: measured/predicted {[round(r['ratio'], 3) for r in rows]}")
    exact_Ts = [float(t) for t in cfg.exact_Ts]
    exact_grid = learning_rate_grid(exact_Ts, cfg.convention, cfg.lrs_per_decade) if exact_Ts else lrs
    exact_rows = critical_lr.measure_critical_lrs(
        exact_Ts, exact_grid, cfg.exact_n_inits, cfg.exact_epochs, cfg.seed, cfg.convention,
        cfg.exact_n_refine, confidence=cfg.exact_confidence, dt=cfg.exact_dt, lr_span=cfg.exact_lr_span)
    run.info(f"simulated, exact gradient (a = {cfg.exact_confidence:g}, dt = {cfg.exact_dt:g}): "
             f"measured/predicted {[round(r['ratio'], 3) for r in exact_rows]}")
    exact_by_T = {r["T"]: r for r in exact_rows}

    Ts = np.array([r["T"] for r in rows])
    measured = np.array([r["measured"] for r in rows])
    predicted = np.array([r["predicted"] for r in rows])
    p_meas, c_meas = _fit(rows)
    p_exact, c_exact = _fit(exact_rows)
    p_pred, _ = critical_lr.fit_power_law(Ts, predicted)
    sim_label = f"simulated, exact ∇ (a = {cfg.exact_confidence:g}, Δt = {cfg.exact_dt:g})"

    fig, axes = figure(2, 1)
    ax = axes[0, 0]
    all_T = np.array(sorted(set(Ts) | set(exact_by_T)))
    ax.loglog(all_T, critical_lr.predicted_critical_lr(all_T, cfg.convention), "k-",
              label=f"predicted 3π⁴/(32T^{-p_pred:.0f})")
    ax.loglog(Ts, measured, "o", ms=8, label=f"closed form a → ∞ (fit exponent {p_meas:.3f})")
    if exact_rows:
        ax.loglog([r["T"] for r in exact_rows], [r["measured"] for r in exact_rows], "s", ms=7, mfc="none",
                  mew=1.5, color="tab:red", label=f"{sim_label} (fit exponent {p_exact:.3f})")
    ax.set_xticks(all_T, [f"{t:g}" for t in all_T], minor=False)
    ax.set_xticks([], minor=True)
    ax.set_xlabel("delay T")
    ax.set_ylabel("critical learning rate η_c")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    for r in rows:
        line, = ax.plot(lrs / r["predicted"], r["stuck"], ".-", label=f"T = {r['T']:g}")
        if r["T"] in exact_by_T:
            e = exact_by_T[r["T"]]
            ax.plot(e["lrs"] / e["predicted"], e["stuck"], "s--", ms=4, mfc="none", color=line.get_color(),
                    label=f"T = {r['T']:g}, simulated")
    ax.axvline(1.0, color="red", ls="--", label="η = predicted η_c")
    ax.set_xscale("log")
    ax.set_xlim(1 / _STUCK_PANEL_SPAN, _STUCK_PANEL_SPAN)
    ax.set_xlabel("η / predicted η_c")
    ax.set_ylabel("fraction of runs stuck in the no-learning zone")
    ax.legend(fontsize=7)
    run.save_figure(fig, "fig2_critical_lr_vs_T")

    table = []
    for r in rows:
        e = exact_by_T.get(r["T"], {})
        table.append({"T": r["T"], "predicted η_c": r["predicted"], "closed form η_c": r["measured"],
                      "closed form / predicted": r["ratio"], "simulated η_c": e.get("measured", ""),
                      "simulated / predicted": e.get("ratio", "")})
    for T, e in exact_by_T.items():
        if T not in set(Ts):
            table.append({"T": T, "predicted η_c": e["predicted"], "closed form η_c": "",
                          "closed form / predicted": "", "simulated η_c": e["measured"],
                          "simulated / predicted": e["ratio"]})
    table.append({"T": "fit", "predicted η_c": f"exponent {p_pred:.3f}", "closed form η_c": f"exponent {p_meas:.3f}",
                  "closed form / predicted": "", "simulated η_c": f"exponent {p_exact:.3f}" if exact_rows else "",
                  "simulated / predicted": ""})
    results = {"convention": cfg.convention, "Ts": Ts.tolist(), "predicted": predicted.tolist(),
               "measured": measured.tolist(), "ratio": (measured / predicted).tolist(),
               "exponent_measured": p_meas, "prefactor_measured": c_meas, "exponent_predicted": p_pred,
               "lr_grid": lrs.tolist(), "stuck_fraction": {str(r["T"]): r["stuck"].tolist() for r in rows},
               "exact": {"confidence": float(cfg.exact_confidence), "dt": float(cfg.exact_dt),
                         "epochs": int(cfg.exact_epochs), "n_inits": int(cfg.exact_n_inits),
                         "Ts": [r["T"] for r in exact_rows], "predicted": [r["predicted"] for r in exact_rows],
                         "measured": [r["measured"] for r in exact_rows], "ratio": [r["ratio"] for r in exact_rows],
                         "exponent_measured": p_exact, "prefactor_measured": c_exact,
                         "lr_grid": {str(r["T"]): r["lrs"].tolist() for r in exact_rows},
                         "stuck_fraction": {str(r["T"]): r["stuck"].tolist() for r in exact_rows}}}
    run.save_json(results, "results")
    run.save_table(table, "summary", "Critical learning rate vs T: predicted, closed-form and simulated measurements")
    return results
