"""Cosine decay of the distillation loss weight over training."""
from __future__ import annotations

import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


@HOOKS.register_module()
class DistillWeightHook(Hook):
    """Set ``model.distill_weight`` before each training iteration.

    ``w(t) = end + (start - end) * (1 + cos(pi * t / T)) / 2`` for iteration ``t`` of ``T``
    (official: 1.0 -> 0.1 over the whole run).

    Args:
        start: weight at the first iteration.
        end: weight at the last iteration.
    """

    priority = 'NORMAL'

    def __init__(self, start: float = 1.0, end: float = 0.1) -> None:
        self.start = start
        self.end = end

    def weight(self, iteration: int, max_iters: int) -> float:
        progress = min(iteration / max(max_iters, 1), 1.0)
        return self.end + (self.start - self.end) * (1 + math.cos(math.pi * progress)) / 2

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'distill_weight'):
            raise TypeError(f'DistillWeightHook needs a model with a distill_weight attribute '
                            f'(FeatureDistillDetector), got {type(model).__name__}')
        model.distill_weight = self.weight(runner.iter, runner.max_iters)
