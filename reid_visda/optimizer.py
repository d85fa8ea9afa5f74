"""The optimiser and schedule of the code (``solver/build.py``, ``solver/lr_scheduler.py``).

SGD (momentum 0.9) with weights at ``base_lr`` / ``weight_decay`` (0), parameters named ``*bias*`` at
``base_lr * bias_lr_factor`` / ``weight_decay_bias`` (5e-4, the yacs default the configs never change),
and the target classifier (adaptation) at the fixed ``adaptation.target_classifier_lr``
(``TGT_UNSUPDATA.CLS_LR``), which the schedule does not change. The schedule is the per-epoch linear
warm-up + steps of ``common.reid.solver`` (``WarmupMultiStepLR``).
"""
from __future__ import annotations

import torch
from mmengine.config import Config
from torch import nn

from common.checkpoint import unwrap_model
from common.reid.solver import build_lr_scheduler, build_optimizer, build_param_groups

TARGET_CLASSIFIER = "classifiers.1."


def build_optimizer_and_scheduler(model: nn.Module, cfg: Config
                                  ) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """SGD over the parameter groups above and the per-epoch warm-up + multi-step schedule."""
    s = cfg.solver
    fixed = {TARGET_CLASSIFIER: cfg.adaptation.target_classifier_lr} if cfg.stage in ("adaptation", "finetune") else {}
    groups = build_param_groups(unwrap_model(model), s.base_lr, s.weight_decay, bias_lr_factor=s.bias_lr_factor,
                                weight_decay_bias=s.weight_decay_bias, fixed_lr=fixed)
    optimizer = build_optimizer(groups, s.optimizer, lr=s.base_lr, momentum=s.momentum)
    scheduler = build_lr_scheduler(optimizer, "multistep", max_epochs=s.max_epochs, warmup_epochs=s.warmup_epochs,
                                   warmup_factor=s.warmup_factor, milestones=s.steps, gamma=s.gamma,
                                   epoch_offset=s.epoch_offset)
    return optimizer, scheduler
