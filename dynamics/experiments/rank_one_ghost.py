"""Fig 3: a rank-one RNN learns the delayed-activation task through a ghost, not a bifurcation.

The network (N = 100, α = 0.5, κ = nᵀx, readout σ(c(κ − 1)), c = 10, T = 20; authors'
``Figure3/code``) has the exact latent flow κ̇ = −κ + nᵀ tanh(mκ + b). Every epoch the experiment
evaluates that flow on a κ grid and records the number of fixed points (zero crossings) and the
slowest speed minimum without a zero crossing on the trajectory's path; that minimum is a ghost
when its speed is below the ceiling ``ghost_distance`` / (α T) (``fixed_points.ghost_speed_ceiling``:
slower than that, it holds the trajectory for the task's delay).

Per seed the summary reports the **onset** (the epoch the loss leaves ``onset_fraction`` of its
plateau for good, ``_shared.onset_and_learned``), the epoch it is **learned** (below
``drop_fraction`` of the plateau), the first ghost on the path and its speed, and whether a ghost
appears before the onset. Figures:

(a) loss and gradient norm (normalised, log) over training, with the ghost and drop epochs;
    (several seeds train together as one batch; the first is plotted, all are tabulated)
(b) κ̇(κ) at the chosen epochs, with the threshold κ = 1 and the initial κ₀;
(c) number of fixed points and ghost speed over training (no bifurcation: the count is constant);
(d) κ trajectories at the chosen epochs (lingering at the ghost), or, with a large learning rate,
    κ̇ at the three epochs around the largest loss jump after learning (destabilisation, Fig 3c,d).
"""
from __future__ import annotations

import numpy as np
import torch

from common.runlog import RunLogger

from .. import latent
from ..fixed_points import ghost_speed_ceiling
from ..models import RateRNN
from ..plotting import colors, figure, mark_epochs
from ..tasks import delayed_activation
from ..training import train_ensemble
from . import require, require_positive
from ._shared import (RNN_DEFAULTS, check_rnn, checkpoints, device_dtype, ghost_onset_report, onset_and_learned,
                      rank_one_flow_metrics, rank_one_vectors)

DEFAULTS = {
    **RNN_DEFAULTS,
    "n_units": 100,
    "alpha": 0.5,
    "delay": 20,
    "confidence": 10.0,
    "threshold": 1.0,
    "init_state_value": -0.3,
    "seeds": [40],                  # one network per seed, trained together; the first is plotted
    "lr": 0.003,
    "epochs": 500000,
    "kappa_range": [-15.0, 15.0],   # authors: linspace(-15, 15, 1000)
    "n_kappa": 1000,
    "record_every": 1,              # keep the weights every that many epochs (for κ̇ curves)
    "snapshot_epochs": [],          # κ̇ curves to draw; [] = first epoch, just before the drop, last
    "plateau_epoch": 0,             # the plateau loss is the median loss over 10 epochs from this one
    "onset_fraction": 0.9,          # onset: the loss leaves fraction × plateau for good
    "drop_fraction": 0.1,           # learned: first epoch with loss < fraction × plateau
    "ghost_distance": 1.0,          # κ distance a ghost must hold the trajectory over (the threshold is κ = 1);
                                    # ghost speed ceiling = ghost_distance / (α · delay)
    "destabilisation_panel": False, # panel (d): κ̇ around the largest loss jump after learning
    "plot_kappa_range": [-9.0, 9.0],
}


def check(cfg) -> None:
    check_rnn(cfg)
    require_positive(cfg, "n_units", "alpha", "delay", "confidence", "lr", "epochs", "n_kappa", "record_every",
                     "drop_fraction", "onset_fraction", "ghost_distance")
    require(cfg, "plateau_epoch", 0 <= cfg.plateau_epoch < cfg.epochs, "must lie in [0, epochs)")
    require(cfg, "onset_fraction", cfg.drop_fraction < cfg.onset_fraction < 1, "needs drop_fraction < it < 1")
    require(cfg, "seeds", len(cfg.seeds) >= 1 and all(isinstance(s, int) for s in cfg.seeds), "a list of int seeds")
    require(cfg, "kappa_range", len(cfg.kappa_range) == 2 and cfg.kappa_range[0] < cfg.kappa_range[1],
            "needs [low, high]")
    require(cfg, "snapshot_epochs", all(0 <= e < cfg.epochs for e in cfg.snapshot_epochs),
            "epochs must lie in [0, epochs)")


def _nearest_recorded(epoch: int, recorded: np.ndarray) -> int:
    return int(recorded[np.argmin(np.abs(recorded - epoch))])


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    model = RateRNN(cfg.seeds, n_units=cfg.n_units, rank=1, alpha=cfg.alpha, readout="confidence",
                    confidence=cfg.confidence, threshold=cfg.threshold, readout_state="next",
                    init_state_value=cfg.init_state_value, init="delayed_activation", dtype=dtype, device=device)
    task = delayed_activation(cfg.delay)
    grid = torch.linspace(cfg.kappa_range[0], cfg.kappa_range[1], cfg.n_kappa, device=device)
    recorded = np.unique(np.r_[np.arange(0, cfg.epochs, cfg.record_every), cfg.epochs - 1,
                               np.asarray(cfg.snapshot_epochs, dtype=int)])
    speed_max = ghost_speed_ceiling(cfg.ghost_distance, cfg.alpha, cfg.delay)
    rec = train_ensemble(model, task, cfg.epochs, cfg.lr, snapshot_epochs=recorded.tolist(),
                         metric_fn=rank_one_flow_metrics(grid, cfg.threshold, speed_max), logger=run,
                         log_every=cfg.log_every, desc="rank_one", checkpoints=checkpoints(run, "rank_one"),
                         checkpoint_every=cfg.checkpoint_every, resume=resume, snapshot_states=False)
    n_fp_all = rec.metrics["n_fixed_points"]
    per_seed = []
    for e, seed in enumerate(cfg.seeds):
        onset, learned = onset_and_learned(rec.loss[:, e], cfg.plateau_epoch, cfg.onset_fraction, cfg.drop_fraction)
        report = ghost_onset_report(np.arange(cfg.epochs), n_fp_all[:, e], rec.metrics["ghost_speed"][:, e],
                                    rec.metrics["min_speed"][:, e], onset, learned)
        per_seed.append({"seed": seed, **report, "final loss": float(rec.loss[-1, e])})

    loss, grad = rec.loss[:, 0], rec.grad_norm[:, 0]
    n_fp, ghost_speed = n_fp_all[:, 0], rec.metrics["ghost_speed"][:, 0]
    drop, ghost_epoch = per_seed[0]["learned"], per_seed[0]["first ghost"]
    start = per_seed[0]["onset"]
    jump = int(start + 1 + np.argmax(np.diff(loss[start:]))) if 0 < start < cfg.epochs - 2 else -1
    if cfg.snapshot_epochs:
        shown = [_nearest_recorded(e, recorded) for e in cfg.snapshot_epochs]
    else:
        auto = [0] + ([start - 1] if start > 0 else []) + ([ghost_epoch] if ghost_epoch > 0 else []) + [cfg.epochs - 1]
        shown = sorted({_nearest_recorded(e, recorded) for e in auto})
    kgrid = np.linspace(*cfg.plot_kappa_range, 600)

    def flow_at(epoch: int) -> tuple[np.ndarray, float, np.ndarray]:
        m, n, b = (t[:1].double() for t in rank_one_vectors(rec.snapshots[epoch]["params"]))
        F = latent.rank_one_flow(torch.as_tensor(kgrid), m, n, b)[0].numpy()
        kappa0 = float(cfg.init_state_value * n.sum())   # κ₀ = nᵀx₀ with x₀ = value·𝟙
        traj = latent.latent_trajectory(torch.tensor([[kappa0]], dtype=torch.float64), n.T, m, b[0],
                                        cfg.alpha, 2 * cfg.delay)[0, :, 0].numpy()
        return F, kappa0, traj

    fig, axes = figure(2, 2, width=5.2, height=3.8)
    ax = axes[0, 0]
    ax.semilogy(loss / loss[0], label="loss / initial")
    ax.semilogy(grad / grad.max(), alpha=0.6, label="‖∇θ‖ / max")
    mark_epochs(ax, shown)
    if drop >= 0:
        ax.axvline(drop, color="red", lw=1, label=f"learned (epoch {drop})")
    if ghost_epoch >= 0:
        ax.axvline(ghost_epoch, color="magenta", lw=1, ls=":", label=f"first ghost on path (epoch {ghost_epoch})")
    if start >= 0:
        ax.axvline(start, color="orange", lw=1, ls="--", label=f"onset (epoch {start})")
    ax.set_xlabel("epoch")
    ax.set_title(f"rank-one RNN, lr = {cfg.lr:g}, seed {cfg.seeds[0]}")
    ax.legend(fontsize=7)

    ax = axes[0, 1]
    for epoch, col in zip(shown, colors(len(shown), "plasma", 0.0, 0.8)):
        F, kappa0, _ = flow_at(epoch)
        ax.plot(kgrid, F, color=col, label=f"epoch {epoch}")
        mins = [p for p in latent.speed_minima_1d(kgrid, F, max_speed=speed_max) if p["ghost"]]
        ax.plot([p["kappa"] for p in mins], [np.interp(p["kappa"], kgrid, F) for p in mins], "*", color=col, ms=11,
                mec="black", mew=0.5)
        ax.plot(kappa0, 0, "o", color=col, mec="red")
    ax.axhline(0, color="black", ls="--", lw=0.8)
    ax.axvline(cfg.threshold, color="orange", ls="--", label="κ = threshold")
    ax.set_ylim(-3, 3)
    ax.set_xlabel("κ  (● κ₀ = nᵀx₀)")
    ax.set_ylabel("dκ/dt")
    ax.set_title("latent flow (★ speed minimum without a zero: ghost)")
    ax.legend(fontsize=7)

    ax = axes[1, 0]
    epochs_axis = np.arange(cfg.epochs)
    ax.plot(epochs_axis, n_fp, color="black", label="number of fixed points")
    ax.set_ylabel("fixed points (zero crossings)")
    ax.set_ylim(0, max(4, n_fp.max() + 1))
    ax2 = ax.twinx()
    ax2.semilogy(epochs_axis, rec.metrics["min_speed"][:, 0], ".", ms=1, color="gray")
    ax2.semilogy(epochs_axis, ghost_speed, ".", ms=1.5, color="magenta")
    ax2.axhline(speed_max, color="magenta", lw=0.8, ls=":")
    ax2.set_ylabel("slowest speed minimum on the path (magenta: a ghost, below the dotted ceiling)",
                   color="magenta", fontsize=7)
    ax.set_xlabel("epoch")
    ax.set_title("no bifurcation: the fixed-point count does not change")

    ax = axes[1, 1]
    if cfg.destabilisation_panel and jump > 0:
        around = [_nearest_recorded(e, recorded) for e in (jump - 1, jump, jump + 1)]
        for epoch, col in zip(around, colors(3, "viridis")):
            F, kappa0, _ = flow_at(epoch)
            ax.plot(kgrid, F, color=col, label=f"epoch {epoch}: loss {loss[epoch]:.3f}")
        ax.axhline(0, color="black", ls="--", lw=0.8)
        ax.axvline(cfg.threshold, color="orange", ls="--")
        ax.set_xlim(-1, 3)
        ax.set_ylim(-0.5, 1.0)
        ax.set_xlabel("κ")
        ax.set_ylabel("dκ/dt")
        ax.set_title("destabilisation: the largest loss jump after the onset")
    else:
        for epoch, col in zip(shown, colors(len(shown), "plasma", 0.0, 0.8)):
            _, _, traj = flow_at(epoch)
            ax.plot(np.arange(len(traj)), traj, ".-", color=col, label=f"epoch {epoch}")
        ax.axhline(cfg.threshold, color="orange", ls="--", label="threshold")
        ax.axvline(cfg.delay, color="gray", ls=":", label="target switches on")
        ax.set_xlabel("time step")
        ax.set_ylabel("κ_t")
        ax.set_title("κ trajectories (exact 1-D map)")
    ax.legend(fontsize=7)
    run.save_figure(fig, "fig3_rank_one_ghost")

    run.save_table(per_seed, "summary", f"Fig 3: rank-one RNN (lr {cfg.lr:g}); onset: loss < "
                   f"{cfg.onset_fraction:g}·plateau, learned: loss < {cfg.drop_fraction:g}·plateau (loss at epoch "
                   f"{cfg.plateau_epoch}); ghost: speed minimum on the κ path without a zero, speed ≤ {speed_max:.3g}")
    results = {"seeds": list(cfg.seeds), "per_seed": per_seed, "ghost_speed_max": speed_max, "loss": rec.loss.T.tolist(),
               "grad_norm": rec.grad_norm.T.tolist(), "accuracy": rec.accuracy.T.tolist(),
               "n_fixed_points": n_fp_all.T.tolist(), "ghost_speed": rec.metrics["ghost_speed"].T.tolist(),
               "min_speed": rec.metrics["min_speed"].T.tolist(),
               "ghost_kappa": rec.metrics["ghost_kappa"].T.tolist(), "jump_epoch": jump,
               "largest_jump": float(loss[jump] - loss[jump - 1]) if jump > 0 else None, "shown_epochs": shown,
               "flows": {str(e): flow_at(e)[0].tolist() for e in shown}, "kappa_grid": kgrid.tolist()}
    run.save_json(results, "results")
    return results
