"""Optimiser parameter groups and per-epoch learning-rate schedules (linear warm-up + steps or cosine).

The schedules are ``torch.optim.lr_scheduler.LambdaLR`` with a pure factor function of the epoch, so
they checkpoint and resume like any torch scheduler and reproduce the official codes exactly:

* ``warmup_multistep_factor``: reid-strong-baseline's ``WarmupMultiStepLR`` (DMT CNNs: warm-up factor
  0.01 over 10 epochs, x0.1 at epochs 40 and 70; Bias-Eliminate: 0.01 over 10, x0.1 at 24 and 48):
  ``(f + (1 - f) e / W if e < W else 1) * gamma ** #{milestones <= e}``.
* ``warmup_cosine_factor``: timm's ``CosineLRScheduler`` as DMT's ViT uses it (warm-up over 5 epochs,
  cosine over all epochs, counted from 0 as timm does without ``warmup_prefix``):
  ``f + (1 - f) e / W`` during warm-up, then ``m + (1 - m) (1 + cos(pi e / T)) / 2``. timm warms up
  from an absolute lr (DMT: 1e-6 with base 0.01, i.e. ``f = 1e-4``; min lr 1e-5, i.e. ``m = 1e-3``).

The scheduler is stepped once per epoch. DMT calls ``scheduler.step(epoch)`` with 1-based epochs
*before* each epoch, so its first epoch already uses warm-up step 1: ``epoch_offset=1`` reproduces
that. Bias-Eliminate steps ``WarmupMultiStepLR`` at the start of every epoch after PyTorch (>= 1.1) has
stepped it once at construction, so its epoch e (1-based) also uses step e: ``epoch_offset=1`` too. The
default 0 starts at the warm-up factor itself.
A parameter group with ``fixed_lr=True`` (e.g. Bias-Eliminate's target classifier, ``CLS_LR``) keeps
its lr.
"""
from __future__ import annotations

import bisect
import functools
import math
from typing import Iterable, Sequence

import torch
from torch import nn


def warmup_multistep_factor(epoch: float, milestones: Sequence[int], gamma: float = 0.1,
                            warmup_epochs: int = 10, warmup_factor: float = 0.01) -> float:
    """lr / base lr at ``epoch`` for linear warm-up then step decay (see the module docstring)."""
    warm = warmup_factor + (1 - warmup_factor) * epoch / warmup_epochs if epoch < warmup_epochs else 1.0
    return warm * gamma ** bisect.bisect_right(list(milestones), epoch)


def warmup_cosine_factor(epoch: float, max_epochs: int, warmup_epochs: int = 5, warmup_factor: float = 1e-4,
                         min_factor: float = 1e-3) -> float:
    """lr / base lr at ``epoch`` for linear warm-up then cosine decay (see the module docstring)."""
    if epoch < warmup_epochs:
        return warmup_factor + (1 - warmup_factor) * epoch / warmup_epochs
    return min_factor + 0.5 * (1 - min_factor) * (1 + math.cos(math.pi * min(epoch, max_epochs) / max_epochs))


def _constant_factor(epoch: float) -> float:
    return 1.0


def _shifted(factor, offset: int, epoch: int) -> float:
    return factor(epoch + offset)


def build_lr_scheduler(optimizer: torch.optim.Optimizer, name: str, *, max_epochs: int,
                       warmup_epochs: int = 10, warmup_factor: float = 0.01,
                       milestones: Sequence[int] = (40, 70), gamma: float = 0.1, min_factor: float = 1e-3,
                       epoch_offset: int = 0) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-epoch ``LambdaLR``: ``name`` is ``"multistep"`` (warm-up + steps), ``"cosine"`` (warm-up +
    cosine) or ``"constant"``. Groups flagged ``fixed_lr`` stay constant."""
    if name == "multistep":
        if list(milestones) != sorted(milestones):
            raise ValueError(f"milestones must be increasing, got {list(milestones)}")
        factor = functools.partial(warmup_multistep_factor, milestones=tuple(milestones), gamma=gamma,
                                   warmup_epochs=warmup_epochs, warmup_factor=warmup_factor)
    elif name == "cosine":
        factor = functools.partial(warmup_cosine_factor, max_epochs=max_epochs, warmup_epochs=warmup_epochs,
                                   warmup_factor=warmup_factor, min_factor=min_factor)
    elif name == "constant":
        factor = _constant_factor
    else:
        raise ValueError(f"unknown lr schedule '{name}': choose 'multistep', 'cosine' or 'constant'")
    shifted = functools.partial(_shifted, factor, epoch_offset)
    lambdas = [_constant_factor if group.get("fixed_lr") else shifted for group in optimizer.param_groups]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)


def build_param_groups(model: nn.Module, lr: float, weight_decay: float, *, bias_lr_factor: float = 1.0,
                       weight_decay_bias: float | None = None,
                       fixed_lr: dict[str, float] | None = None) -> list[dict]:
    """Parameter groups in the reid-strong-baseline convention.

    Args:
        model: the network (trainable parameters only are grouped).
        lr, weight_decay: of the weights.
        bias_lr_factor: lr multiplier of parameters whose name contains ``bias`` (DMT: 2).
        weight_decay_bias: weight decay of the biases (default: ``weight_decay``).
        fixed_lr: ``{name prefix: lr}`` for parameters kept at a constant lr by the scheduler.
    """
    fixed_lr = fixed_lr or {}
    weight_decay_bias = weight_decay if weight_decay_bias is None else weight_decay_bias
    groups: dict[tuple, dict] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        prefix = next((p for p in fixed_lr if name.startswith(p)), None)
        if prefix is not None:
            key = ("fixed", prefix)
            spec = {"lr": fixed_lr[prefix], "weight_decay": weight_decay, "fixed_lr": True}
        elif "bias" in name:
            key, spec = ("bias",), {"lr": lr * bias_lr_factor, "weight_decay": weight_decay_bias}
        else:
            key, spec = ("weight",), {"lr": lr, "weight_decay": weight_decay}
        groups.setdefault(key, {"params": [], **spec})["params"].append(param)
    return list(groups.values())


def build_optimizer(params: Iterable[dict] | Iterable[nn.Parameter], name: str = "SGD", *, lr: float,
                    momentum: float = 0.9, **kwargs) -> torch.optim.Optimizer:
    """``"SGD"`` (with ``momentum``), ``"Adam"`` or ``"AdamW"`` over ``params`` (e.g. from
    ``build_param_groups``)."""
    if name == "SGD":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, **kwargs)
    if name in ("Adam", "AdamW"):
        return getattr(torch.optim, name)(params, lr=lr, **kwargs)
    raise ValueError(f"unknown optimizer '{name}': choose 'SGD', 'Adam' or 'AdamW'")
