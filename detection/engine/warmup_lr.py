"""DAMO-YOLO's quadratic learning-rate warm-up, counted as the official trainer counts it."""
from __future__ import annotations

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler

from mmdet.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class DAMOQuadraticWarmupLR(LRSchedulerMixin, _ParamScheduler):
    """``lr(t) = base_lr * (t / T)^2`` at iteration ``t`` of a ``T``-iteration warm-up.

    The official ``cosine_scheduler`` starts at 0 (``t = 0``); MMDetection's
    ``QuadraticWarmupLR`` gives ``base_lr * ((t + 1) / T)^2``, one iteration ahead. Use with
    ``convert_to_iter_based=True`` for a warm-up given in epochs (official ``warmup_epochs``).
    It also sets ``t = T`` (``base_lr``), where a chainable successor such as
    ``CosineAnnealingLR`` starts from the current value.
    """

    def __init__(self, optimizer, begin: int = 0, end: int = 1, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False) -> None:
        if end <= begin:
            raise ValueError(f'DAMOQuadraticWarmupLR: end ({end}) must be after begin ({begin})')
        self.total_iters = end - begin
        super().__init__(optimizer, begin=begin, end=end + 1, last_step=last_step,
                         by_epoch=by_epoch, verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, begin=0, end=1, by_epoch=True, epoch_length=None,
                              **kwargs):
        """The same warm-up counted in iterations (``epoch_length`` per epoch)."""
        if not by_epoch or epoch_length is None or epoch_length <= 0:
            raise ValueError('DAMOQuadraticWarmupLR: convert_to_iter_based needs by_epoch=True '
                             'and the epoch length')
        return cls(*args, begin=int(begin * epoch_length), end=int(end * epoch_length),
                   by_epoch=False, **kwargs)

    def _get_value(self) -> list[float]:
        factor = (self.last_step / self.total_iters) ** 2
        return [base * factor for base in self.base_values]
