"""Fig 6B: extra trainable rank ("sloppy parameters") stabilises learning.

Rank-K delayed-activation RNNs with a trainable readout σ(x W_out + b_out) (authors'
``RankKRNN``: tanh(x m n + b), m ∈ ℝ^{N×K}, n ∈ ℝ^{K×N}) for every K × learning rate × seed are
one batched ensemble: U and V are padded to the largest K and masked, so members of different
rank train together. A run has learned when its final loss is below ``learned_fraction`` of its
initial loss; the figure plots the fraction of learned runs against K for each learning rate,
and the learning curves per rank at one rate.
"""
from __future__ import annotations

import numpy as np

from common.runlog import RunLogger

from ..models import RateRNN
from ..plotting import colors, figure
from ..tasks import delayed_activation
from ..training import train_ensemble
from . import require, require_positive
from ._shared import RNN_DEFAULTS, check_rnn, checkpoints, device_dtype

DEFAULTS = {
    **RNN_DEFAULTS,
    "ranks": [1, 2, 3, 4, 5, 10, 30, 50, 100],
    "log10_lr_range": [-3.0, 0.0],
    "n_lrs": 10,
    "n_seeds": 10,
    "epochs": 500000,
    "n_units": 100,
    "alpha": 0.5,
    "delay": 20,
    "init_state_value": -0.3,
    "learned_fraction": 1e-2,     # authors: loss / loss₀ < 1e-2 at the end
    "curves_lr": 0.1,
    "history_stride": 1,          # record the loss every that many epochs (and the last); the history streams
                                  # to disk, so memory stays bounded (paper scale: 100 → 5000 rows × 900 runs)
    "history_chunk": 100,         # recorded rows held in memory between writes to disk
}


def check(cfg) -> None:
    check_rnn(cfg)
    require_positive(cfg, "ranks", "n_lrs", "n_seeds", "epochs", "n_units", "delay", "learned_fraction", "curves_lr")
    require(cfg, "ranks", max(cfg.ranks) <= cfg.n_units, "ranks must not exceed n_units")
    for key in ("history_stride", "history_chunk"):
        require(cfg, key, isinstance(cfg[key], int) and cfg[key] >= 1, "an int >= 1")
    require(cfg, "log10_lr_range", len(cfg.log10_lr_range) == 2 and cfg.log10_lr_range[0] <= cfg.log10_lr_range[1],
            "needs [low, high]")


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    lrs = np.logspace(*cfg.log10_lr_range, cfg.n_lrs)
    members = [(k, i, s) for k in cfg.ranks for i in range(cfg.n_lrs) for s in range(cfg.n_seeds)]
    model = RateRNN([s for _, _, s in members], n_units=cfg.n_units, rank=[k for k, _, _ in members],
                    alpha=cfg.alpha, readout="units", out_nonlinearity="sigmoid", readout_state="next",
                    init_state_value=cfg.init_state_value, init="delayed_activation", dtype=dtype, device=device)
    rec = train_ensemble(model, delayed_activation(cfg.delay), cfg.epochs, [lrs[i] for _, i, _ in members],
                         logger=run, log_every=cfg.log_every, desc="rank_sweep",
                         checkpoints=checkpoints(run, "rank_sweep"), checkpoint_every=cfg.checkpoint_every,
                         resume=resume, history_stride=cfg.history_stride, history_chunk=cfg.history_chunk)
    shape = (len(rec.epochs), len(cfg.ranks), cfg.n_lrs, cfg.n_seeds)
    loss = rec.loss.reshape(shape)
    ratio = loss[-1] / loss[0]
    learned = ratio < cfg.learned_fraction                      # [K, L, S]
    fraction = learned.mean(axis=2)                              # [K, L]

    fig, axes = figure(2, 1, width=5.6, height=4.2)
    ax = axes[0, 0]
    for i, col in zip(range(cfg.n_lrs), colors(cfg.n_lrs)):
        ax.plot(cfg.ranks, fraction[:, i], "o-", color=col, label=f"lr {lrs[i]:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("trainable rank K")
    ax.set_ylabel("fraction of runs learned")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(f"loss/loss₀ < {cfg.learned_fraction:g} after {cfg.epochs} epochs")
    ax.legend(fontsize=7, ncol=2)
    ax = axes[0, 1]
    i = int(np.argmin(np.abs(np.log(lrs / cfg.curves_lr))))
    for k, col in zip(range(len(cfg.ranks)), colors(len(cfg.ranks))):
        for s in range(cfg.n_seeds):
            ax.loglog(rec.epochs + 1, loss[:, k, i, s] / loss[0, k, i, s], color=col, lw=0.7,
                      label=f"K = {cfg.ranks[k]}" if s == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss / initial loss")
    ax.set_title(f"learning curves at lr {lrs[i]:.3g}")
    ax.legend(fontsize=7, ncol=2)
    run.save_figure(fig, "fig6b_rank_sweep")

    rows = [{"K": k, **{f"lr {lr:.3g}": float(fraction[a, i]) for i, lr in enumerate(lrs)},
             "all rates": float(fraction[a].mean())} for a, k in enumerate(cfg.ranks)]
    results = {"ranks": list(cfg.ranks), "lrs": lrs.tolist(), "fraction_learned": fraction.tolist(),
               "final_loss_ratio": ratio.tolist()}
    run.save_json(results, "results")
    run.save_table(rows, "summary", "Fig 6B: fraction of runs learned vs trainable rank")
    return results
