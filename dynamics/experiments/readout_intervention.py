"""Fig 8C: constraining the readout norm (the confidence of a full-rank RNN) rescues learning.

Phase 1 (authors' ``Figure8/code/C/intervention_experiment.py``): full-rank DCDT RNNs train with
Adam at a large learning rate (0.1), noise 1e-3, 10 trials per condition. Phase 2 continues each
run (weights and Adam state) for as many epochs with ‖W_out‖₁ (and b_out by the same factor)
renormalised to c ∈ {0.1, 0.5, 1, 3, ∞} before every forward pass (∞: no intervention). All
seeds × c pairs are one batch. Accuracy is the authors' ±0.33 binarisation.
"""
from __future__ import annotations

import numpy as np
import torch

from common.runlog import RunLogger

from ..plotting import colors, figure, mean_sem
from ..training import train_ensemble
from . import require, require_positive
from ._shared import RNN_DEFAULTS, WM_DEFAULTS, check_rnn, check_wm, checkpoints, device_dtype, task_from_cfg, wm_model

DEFAULTS = {
    **RNN_DEFAULTS,
    **WM_DEFAULTS,
    "n_seeds": 100,
    "lr": 0.1,
    "epochs": 10000,              # per phase
    "readout_norms": [0.1, 0.5, 1.0, 3.0, float("inf")],
    "stuck_accuracy": 0.6,        # a run is stuck at the end of phase 1 below this accuracy
}


def check(cfg) -> None:
    check_rnn(cfg)
    check_wm(cfg)
    require(cfg, "task", cfg.task == "dcdt", "the authors' intervention uses DCDT")
    require_positive(cfg, "n_seeds", "lr", "epochs", "readout_norms")


def _adam_state_for(state: dict, index: torch.Tensor) -> dict:
    """An Adam state dict whose per-parameter tensors are indexed along the member axis."""
    out = {"param_groups": state["param_groups"], "state": {}}
    for key, s in state["state"].items():
        out["state"][key] = {k: (v[index].clone() if torch.is_tensor(v) and v.dim() > 0 else v) for k, v in s.items()}
    return out


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    task = task_from_cfg(cfg)
    model = wm_model(cfg, list(range(cfg.n_seeds)), None, device, dtype)
    first = train_ensemble(model, task, cfg.epochs, cfg.lr, optimizer="adam", logger=run, log_every=cfg.log_every,
                           desc="phase1", checkpoints=checkpoints(run, "phase1"),
                           checkpoint_every=cfg.checkpoint_every, resume=resume)
    norms = np.asarray(cfg.readout_norms, dtype=np.float64)
    index = torch.as_tensor([s for s in range(cfg.n_seeds) for _ in norms], device=device)
    second_model = model.select(index)
    target = torch.as_tensor(np.tile(norms, cfg.n_seeds), dtype=dtype, device=device)
    second = train_ensemble(second_model, task, cfg.epochs, cfg.lr, optimizer="adam",
                            opt_state=_adam_state_for(first.optimizer_state, index), readout_l1=target,
                            logger=run, log_every=cfg.log_every, desc="phase2",
                            checkpoints=checkpoints(run, "phase2"), checkpoint_every=cfg.checkpoint_every,
                            resume=resume)
    acc1 = first.accuracy                                                  # [E1, S]
    acc2 = second.accuracy.reshape(cfg.epochs, cfg.n_seeds, len(norms))    # [E2, S, C]
    stuck = acc1[-1] < cfg.stuck_accuracy

    fig, axes = figure(2, 1, width=6.0, height=4.2)
    ax = axes[0, 0]
    e1 = np.arange(cfg.epochs)
    e2 = np.arange(cfg.epochs, 2 * cfg.epochs)
    m, s = mean_sem(acc1, axis=1)
    ax.plot(e1, m, color="black", label="phase 1 (no intervention)")
    ax.fill_between(e1, m - s, m + s, color="black", alpha=0.2)
    for j, col in zip(range(len(norms)), colors(len(norms), "plasma", 0.0, 0.85)):
        m, s = mean_sem(acc2[:, :, j], axis=1)
        ax.plot(e2, m, color=col, label=f"‖W_out‖₁ = {norms[j]:g}")
        ax.fill_between(e2, m - s, m + s, color=col, alpha=0.2)
    ax.axvline(cfg.epochs, color="red", ls="--")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (mean ± SEM over seeds)")
    ax.legend(fontsize=7)
    ax.set_title(f"full-rank DCDT, Adam lr {cfg.lr:g}")
    ax = axes[0, 1]
    if stuck.any():
        for j, col in zip(range(len(norms)), colors(len(norms), "plasma", 0.0, 0.85)):
            m, s = mean_sem(acc2[:, stuck, j], axis=1)
            ax.plot(e2, m, color=col, label=f"‖W_out‖₁ = {norms[j]:g}")
        ax.set_title(f"the {int(stuck.sum())} runs stuck after phase 1 (accuracy < {cfg.stuck_accuracy:g})")
    else:
        ax.set_title("no run was stuck after phase 1")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    run.save_figure(fig, "fig8c_readout_norm_intervention")

    tail = max(1, cfg.epochs // 10)
    rows = [{"‖W_out‖₁": "phase 1", "final accuracy (mean)": float(acc1[-tail:].mean()),
             "stuck runs recovered": f"{int(stuck.sum())}/{cfg.n_seeds} stuck", "runs above 0.9": int((acc1[-1] > 0.9).sum())}]
    for j, c in enumerate(norms):
        rows.append({"‖W_out‖₁": f"{c:g}", "final accuracy (mean)": float(acc2[-tail:, :, j].mean()),
                     "stuck runs recovered": f"{int((acc2[-tail:, stuck, j].mean(0) >= cfg.stuck_accuracy).sum())}/{int(stuck.sum())}",
                     "runs above 0.9": int((acc2[-1, :, j] > 0.9).sum())})
    results = {"readout_norms": [str(c) for c in norms], "accuracy_phase1_mean": acc1.mean(1).tolist(),
               "accuracy_phase2_mean": acc2.mean(1).T.tolist(), "stuck_after_phase1": stuck.tolist()}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 8C: readout-norm intervention")
    return results
