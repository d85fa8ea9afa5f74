"""DMT's optimiser and learning-rate schedule (``solver/make_optimizer.py``, ``solver/lr_scheduler.py``).

Parameter groups: weights at ``base_lr`` / ``weight_decay``; parameters named ``*bias*`` at
``base_lr * bias_lr_factor`` / ``weight_decay_bias``; with ``large_fc_lr`` the classifier at
``2 * base_lr`` (``SOLVER.LARGE_FC_LR``). The schedule is ``common.reid.solver``'s per-epoch
warm-up + steps (CNNs) or warm-up + cosine (TransReID), or a constant lr (stage 2).
"""
from __future__ import annotations

import torch
from mmengine.config import ConfigDict
from torch import nn

from common.reid.solver import build_lr_scheduler, build_optimizer

CLASSIFIER_PREFIX = "head.classifier."


def dmt_param_groups(model: nn.Module, solver: ConfigDict) -> list[dict]:
    """The parameter groups described in the module docstring (trainable parameters only)."""
    groups: dict[str, dict] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        name = name.removeprefix("module.")
        if solver.large_fc_lr and name.startswith(CLASSIFIER_PREFIX):
            key, lr, wd = "classifier", solver.base_lr * 2, solver.weight_decay
        elif "bias" in name:
            key, lr, wd = "bias", solver.base_lr * solver.bias_lr_factor, solver.weight_decay_bias
        else:
            key, lr, wd = "weight", solver.base_lr, solver.weight_decay
        groups.setdefault(key, {"params": [], "lr": lr, "weight_decay": wd})["params"].append(param)
    return list(groups.values())


def build_dmt_optimizer(model: nn.Module, solver: ConfigDict) -> torch.optim.Optimizer:
    """``solver.optimizer`` (SGD with momentum in every DMT config) over ``dmt_param_groups``."""
    return build_optimizer(dmt_param_groups(model, solver), solver.optimizer, lr=solver.base_lr,
                           momentum=solver.momentum)


def build_dmt_scheduler(optimizer: torch.optim.Optimizer, solver: ConfigDict
                        ) -> torch.optim.lr_scheduler.LambdaLR:
    """The per-epoch schedule ``solver.schedule`` with DMT's warm-up and milestones."""
    return build_lr_scheduler(optimizer, solver.schedule, max_epochs=solver.max_epochs,
                              warmup_epochs=solver.warmup_epochs, warmup_factor=solver.warmup_factor,
                              milestones=solver.steps, gamma=solver.gamma, min_factor=solver.min_factor,
                              epoch_offset=solver.epoch_offset)
