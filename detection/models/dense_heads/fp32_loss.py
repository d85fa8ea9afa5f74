"""Head losses in float32 under mixed precision (``--amp``)."""
from __future__ import annotations

import functools
from typing import Callable

import torch


def fp32_loss(loss_by_feat: Callable) -> Callable:
    """Run a dense head's ``loss_by_feat(cls_scores, bbox_preds, ...)`` with autocast off and both
    prediction lists cast to float32 (a no-op in full-precision training).

    Under CUDA autocast the heads' losses would otherwise fail or overflow: QFL on probabilities
    calls ``binary_cross_entropy``, which autocast refuses, and half-precision decoded boxes at
    stride 32 reach areas beyond float16's range in GIoU. MMCV 2 dropped ``force_fp32``, which did
    this, hence the hand-written decorator. The official trainers run in float32 throughout.
    """
    @functools.wraps(loss_by_feat)
    def wrapper(self, cls_scores, bbox_preds, *args, **kwargs):
        with torch.autocast(device_type=cls_scores[0].device.type, enabled=False):
            return loss_by_feat(self, [s.float() for s in cls_scores], [b.float() for b in bbox_preds],
                                *args, **kwargs)
    return wrapper
