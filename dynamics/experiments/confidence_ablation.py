"""Fig 8B: lowering the output confidence rescues rank-one RNNs stuck in the no-learning zone.

Phase 1 (authors' ``Figure8/code/B/test_ablation.py``): rank-one RNNs (one per seed, one batch)
train with confidence c = 10 at a large learning rate (0.02); some learn and then collapse into
the no-learning zone (accuracy once above 50%, at most 50% over the last 50 epochs). Phase 2:
every run continues from its phase-1 weights for 100 epochs at each c in logspace(−3, 1, 30)
(one batch of seeds × confidences). Only after the confidence is lowered do the collapsed runs
recover. With ``trainable_confidence`` (the authors' learnable-confidence variant) c is a
trained parameter in both phases, and phase 2 restarts it at the given values.
"""
from __future__ import annotations

import numpy as np
import torch

from common.runlog import RunLogger

from ..models import RateRNN
from ..plotting import colors, figure, mean_sem
from ..tasks import delayed_activation
from ..training import train_ensemble
from . import require, require_positive
from ._shared import RNN_DEFAULTS, check_rnn, checkpoints, device_dtype

DEFAULTS = {
    **RNN_DEFAULTS,
    "n_seeds": 100,
    "n_units": 100,
    "alpha": 0.5,
    "delay": 20,
    "init_state_value": -0.3,
    "lr": 0.02,
    "confidence": 10.0,
    "trainable_confidence": False,
    "epochs": 6000,
    "rescue_epochs": 100,
    "rescue_confidences": {"log10_range": [-3.0, 1.0], "n": 30},
    "collapse_window": 50,        # collapsed: accuracy <= 0.5 over the last this many epochs ...
    "plot_window": 200,           # epochs of phase 1 shown before the switch
}


def check(cfg) -> None:
    check_rnn(cfg)
    require_positive(cfg, "n_seeds", "n_units", "delay", "lr", "confidence", "epochs", "rescue_epochs",
                     "collapse_window", "plot_window")
    rc = cfg.rescue_confidences
    require(cfg, "rescue_confidences", set(rc) == {"log10_range", "n"} and rc["n"] >= 1
            and len(rc["log10_range"]) == 2, "needs log10_range=[low, high] and n")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    task = delayed_activation(cfg.delay)
    seeds = list(range(cfg.n_seeds))
    model = RateRNN(seeds, n_units=cfg.n_units, rank=1, alpha=cfg.alpha, readout="confidence",
                    confidence=cfg.confidence, trainable_confidence=cfg.trainable_confidence,
                    readout_state="next", init_state_value=cfg.init_state_value, dtype=dtype, device=device)
    first = train_ensemble(model, task, cfg.epochs, cfg.lr, logger=run, log_every=cfg.log_every, desc="phase1",
                           checkpoints=checkpoints(run, "phase1"), checkpoint_every=cfg.checkpoint_every,
                           resume=resume)
    acc1 = first.accuracy
    collapsed = (acc1.max(0) > 0.5) & (acc1[-cfg.collapse_window:].max(0) <= 0.5)
    c_all = np.logspace(*cfg.rescue_confidences["log10_range"], cfg.rescue_confidences["n"])
    chosen = np.nonzero(collapsed)[0] if collapsed.any() else np.arange(cfg.n_seeds)
    index = [int(e) for e in chosen for _ in c_all]
    rescue = model.select(index)
    with torch.no_grad():
        rescue.c.copy_(torch.as_tensor(np.tile(c_all, len(chosen)), dtype=dtype))
    second = train_ensemble(rescue, task, cfg.rescue_epochs, cfg.lr, logger=run, log_every=cfg.log_every,
                            desc="phase2", checkpoints=checkpoints(run, "phase2"),
                            checkpoint_every=cfg.checkpoint_every, resume=resume)
    acc2 = second.accuracy.reshape(cfg.rescue_epochs, len(chosen), len(c_all))
    grad2 = second.grad_norm.reshape(cfg.rescue_epochs, len(chosen), len(c_all))
    recovered = acc2.max(0) > 0.5                                     # [runs, c]

    fig, axes = figure(2, 1, width=6.0, height=4.2)
    w = min(cfg.plot_window, cfg.epochs)
    before = np.arange(cfg.epochs - w, cfg.epochs)
    after = np.arange(cfg.epochs, cfg.epochs + cfg.rescue_epochs)
    shown_c = range(2, len(c_all), 3) if len(c_all) >= 6 else range(len(c_all))
    for ax, hist1, hist2, name in ((axes[0, 0], acc1, acc2, "accuracy"),
                                   (axes[0, 1], first.grad_norm, grad2, "‖∇θ‖")):
        m, s = mean_sem(hist1[before][:, chosen], axis=1)
        ax.plot(before, m, color="black")
        ax.fill_between(before, m - s, m + s, color="black", alpha=0.2)
        for j, col in zip(shown_c, colors(len(shown_c), "viridis_r")):
            m, s = mean_sem(hist2[:, :, j], axis=1)
            ax.plot(after, m, color=col, label=f"c = {c_all[j]:.3g}")
            ax.fill_between(after, m - s, m + s, color=col, alpha=0.2)
        ax.axvline(cfg.epochs, color="red", ls="--")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
    axes[0, 1].set_yscale("log")
    axes[0, 0].legend(fontsize=7, ncol=2)
    axes[0, 0].set_title(f"{len(chosen)} {'collapsed' if collapsed.any() else ''} runs: c = {cfg.confidence:g} "
                         "until the red line, then c lowered", fontsize=9)
    run.save_figure(fig, "fig8b_confidence_ablation")

    rows = [{"c": float(c), "runs recovered (acc > 0.5)": f"{int(recovered[:, j].sum())}/{len(chosen)}",
             "final accuracy (mean)": float(acc2[-1, :, j].mean()),
             "final ‖∇θ‖ (median)": float(np.median(grad2[-1, :, j]))} for j, c in enumerate(c_all)]
    rows.insert(0, {"c": f"phase 1 (c = {cfg.confidence:g})",
                    "runs recovered (acc > 0.5)": f"{int(collapsed.sum())}/{cfg.n_seeds} collapsed",
                    "final accuracy (mean)": float(acc1[-1].mean()),
                    "final ‖∇θ‖ (median)": float(np.median(first.grad_norm[-1]))})
    results = {"collapsed_seeds": np.nonzero(collapsed)[0].tolist(), "confidences": c_all.tolist(),
               "recovered": recovered.tolist(), "accuracy_phase2_mean": acc2.mean(1).T.tolist(),
               "accuracy_phase1_last": acc1[-w:].mean(1).tolist(),
               "final_confidence": rescue.c.detach().cpu().tolist()[:len(c_all)]}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 8B: confidence ablation on collapsed rank-one RNNs")
    return results
