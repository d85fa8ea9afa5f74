"""Fig 1: ẋ = x² + r has two fixed points for r < 0 and a ghost for r > 0.

Left: the flow for each r, with the points the slow-point finder returns (stable / unstable
fixed points, or the ghost: a positive minimum of the speed at x = 0). Right: the time spent
passing the ghost grows as r^{-1/2} (Euler escape time from x = 0 to x*, against π/(2√r)).
"""
from __future__ import annotations

import numpy as np
import torch

from common.runlog import RunLogger

from .. import canonical, fixed_points
from ..plotting import figure
from . import require, require_positive

DEFAULTS = {
    "r_values": [-0.5, 0.5],       # the authors' Figure1/code/plot.py plots x² ± 0.5
    "x_range": [-2.0, 2.0],
    "n_candidates": 41,            # slow-point finder: initial states spread over x_range
    "finder_iters": 2000,
    "escape_r": [1e-4, 1e-3, 1e-2, 1e-1, 1.0],
    "escape_dt": 0.01,
    "ghost_speed_max": 1.0,        # the finder's ghost speed ceiling: the schematic is an ODE on a unit time scale,
                                   # and the authors draw r = 0.5 (passage time π/√r ≈ 4.4) as a ghost
}


def check(cfg) -> None:
    require(cfg, "x_range", len(cfg.x_range) == 2 and cfg.x_range[0] < cfg.x_range[1], "needs [low, high]")
    require_positive(cfg, "escape_r", "escape_dt", "n_candidates", "finder_iters", "ghost_speed_max")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    xs = np.linspace(*cfg.x_range, 401)
    fig, axes = figure(2, 1)
    ax = axes[0, 0]
    rows, found = [], {}
    x0 = torch.linspace(*cfg.x_range, cfg.n_candidates, dtype=torch.float64)[:, None]
    for r in cfg.r_values:
        line, = ax.plot(xs, xs ** 2 + r, label=f"r = {r:+g}")
        pts = fixed_points.find_slow_points(lambda x, r=r: x ** 2 + r, x0,
                                            {"n_iters": cfg.finder_iters, "newton_steps": 10,
                                             "stability": "continuous", "ghost_speed_max": cfg.ghost_speed_max})
        found[str(r)] = [{"x": float(p), "speed": float(s), "kind": k}
                         for p, s, k in zip(pts.x[:, 0], pts.speed, pts.kind)]
        for p in found[str(r)]:
            filled = p["kind"] in ("stable", "ghost")
            ax.plot(p["x"], p["x"] ** 2 + r if p["kind"] == "ghost" else 0.0,
                    "*" if p["kind"] == "ghost" else "o", ms=11 if p["kind"] == "ghost" else 8,
                    color=line.get_color(), mfc=line.get_color() if filled else "white")
            rows.append({"r": r, "point": p["kind"], "x": p["x"], "speed |ẋ|": p["speed"]})
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("x")
    ax.set_ylabel("ẋ = x² + r")
    ax.set_title("fixed points (r < 0) vs a ghost (r > 0)")
    ax.legend()

    r_esc = np.asarray(cfg.escape_r, dtype=np.float64)
    horizon = 2.0 * float(canonical.escape_time(r_esc.min())) + 10.0
    t_euler = canonical.euler_escape_time(r_esc, horizon / 2, dt=cfg.escape_dt)
    slope = float(np.polyfit(np.log(r_esc), np.log(t_euler), 1)[0])
    ax = axes[0, 1]
    ax.loglog(r_esc, canonical.escape_time(r_esc), "k-", label="π/(2√r)")
    ax.loglog(r_esc, t_euler, "o", label=f"Euler, x(0)=0 → x*={canonical.X_STAR:g} (slope {slope:.3f})")
    ax.set_xlabel("r")
    ax.set_ylabel("escape time")
    ax.set_title("time spent at the ghost ∝ r^(-1/2)")
    ax.legend()
    run.save_figure(fig, "fig1_ghost_vs_fixed_points")
    results = {"points": found, "escape_r": r_esc.tolist(), "escape_time_euler": t_euler.tolist(),
               "escape_time_closed_form": canonical.escape_time(r_esc).tolist(), "escape_slope": slope}
    run.save_json(results, "results")
    rows.append({"r": "fit", "point": "escape-time slope vs r", "x": slope, "speed |ẋ|": ""})
    run.save_table(rows, "summary", "Fig 1: slow points of ẋ = x² + r")
    return results
