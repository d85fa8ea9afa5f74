"""Fig 4: rank-2 RNNs on DCDT (A–D) and DMTS (E–H): latent flow maps before, during and after
abrupt learning, with their fixed points and ghosts.

The rank-2 network's input-free dynamics live exactly in the 2-D span of its recurrent matrix:
with the SVD coordinates κ = x A[:, :2] (the authors' ``get_lpus``) the flow is
κ̇ = −κ + tanh(κ V + b) U. At each shown epoch the experiment draws the flow (arrows), the
log-speed (colour), the κ trajectories of one trial per condition, and the slow points: the
speed map's local minima (3×3 ``minimum_filter``) refined by Newton's method on ½|F|² and
classified by ``fixed_points.classify`` (stable / saddle / unstable fixed points of the map, or
ghosts: minima with 0 < |F| below the task's speed ceiling along a near-marginal direction). The bottom row shows loss and gradient norm, the outputs, and the ghost timeline.

Ghost timeline: the same slow-point analysis at up to ``timeline_max_epochs`` recorded epochs
spread over [0, the epoch where the loss reaches 20% of its plateau]; per epoch the number of
fixed points on the grid and the slowest ghost (anywhere on the grid, and within
``ghost_radius`` of the κ trajectories); then the first ghost epoch, the epochs where the
fixed-point count changes (bifurcations) and whether the first ghost precedes the drops.
"""
from __future__ import annotations

import numpy as np
import torch

from common.runlog import RunLogger

from .. import fixed_points, latent
from ..plotting import colors, figure, flow_map, ghost_timeline_panel, mark_epochs
from . import require, require_positive
from ._shared import (ONSET_TITLE, RNN_DEFAULTS, SLOW_POINT_DEFAULTS, WM_DEFAULTS, check_rnn, check_slow_points,
                      check_wm, condition_trials, describe_timeline, device_dtype, ghost_onset_per_seed,
                      model_from_snapshots, slow_point_summary, task_from_cfg, train_and_pick_epochs,
                      wm_ghost_speed_max, wm_model)

DEFAULTS = {
    **RNN_DEFAULTS,
    **WM_DEFAULTS,
    "rank": 2,
    "optimizer": "sgd",
    "lr": 1e-3,
    "epochs": 100000,
    "record_every": 100,          # keep the weights every that many epochs
    "snapshot_epochs": [],        # flow maps to draw; [] = 0, loss at 90/50/20% of the plateau, last
    "plateau_epoch": 50,          # the loss at this epoch is the plateau level for the auto choice
    "grid_range": [-7.5, 7.5],    # authors: DCDT [-7.5, 7.5], DMTS [-10, 10]
    "n_grid": 400,
    "closeup_range": [-1.0, 1.0],
    "newton_steps": 30,
    "tol_fixed": 1e-10,           # fixed point: q ≤ tol_fixed · scale² (``fixed_points.classify``)
    "timeline_max_epochs": 40,    # ghost timeline: at most this many recorded epochs in [0, 20%-drop epoch]
    **SLOW_POINT_DEFAULTS,        # seeds, ghost_radius (latent units), ghost_distance, input_value
}


def check(cfg) -> None:
    check_rnn(cfg)
    check_wm(cfg)
    require(cfg, "rank", cfg.rank == 2, "the flow maps are two-dimensional (rank 2)")
    require(cfg, "optimizer", cfg.optimizer in ("sgd", "adam"), "'sgd' or 'adam'")
    check_slow_points(cfg)
    require_positive(cfg, "lr", "epochs", "record_every", "n_grid", "newton_steps", "timeline_max_epochs")
    require(cfg, "snapshot_epochs", all(0 <= e < cfg.epochs for e in cfg.snapshot_epochs), "in [0, epochs)")


def finder_settings(cfg) -> dict:
    """Slow-point classification settings of a config (``fixed_points.DEFAULT_HPS`` keys)."""
    return {"tol_fixed": cfg.tol_fixed, "alpha": cfg.alpha, "ghost_speed_max": wm_ghost_speed_max(cfg)}


def analyse_flow(U: torch.Tensor, V: torch.Tensor, b: torch.Tensor, axis: np.ndarray, newton_steps: int,
                 classification: dict) -> tuple[np.ndarray, list[dict]]:
    """Flow on the grid and its refined, classified slow points (float64).

    Args:
        classification: ``fixed_points`` settings for the labels (``finder_settings``).
    """
    U, V, b = U.double(), V.double(), b.double()
    flow = latent.flow_on_grid(U, V, b, [axis, axis])
    idx = latent.speed_minima_2d(np.linalg.norm(flow, axis=-1))
    points: list[dict] = []
    if len(idx):
        x0 = torch.as_tensor(np.stack([axis[idx[:, 0]], axis[idx[:, 1]]], axis=1))
        found = fixed_points.find_slow_points(
            lambda k: latent.latent_flow(k, U, V, b), x0,
            {**classification, "n_iters": 0, "newton_steps": newton_steps, "tol_unique": 1e-3,
             "outlier_distance": 3 * (axis[1] - axis[0])}, reference=x0)
        points = [{"kappa": found.x[i].tolist(), "speed": float(found.speed[i]), "kind": found.kind[i],
                   "eigenvalues": [complex(z).real for z in found.eigenvalues[i]]} for i in range(len(found))]
    return flow, points


def slow_point_timeline(W: torch.Tensor, b: torch.Tensor, states: torch.Tensor, axis: np.ndarray,
                        newton_steps: int, classification: dict, radius: float) -> dict[str, list]:
    """``analyse_flow`` for a sequence of networks, reduced by ``slow_point_summary``.

    Args:
        W: ``[E, N, N]`` recurrent weights (rank ≤ 2).  b: ``[E, N]``.
        states: ``[E, C, S, N]`` trajectory states of each network.  axis: ``[G]`` grid axis.
    Returns:
        name → ``E`` values: ``n_fixed_points``, ``ghost_speed``, ``ghost_speed_near_path``, ``ghost_distance``.
    """
    out: dict[str, list] = {}
    for k in range(W.shape[0]):
        P, Q = latent.svd_coordinates(W[k].double(), 2)
        _, points = analyse_flow(P, Q, b[k].double(), axis, newton_steps, classification)
        kappa = states[k].reshape(-1, states.shape[-1]).double() @ P                      # [C·S, 2]
        where = torch.tensor([p["kappa"] for p in points], dtype=torch.float64).reshape(-1, 2)
        dist = torch.cdist(where, kappa).min(1).values.numpy() if len(points) else np.zeros(0)
        row = slow_point_summary([p["kind"] for p in points], [p["speed"] for p in points], dist, radius)
        for key, value in row.items():
            out.setdefault(key, []).append(value)
    return out


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    task = task_from_cfg(cfg)
    seeds = list(cfg.seeds) or [cfg.seed]
    model = wm_model(cfg, seeds, cfg.rank, device, dtype)
    rec, recorded, levels, shown = train_and_pick_epochs(cfg, model, task, run, f"rank2_{cfg.task}", resume)
    loss, grad, acc = rec.loss[:, 0], rec.grad_norm_rec[:, 0], rec.accuracy[:, 0]

    snap_model = model_from_snapshots(model, rec.snapshots, shown)
    inputs, targets, conds = condition_trials(task.to(device, dtype))
    torch.manual_seed(cfg.seed)          # the same initial states for every shown epoch
    with torch.no_grad():
        y, X = snap_model(inputs, task.n_steps)
        W = snap_model.recurrent_weights().cpu()
    y, X, targets, conds = y.cpu(), X.cpu(), targets.cpu(), conds.cpu()
    axis = np.linspace(*cfg.grid_range, cfg.n_grid)
    close = np.linspace(*cfg.closeup_range, 121)
    per_epoch, rows = [], []
    ncols = max(3, len(shown))
    fig, axes = figure(ncols, 3, width=3.6, height=3.4)
    for k, epoch in enumerate(shown):
        P, Q = latent.svd_coordinates(W[k].double(), 2)
        b = snap_model.input_bias(cfg.input_value)[k].cpu().double()
        flow, points = analyse_flow(P, Q, b, axis, cfg.newton_steps, finder_settings(cfg))
        flow_close, _ = analyse_flow(P, Q, b, close, cfg.newton_steps, finder_settings(cfg))
        trajs = [(X[k, i].double() @ P).numpy() for i in range(X.shape[1])]
        im = flow_map(axes[0, k], axis, flow, trajs, points, step=max(1, cfg.n_grid // 25))
        axes[0, k].set_title(f"epoch {epoch}: loss {loss[epoch]:.3f}")
        flow_map(axes[1, k], close, flow_close, trajs, [p for p in points if max(map(abs, p["kappa"])) <= close[-1]],
                 step=6)
        axes[1, k].set_title("close-up")
        ghosts = [p for p in points if p["kind"] == "ghost"]
        fixed = [p for p in points if p["kind"] in ("stable", "saddle", "unstable")]
        per_epoch.append({"epoch": epoch, "points": points})
        rows.append({"epoch": epoch, "loss": float(loss[epoch]), "accuracy": float(acc[epoch]),
                     "fixed points (st/sa/un)": "/".join(str(sum(p["kind"] == s for p in fixed))
                                                      for s in ("stable", "saddle", "unstable")),
                     "ghosts": len(ghosts),
                     "slowest ghost speed": min((p["speed"] for p in ghosts), default=float("nan"))})
    fig.colorbar(im, ax=axes[0, :].tolist(), shrink=0.7, label="log speed")
    for k in range(len(shown), ncols):
        axes[0, k].axis("off")
        axes[1, k].axis("off")
    ax = axes[2, 0]
    ax.semilogy(loss, label="loss")
    ax.semilogy(grad, alpha=0.5, label="‖∇(U,V)‖")
    mark_epochs(ax, shown)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=7)
    ax = axes[2, 1]
    for i, col in zip(range(len(conds)), colors(len(conds), "tab10", 0.0, 0.3)):
        ax.plot(targets[i, :, 0].cpu(), "--", color=col)
        ax.plot(y[-1, i, :, 0].cpu(), color=col, label=f"condition {int(conds[i])}")
        ax.plot(y[0, i, :, 0].cpu(), ":", color=col, alpha=0.6)
    ax.set_xlabel("time step")
    ax.set_title("outputs: first (dotted) / last (solid) shown epoch")
    timelines, onset_rows = ghost_onset_per_seed(
        cfg, model, rec, recorded, inputs, task.n_steps,
        lambda W, b, X: slow_point_timeline(W, b, X, axis, cfg.newton_steps, finder_settings(cfg), cfg.ghost_radius),
        seeds)
    timeline = timelines[0]
    grid = axes[2, 2].get_subplotspec().get_gridspec()
    for k in range(2, ncols):
        axes[2, k].remove()
    ghost_timeline_panel(fig.add_subplot(grid[2, 2:]), timeline["epochs"], timeline["ghost_speed"],
                         timeline["ghost_speed_near_path"], timeline["n_fixed_points"], loss, timeline["drops"])
    run.save_figure(fig, f"fig4_rank_two_{cfg.task}")

    text = describe_timeline(timeline)
    rows.append({"epoch": "summary", "loss": f"drop to 90%/50%/20% of plateau at {'/'.join(map(str, levels))}",
                 "accuracy": float(acc[-1]), "fixed points (st/sa/un)": text["count changes"],
                 "ghosts": text["first ghost"], "slowest ghost speed": text["epochs"]})
    results = {"task": cfg.task, "loss": loss.tolist(), "grad_norm": grad.tolist(), "accuracy": acc.tolist(),
               "drop_epochs_90_50_20": levels, "shown_epochs": shown, "slow_points": per_epoch,
               "ghost_timeline": timeline, "seeds": seeds, "per_seed": onset_rows, "ghost_timelines": timelines,
               "ghost_speed_max": wm_ghost_speed_max(cfg)}
    run.save_json(results, "results")
    run.save_table(rows, "summary", f"Fig 4: rank-2 RNN on {cfg.task.upper()} (seed {seeds[0]})")
    run.save_table(onset_rows, "ghost_onset", ONSET_TITLE.format(task=cfg.task.upper(), family="rank-2",
                                                                  speed=wm_ghost_speed_max(cfg)))
    return results

