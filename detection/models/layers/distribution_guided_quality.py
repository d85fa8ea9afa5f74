"""DGQP: GFocalV2's distribution-guided localization-quality predictor."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import OptMultiConfig


class DistributionGuidedQualityPredictor(BaseModule):
    """Predict a box's localization quality from the shape of its four edge distributions.

    For each prior and each of the 4 box sides, the softmax over ``reg_max + 1`` bins is
    summarised by its ``topk`` largest probabilities (plus their mean with ``add_mean``): a sharp
    distribution (confident edge) has one large value, a flat one many small values. The
    ``4 * (topk + add_mean)`` statistics go through a small MLP (1x1 conv, ReLU, 1x1 conv,
    sigmoid) to a quality in (0, 1) that multiplies the classification score. Gradients flow
    back into the distribution logits (nothing is detached, as in the official code).

    Args:
        reg_max: largest distance bin (16).
        topk: statistics per side (official ``reg_topk``: 4).
        hidden_channels: MLP width (official ``reg_channels``: 64).
        add_mean: append the mean of the top-k values (official ``add_mean=True``).
        init_cfg: mmengine initialisation config (the head's ``Normal(std=0.01)`` applies).

    Shapes:
        ``(N, 4 * (reg_max + 1), H, W)`` distribution logits -> ``(N, 1, H, W)`` quality.
    """

    def __init__(self,
                 reg_max: int = 16,
                 topk: int = 4,
                 hidden_channels: int = 64,
                 add_mean: bool = True,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if not 1 <= topk <= reg_max + 1:
            raise ValueError(f'DGQP topk must be in [1, reg_max + 1 = {reg_max + 1}]; got {topk}')
        self.reg_max = reg_max
        self.topk = topk
        self.add_mean = add_mean
        stats = 4 * (topk + int(add_mean))
        self.mlp = nn.Sequential(
            nn.Conv2d(stats, hidden_channels, 1), nn.ReLU(),
            nn.Conv2d(hidden_channels, 1, 1), nn.Sigmoid())

    def statistics(self, bbox_pred: Tensor) -> Tensor:
        """``(N, 4 * (reg_max + 1), H, W)`` logits -> ``(N, 4 * (topk + add_mean), H, W)``:
        per side, the top-k bin probabilities (descending), then their mean."""
        n, _, h, w = bbox_pred.shape
        prob = F.softmax(bbox_pred.reshape(n, 4, self.reg_max + 1, h, w), dim=2)
        top = prob.topk(self.topk, dim=2).values
        if self.add_mean:
            top = torch.cat([top, top.mean(dim=2, keepdim=True)], dim=2)
        return top.reshape(n, -1, h, w)

    def forward(self, bbox_pred: Tensor) -> Tensor:
        return self.mlp(self.statistics(bbox_pred))
