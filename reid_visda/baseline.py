"""Stage "baseline" (the code's ``train_baseline.py``): supervised training on the labelled source.

The source is PersonX as the config reads it (``data.source_transferred``: the SPGAN translation by
default) with its CamStyle copies: every step holds 48 original and 48 CamStyle images (P x K with
K = 8), each half through the network on its own, label-smoothed CE on the source classifier + the
weighted soft-margin triplet on both, SGD lr 0.02 with 10 warm-up epochs and x0.1 at 24 and 48, 61
epochs. ``data.camstyle=False`` trains on 96 original images per step instead (the "direct transfer" and
"+ SPGAN" rows of the report's Table 1).
"""
from __future__ import annotations

from mmengine.config import Config

from common.distributed import DistInfo, barrier, wrap_ddp
from common.runlog import RunLogger

from .data import baseline_loader, load_source
from .models import BiasEliminateNet, build_bias_eliminate_net, load_backbone_and_embedding
from .trainer import build_trainer


def run_baseline(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> BiasEliminateNet:
    """Train the baseline (see the module docstring); returns the trained (unwrapped) network."""
    tree = load_source(cfg, camstyle=cfg.data.camstyle)
    loader = baseline_loader(cfg, tree, info)
    model = build_bias_eliminate_net(cfg, [tree.num_train_pids])
    if cfg.model.init_from:
        load_backbone_and_embedding(model, cfg.model.init_from)
        run.info(f"initialised from {cfg.model.init_from} (classifiers not loaded)")
    model.to(info.device)
    trainer = build_trainer(cfg, wrap_ddp(model, info), loader, run, info)
    camstyle = f" + {len(tree.camstyle)} CamStyle copies" if cfg.data.camstyle else ""
    run.info(f"baseline: {len(tree.train)} source images ({cfg.data.source_transferred}){camstyle} of "
             f"{tree.num_train_pids} identities, {len(loader)} steps per epoch, {info.world_size} process(es)")
    trainer.fit(resume=resume)
    barrier()
    return model
