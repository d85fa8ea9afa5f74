"""Fig 5: full-rank RNNs on DCDT and DMTS: slow points (ghosts) around abrupt learning.

At each shown epoch the trials of every condition are simulated with that epoch's weights, and
the batched slow-point finder (``dynamics.fixed_points``: Adam on q = ½|F|² from all trajectory
states at once, Newton refinement, de-duplication, outlier removal, Jacobian eigenvalues) is run
on the input-free flow F(x) = −x + tanh(x W + b), as in the authors' ``FixedPointSolver``. The
figure shows loss / gradient norm and accuracy over training, and per epoch a 3-D PCA of the
trajectories with the slow points coloured by log₁₀ speed; ghosts are labelled by
``fixed_points.classify`` (a q-minimum, not a fixed point, below the task's speed ceiling, slow along a
near-marginal direction of the map).

Ghost timeline: the same search at up to ``timeline_max_epochs`` recorded epochs spread over
[0, the epoch where the loss reaches 20% of its plateau] (Adam batched over all of them); per
epoch the number of fixed points found and the slowest ghost (any, and within ``ghost_radius``
of a trajectory state); then the first ghost epoch, the epochs where the fixed-point count
changes, and whether the first ghost precedes the drops. The finder starts from trajectory
states, so the counts are those of the fixed points near the visited region.
"""
from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from common.runlog import RunLogger

from .. import fixed_points
from ..plotting import colors, ghost_timeline_panel, mark_epochs
from . import require, require_positive
from ._shared import (ONSET_TITLE, RNN_DEFAULTS, SLOW_POINT_DEFAULTS, WM_DEFAULTS, check_rnn, check_slow_points,
                      check_wm, condition_trials, describe_timeline, device_dtype, ghost_onset_per_seed,
                      model_from_snapshots, slow_point_summary, task_from_cfg, train_and_pick_epochs,
                      wm_ghost_speed_max, wm_model)

DEFAULTS = {
    **RNN_DEFAULTS,
    **WM_DEFAULTS,
    "optimizer": "sgd",
    "lr": 1e-2,
    "epochs": 3001,
    "record_every": 10,
    "snapshot_epochs": [],        # [] = 0, loss at 90/50/20% of the plateau, last
    "plateau_epoch": 5,
    "finder": {"n_iters": 5000, "lr": 1e-2, "lr_decay": 1.0, "newton_steps": 3, "newton_damping": 1e-4,
               "tol_unique": 0.05, "outlier_distance": 5.0, "tol_fixed": 1e-10, "tol_q": 1e-14},
    "candidate_noise": 0.01,      # std of the noise added to the trajectory states used as candidates
    "timeline_max_epochs": 40,    # ghost timeline: at most this many recorded epochs in [0, 20%-drop epoch]
    **SLOW_POINT_DEFAULTS,        # seeds, ghost_radius, ghost_distance, input_value (the finder's alpha and
                                  # ghost_speed_max come from the config unless the finder dict sets them)
    "ghost_radius": 1.0,          # state-space distance
}


def check(cfg) -> None:
    check_rnn(cfg)
    check_wm(cfg)
    require(cfg, "optimizer", cfg.optimizer in ("sgd", "adam"), "'sgd' or 'adam'")
    check_slow_points(cfg)
    require_positive(cfg, "lr", "epochs", "record_every", "timeline_max_epochs")
    require(cfg, "finder", set(cfg.finder) <= set(fixed_points.DEFAULT_HPS),
            f"keys must be among {sorted(fixed_points.DEFAULT_HPS)}")
    require(cfg, "snapshot_epochs", all(0 <= e < cfg.epochs for e in cfg.snapshot_epochs), "in [0, epochs)")


def finder_settings(cfg) -> dict:
    """``cfg.finder`` with the map's α and the task's ghost speed ceiling (unless the finder sets them)."""
    return {"alpha": cfg.alpha, "ghost_speed_max": wm_ghost_speed_max(cfg), **cfg.finder}


def slow_points_at(W: torch.Tensor, b: torch.Tensor, states: torch.Tensor, finder: dict, candidate_noise: float,
                   gen: torch.Generator) -> list[tuple[fixed_points.SlowPoints, torch.Tensor]]:
    """Slow points of F(x) = −x + tanh(x W + b) for several networks, seeded from their states.

    Args:
        W: ``[E, N, N]``.  b: ``[E, N]``.  states: ``[E, M, N]`` trajectory states per network.
        gen: generator of the candidate noise (drawn network by network).
    Returns:
        E pairs (``SlowPoints``, ``[P]`` distance of each point to the nearest state of its network).
    """
    x0 = torch.stack([s + candidate_noise * torch.randn(s.shape, generator=gen, dtype=s.dtype) for s in states])
    flows = [lambda x, W_k=W_k, b_k=b_k: -x + torch.tanh(x @ W_k + b_k) for W_k, b_k in zip(W, b)]
    batched = lambda x: -x + torch.tanh(torch.baddbmm(b[:, None, :], x, W))
    found = fixed_points.find_slow_points_many(batched, flows, x0, dict(finder), reference=states)
    return [(pts, torch.cdist(pts.x, s).min(1).values if len(pts) else torch.zeros(0)) for pts, s in zip(found, states)]


def slow_point_timeline(W: torch.Tensor, b: torch.Tensor, states: torch.Tensor, finder: dict,
                        candidate_noise: float, seed: int, radius: float) -> dict[str, list]:
    """``slow_points_at`` for a sequence of networks, reduced by ``slow_point_summary``.

    Args:
        W: ``[E, N, N]``.  b: ``[E, N]``.  states: ``[E, C, S, N]`` trajectory states.
    Returns:
        name → ``E`` values: ``n_fixed_points``, ``ghost_speed``, ``ghost_speed_near_path``, ``ghost_distance``.
    """
    found = slow_points_at(W, b, states.reshape(states.shape[0], -1, states.shape[-1]), finder, candidate_noise,
                           torch.Generator().manual_seed(seed))
    out: dict[str, list] = {}
    for pts, dist in found:
        for key, value in slow_point_summary(pts.kind, pts.speed.numpy(), dist.numpy(), radius).items():
            out.setdefault(key, []).append(value)
    return out


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    task = task_from_cfg(cfg)
    seeds = list(cfg.seeds) or [cfg.seed]
    model = wm_model(cfg, seeds, None, device, dtype)
    rec, recorded, levels, shown = train_and_pick_epochs(cfg, model, task, run, f"full_{cfg.task}", resume)
    loss, grad, acc = rec.loss[:, 0], rec.grad_norm_rec[:, 0], rec.accuracy[:, 0]

    snap_model = model_from_snapshots(model, rec.snapshots, shown)
    inputs, _, conds = condition_trials(task.to(device, dtype))
    torch.manual_seed(cfg.seed)          # the same initial states and noise for every shown epoch
    with torch.no_grad():
        _, X = snap_model(inputs, task.n_steps)
        W = snap_model.recurrent_weights().double()
        b = snap_model.input_bias(cfg.input_value).double()
    gen = torch.Generator().manual_seed(cfg.seed)
    X = X.double().cpu()
    all_states = X.reshape(-1, X.shape[-1]).numpy()
    mean = all_states.mean(0)
    pcs = np.linalg.svd(all_states - mean, full_matrices=False)[2][:3]          # [3, N]

    per_epoch, rows = [], []
    found_all = slow_points_at(W.cpu(), b.cpu(), X.reshape(X.shape[0], -1, X.shape[-1]), finder_settings(cfg),
                               cfg.candidate_noise, gen)
    for k, (epoch, (pts, dist)) in enumerate(zip(shown, found_all)):
        info = [{"kind": pts.kind[i], "speed": float(pts.speed[i]), "distance": float(dist[i]),
                 "max_real_eig": float(pts.eigenvalues[i, 0].real)} for i in range(len(pts))]
        per_epoch.append({"epoch": epoch, "points": info})
        closest = int(torch.argmin(dist)) if len(pts) else -1
        rows.append({"epoch": epoch, "loss": float(loss[epoch]), "accuracy": float(acc[epoch]),
                     "slow points": len(pts),
                     "fixed (st/sa/un)": "/".join(str(pts.kind.count(s)) for s in ("stable", "saddle", "unstable")),
                     "ghosts": pts.kind.count("ghost"),
                     "nearest to trajectories": (f"{pts.kind[closest]}, speed {float(pts.speed[closest]):.2g}"
                                                 if closest >= 0 else "none")})

    timelines, onset_rows = ghost_onset_per_seed(
        cfg, model, rec, recorded, inputs, task.n_steps,
        lambda W_t, b_t, X_t: slow_point_timeline(W_t, b_t, X_t, finder_settings(cfg), cfg.candidate_noise, cfg.seed,
                                                  cfg.ghost_radius),
        seeds)
    timeline = timelines[0]
    fig = Figure(figsize=(3.8 * len(shown), 11.4), layout="constrained")
    grid = fig.add_gridspec(3, 2 * len(shown))
    ax = fig.add_subplot(grid[0, :len(shown)])
    ax.loglog(np.arange(1, len(loss) + 1), loss, label="loss")
    ax.loglog(np.arange(1, len(loss) + 1), grad, alpha=0.5, label="‖∇W_rec‖")
    mark_epochs(ax, [e + 1 for e in shown])
    ax.set_xlabel("epoch")
    ax.legend(fontsize=7)
    ax.set_title(f"full-rank RNN, {cfg.task.upper()}, lr {cfg.lr:g}")
    ax = fig.add_subplot(grid[0, len(shown):])
    ax.semilogx(np.arange(1, len(acc) + 1), acc)
    mark_epochs(ax, [e + 1 for e in shown])
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    sc = None
    for k, (epoch, (pts, _)) in enumerate(zip(shown, found_all)):
        ax3 = fig.add_subplot(grid[1, 2 * k:2 * k + 2], projection="3d")
        for i, col in zip(range(X.shape[1]), colors(X.shape[1], "tab10", 0.0, 0.35)):
            traj = (X[k, i].numpy() - mean) @ pcs.T
            ax3.plot(traj[:, 0], traj[:, 1], traj[:, 2], ".-", ms=2, lw=0.8, color=col)
        if len(pts):
            proj = (pts.x.numpy() - mean) @ pcs.T
            markers = np.array(["D" if kind != "ghost" else "*" for kind in pts.kind])
            for mk in ("D", "*"):
                sel = markers == mk
                if sel.any():
                    sc = ax3.scatter(proj[sel, 0], proj[sel, 1], proj[sel, 2], c=np.log10(pts.speed[sel].numpy() + 1e-12),
                                     cmap="coolwarm", vmin=-6, vmax=0, marker=mk, s=40 if mk == "D" else 90,
                                     edgecolors="black", linewidths=0.3, depthshade=False)
        ax3.set_title(f"epoch {epoch}: acc {acc[epoch]:.2f}\n{rows[k]['ghosts']} ghost(s) ★", fontsize=9)
        ax3.set_xlabel("PC1")
        ax3.set_ylabel("PC2")
        ax3.set_zlabel("PC3")
    if sc is not None:
        fig.colorbar(sc, ax=fig.axes[2:], orientation="horizontal", shrink=0.5, label="log10 speed")
    ghost_timeline_panel(fig.add_subplot(grid[2, :]), timeline["epochs"], timeline["ghost_speed"],
                         timeline["ghost_speed_near_path"], timeline["n_fixed_points"], loss, timeline["drops"])
    run.save_figure(fig, f"fig5_full_rank_{cfg.task}")

    text = describe_timeline(timeline)
    rows.append({"epoch": "summary", "loss": f"drop to 90%/50%/20% of plateau at {'/'.join(map(str, levels))}",
                 "accuracy": float(acc[-1]), "slow points": text["epochs"], "fixed (st/sa/un)": text["count changes"],
                 "ghosts": text["first ghost"], "nearest to trajectories": ""})
    results = {"task": cfg.task, "loss": loss.tolist(), "grad_norm": grad.tolist(), "accuracy": acc.tolist(),
               "drop_epochs_90_50_20": levels, "shown_epochs": shown, "slow_points": per_epoch,
               "ghost_timeline": timeline, "seeds": seeds, "per_seed": onset_rows, "ghost_timelines": timelines,
               "ghost_speed_max": finder_settings(cfg)["ghost_speed_max"]}
    run.save_json(results, "results")
    run.save_table(rows, "summary", f"Fig 5: full-rank RNN slow points on {cfg.task.upper()} (seed {seeds[0]})")
    run.save_table(onset_rows, "ghost_onset", ONSET_TITLE.format(task=cfg.task.upper(), family="full-rank",
                                                                  speed=finder_settings(cfg)["ghost_speed_max"]))
    return results
