"""The fusion node of Efficient RepGFPN: a CSP stage with ELAN-style aggregation (official ``CSPStage``)."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.models.layers import InvertedResidual
from mmdet.utils import ConfigType, OptMultiConfig
from ..backbones.tinynas_structure import make_divisible
from .rep_basic_block import RepBasicBlock


class FusionBlock(BaseModule):
    """Fuse concatenated neck inputs: two 1x1 branches, ``n`` blocks on one, concat of *every*
    intermediate output (ELAN), 1x1 fuse.

    ``y0 = short_conv(x)``, ``y1 = main_conv(x)``, ``y_{i+1} = block_i(y_i)``;
    ``out = final_conv(cat(y0, y2, ..., y_{n+1}))``.

    Args:
        in_channels: channels of the concatenated inputs C_in.
        out_channels: output channels C_out; the branches are ``C_out // 2`` and
            ``C_out - C_out // 2`` wide.
        num_blocks: n (official: ``round(3 * depth)``, Python rounding).
        hidden_ratio: :class:`RepBasicBlock` middle width ratio.
        depthwise: use MobileNetV3 inverted residual blocks (5x5 depthwise, expansion
            ``dw_expand_ratio``) instead of :class:`RepBasicBlock` (the Nano models).
        dw_expand_ratio: expansion of the depthwise blocks (official: 3.0).
        norm_cfg: normalisation config.
        act_cfg: activation config.
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H, W)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_blocks: int,
                 hidden_ratio: float = 1.0,
                 depthwise: bool = False,
                 dw_expand_ratio: float = 3.0,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        short = out_channels // 2
        mid = out_channels - short
        self.short_conv = ConvModule(in_channels, short, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.main_conv = ConvModule(in_channels, mid, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        if depthwise:
            expanded = make_divisible(math.ceil(mid * dw_expand_ratio))
            blocks = [InvertedResidual(mid, mid, expanded, kernel_size=5, norm_cfg=norm_cfg,
                                       act_cfg=act_cfg) for _ in range(num_blocks)]
        else:
            blocks = [RepBasicBlock(mid, hidden_ratio, norm_cfg, act_cfg) for _ in range(num_blocks)]
        self.blocks = nn.ModuleList(blocks)
        self.final_conv = ConvModule(short + mid * num_blocks, out_channels, 1, norm_cfg=norm_cfg,
                                     act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        outs = [self.short_conv(x)]
        y = self.main_conv(x)
        for block in self.blocks:
            y = block(y)
            outs.append(y)
        return self.final_conv(torch.cat(outs, 1))
