"""Channel-wise distillation (CWD) on neck features, as DAMO-YOLO distils (official ``FeatureLoss``)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import OptMultiConfig


def channel_wise_divergence(student: Tensor, teacher: Tensor, tau: float = 1.0) -> Tensor:
    """KL divergence between per-channel spatial distributions (Shu et al., 2021).

    Each channel of each image is turned into a distribution over its ``H * W`` positions by a
    softmax with temperature ``tau``; the loss is ``tau^2 * sum KL(teacher || student) / (N * C)``.

    Args:
        student: ``(N, C, H, W)``.
        teacher: ``(N, C, H, W)``, same shape.
        tau: softmax temperature.

    Returns:
        Scalar tensor; 0 when the two feature maps are equal, positive otherwise.
    """
    if student.shape != teacher.shape:
        raise ValueError(f'student features {tuple(student.shape)} and teacher features '
                         f'{tuple(teacher.shape)} differ in shape')
    n, c, h, w = student.shape
    log_p_t = F.log_softmax(teacher.reshape(n * c, h * w) / tau, dim=1)
    log_p_s = F.log_softmax(student.reshape(n * c, h * w) / tau, dim=1)
    return (log_p_t.exp() * (log_p_t - log_p_s)).sum() * tau**2 / (n * c)


@MODELS.register_module()
class ChannelWiseDistillLoss(BaseModule):
    """CWD over several feature levels, with a trainable 1x1 alignment conv per level.

    Per level: ``s = align(s)``; student and teacher features are both standardised per channel
    with batch statistics (the official code uses an affine-free BatchNorm that is never put in
    eval mode); then :func:`channel_wise_divergence`. Levels are summed.

    Args:
        student_channels: channels of each student feature level.
        teacher_channels: channels of each teacher feature level.
        tau: softmax temperature (official: 1).
        loss_weight: multiplies the sum over levels.
        init_cfg: mmengine initialisation config.

    Shapes:
        ``forward(student_feats, teacher_feats)``: level ``l`` ``(N, C_s[l], H_l, W_l)`` and
        ``(N, C_t[l], H_l, W_l)`` -> scalar.
    """

    def __init__(self,
                 student_channels: Sequence[int],
                 teacher_channels: Sequence[int],
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if len(student_channels) != len(teacher_channels):
            raise ValueError(f'{len(student_channels)} student levels but {len(teacher_channels)} '
                             'teacher levels')
        self.tau = tau
        self.loss_weight = loss_weight
        self.align = nn.ModuleList(nn.Conv2d(s, t, 1) for s, t in zip(student_channels, teacher_channels))

    @staticmethod
    def _standardise(x: Tensor) -> Tensor:
        return F.batch_norm(x, None, None, training=True, eps=1e-5)

    def forward(self, student_feats: Sequence[Tensor], teacher_feats: Sequence[Tensor]) -> Tensor:
        if len(student_feats) != len(self.align) or len(teacher_feats) != len(self.align):
            raise ValueError(f'expected {len(self.align)} feature levels, got {len(student_feats)} '
                             f'student and {len(teacher_feats)} teacher levels')
        loss = torch.zeros((), device=student_feats[0].device)
        for align, s, t in zip(self.align, student_feats, teacher_feats):
            loss = loss + channel_wise_divergence(self._standardise(align(s)), self._standardise(t),
                                                  self.tau)
        return self.loss_weight * loss
