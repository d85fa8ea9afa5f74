"""Figs 6A and 7: loss vs learning rate for ensembles of RNNs trained as one batch.

Every (learning rate, seed) pair is one member of a single ``RateRNN`` ensemble trained by SGD
with per-member rates. Networks (``network``):

* ``"rank_one"``: the rank-one delayed-activation RNN (Fig 6A left; readout σ(c(κ − 1))).
* ``"full_rank_readout"``: a full-rank delayed-activation RNN with a trainable readout
  σ(x W_out + b_out) (Fig 6A right; authors' ``run_multiple_networks_fullrank.py``).
* ``"working_memory"``: a full-rank DCDT or DMTS network (Fig 7; no noise, r₀ = 0).

Panels: (a) loss vs learning rate at several epochs (mean ± SEM over seeds); (b) box plots of the
time-averaged loss and recurrent-gradient norm per learning rate; (c) time-averaged fraction of
saturated units (|x| > ``saturation_threshold``: tanh saturation → vanishing gradients) and
‖W_rec‖ at the end; (d) two example runs at ``example_lr`` (the best and the worst seed).
"""
from __future__ import annotations

import numpy as np

from common.runlog import RunLogger

from ..models import RateRNN
from ..plotting import colors, figure, mean_sem
from ..tasks import delayed_activation
from ..training import train_ensemble
from . import require, require_positive
from ._shared import RNN_DEFAULTS, WM_DEFAULTS, check_rnn, check_wm, checkpoints, device_dtype, task_from_cfg, wm_model

NETWORKS = ("rank_one", "full_rank_readout", "working_memory")
DEFAULTS = {
    **RNN_DEFAULTS,
    **WM_DEFAULTS,
    "network": "rank_one",
    "delay": 20,                  # delayed-activation networks: T
    "confidence": 10.0,
    "init_state_value": -0.3,
    "log10_lr_range": [-4.0, -1.0],
    "n_lrs": 30,
    "n_seeds": 10,
    "epochs": 200001,
    "report_epochs": [10000, 50000, 100000, 200000],
    "learned_fraction": 1e-2,     # learned: final loss below this fraction of the initial loss
    "saturation_threshold": 0.99,
    "example_lr": 0.1,
}


def check(cfg) -> None:
    check_rnn(cfg)
    require(cfg, "network", cfg.network in NETWORKS, f"one of {NETWORKS}")
    if cfg.network == "working_memory":
        check_wm(cfg)
    require_positive(cfg, "n_lrs", "n_seeds", "epochs", "report_epochs", "delay", "confidence", "example_lr")
    require(cfg, "log10_lr_range", len(cfg.log10_lr_range) == 2 and cfg.log10_lr_range[0] <= cfg.log10_lr_range[1],
            "needs [low, high]")
    require(cfg, "report_epochs", max(cfg.report_epochs) < cfg.epochs, "must be < epochs")


def build(cfg, seeds, device, dtype):
    """The ensemble and its task."""
    if cfg.network == "working_memory":
        return wm_model(cfg, seeds, None, device, dtype), task_from_cfg(cfg)
    common = dict(alpha=cfg.alpha, n_units=cfg.n_units, init_state_value=cfg.init_state_value,
                  readout_state="next", init="delayed_activation", dtype=dtype, device=device)
    if cfg.network == "rank_one":
        model = RateRNN(seeds, rank=1, readout="confidence", confidence=cfg.confidence, **common)
    else:
        model = RateRNN(seeds, rank=None, readout="units", out_nonlinearity="sigmoid", **common)
    return model, delayed_activation(cfg.delay)


def saturation_metrics(threshold: float):
    def metrics(model, y, X):
        return {"saturation": (X.abs() > threshold).to(X.dtype).mean(dim=(1, 2, 3)),
                "w_norm": model.recurrent_weights().flatten(1).norm(dim=1)}
    return metrics


def run(cfg, run: RunLogger, resume: bool = False) -> dict:
    device, dtype = device_dtype(cfg)
    lrs = np.logspace(*cfg.log10_lr_range, cfg.n_lrs)
    members = [(i, s) for i in range(cfg.n_lrs) for s in range(cfg.n_seeds)]
    model, task = build(cfg, [s for _, s in members], device, dtype)
    rec = train_ensemble(model, task, cfg.epochs, [lrs[i] for i, _ in members],
                         metric_fn=saturation_metrics(cfg.saturation_threshold), logger=run,
                         log_every=cfg.log_every, desc="lr_sweep", checkpoints=checkpoints(run, "lr_sweep"),
                         checkpoint_every=cfg.checkpoint_every, resume=resume)
    shape = (cfg.epochs, cfg.n_lrs, cfg.n_seeds)
    loss = rec.loss.reshape(shape)
    grad = rec.grad_norm_rec.reshape(shape)
    sat = rec.metrics["saturation"].reshape(shape)
    wnorm = rec.metrics["w_norm"].reshape(shape)
    avg_loss, avg_grad, avg_sat = loss.mean(0), grad.mean(0), sat.mean(0)          # [L, S]
    learned = loss[-1] < cfg.learned_fraction * loss[0]

    fig, axes = figure(2, 2, width=5.4, height=3.9)
    ax = axes[0, 0]
    for ep, col in zip(cfg.report_epochs, colors(len(cfg.report_epochs))):
        m, s = mean_sem(loss[ep], axis=1)
        ax.errorbar(lrs, m, s, color=col, label=f"epoch {ep}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss (mean ± SEM over seeds)")
    ax.set_title(f"{cfg.network.replace('_', ' ')}: loss vs learning rate")
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    widths = lambda w: 10 ** (np.log10(lrs) + w / 2) - 10 ** (np.log10(lrs) - w / 2)
    w = 0.6 * (np.log10(lrs[1] / lrs[0]) if len(lrs) > 1 else 0.2)
    for values, col, name in ((avg_loss, "C0", "time-averaged loss"), (avg_grad, "C1", "time-averaged ‖∇W_rec‖")):
        ax.boxplot(values.T, positions=lrs, widths=widths(w), showfliers=False,
                   boxprops={"color": col}, medianprops={"color": col}, whiskerprops={"color": col},
                   capprops={"color": col})
        jitter = lrs[:, None] * (1 + 0.05 * np.random.default_rng(0).standard_normal(values.shape))
        ax.scatter(jitter.ravel(), values.ravel(), s=4, color=col, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    m, s = mean_sem(avg_sat, axis=1)
    ax.errorbar(lrs, m, s, color="C3", label=f"time-averaged fraction |x| > {cfg.saturation_threshold:g}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("saturated units")
    ax2 = ax.twinx()
    m, s = mean_sem(wnorm[-1], axis=1)
    ax2.errorbar(lrs, m, s, color="C2", label="final ‖W_rec‖")
    ax2.set_yscale("log")
    ax2.set_ylabel("final ‖W_rec‖", color="C2")
    ax.legend(fontsize=7, loc="upper left")
    ax = axes[1, 1]
    i = int(np.argmin(np.abs(np.log(lrs / cfg.example_lr))))
    order = np.argsort(avg_loss[i])
    for s_idx, style in ((order[0], "-"), (order[-1], "--")):
        epochs_axis = np.arange(1, cfg.epochs + 1)
        ax.loglog(epochs_axis, loss[:, i, s_idx], style, color="C0", lw=0.8)
        ax.loglog(epochs_axis, grad[:, i, s_idx], style, color="C1", lw=0.8)
        ax.loglog(epochs_axis, wnorm[:, i, s_idx], style, color="C2", lw=0.8)
    ax.set_title(f"examples at lr {lrs[i]:.3g}: best (—) / worst (--) seed\nloss (C0), ‖∇W_rec‖ (C1), ‖W_rec‖ (C2)",
                 fontsize=9)
    ax.set_xlabel("epoch")
    run.save_figure(fig, f"lr_sweep_{cfg.network}" + (f"_{cfg.task}" if cfg.network == "working_memory" else ""))

    rows = [{"lr": float(lr), "final loss (mean)": float(loss[-1, k].mean()),
             "learned": f"{int(learned[k].sum())}/{cfg.n_seeds}",
             "time-avg loss (median)": float(np.median(avg_loss[k])),
             "time-avg ‖∇W_rec‖ (median)": float(np.median(avg_grad[k])),
             "saturated units": float(avg_sat[k].mean())} for k, lr in enumerate(lrs)]
    results = {"network": cfg.network, "lrs": lrs.tolist(), "report_epochs": list(cfg.report_epochs),
               "loss_at_report_epochs": {str(e): loss[e].tolist() for e in cfg.report_epochs},
               "time_averaged_loss": avg_loss.tolist(), "time_averaged_grad": avg_grad.tolist(),
               "time_averaged_saturation": avg_sat.tolist(), "final_w_norm": wnorm[-1].tolist(),
               "learned": learned.tolist()}
    run.save_json(results, "results")
    run.save_table(rows, "summary", f"Loss vs learning rate ({cfg.network})")
    return results
