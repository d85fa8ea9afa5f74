"""The CSP wrapper of TinyNAS-CSP stages (official ``CSPWrapper``)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.models.backbones.csp_darknet import SPPBottleneck
from mmdet.utils import ConfigType, OptMultiConfig
from .res_conv_block import ResConvBlock


class CSPResStage(BaseModule):
    """Downsample, then split into a 1x1 shortcut and a 1x1 + residual-block branch, concat, fuse.

    ``x = downsample(x)`` (3x3, stride 2) [``-> spp(x)``]; if there are blocks:
    ``fuse(cat(blocks(conv_start(x)), conv_shortcut(x)))``.

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out (the width of the last block times 2).
        hidden_channels: width after ``downsample`` is ``2 * hidden_channels``; the block branch
            starts at ``hidden_channels``.
        blocks: the residual blocks of the branch (already built, stride 1).
        with_spp: SPP bottleneck right after the downsampling conv (last stage).
        norm_cfg: normalisation config.
        act_cfg: activation of the wrapper's own convs. The official code builds them with its
            ``CSPWrapper`` default, ReLU, whatever the blocks use.
        spp_act_cfg: activation inside the SPP bottleneck (official: SiLU).
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H / 2, W / 2)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 hidden_channels: int,
                 blocks: Sequence[ResConvBlock],
                 with_spp: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 spp_act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        width = 2 * hidden_channels
        self.downsample = ConvModule(in_channels, width, 3, 2, padding=1, norm_cfg=norm_cfg,
                                     act_cfg=act_cfg)
        self.spp = SPPBottleneck(width, width, norm_cfg=norm_cfg, act_cfg=spp_act_cfg) if with_spp else None
        self.blocks = nn.Sequential(*blocks)
        if len(blocks) > 0:
            self.conv_start = ConvModule(width, hidden_channels, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
            self.conv_shortcut = ConvModule(width, out_channels // 2, 1, norm_cfg=norm_cfg,
                                            act_cfg=act_cfg)
            self.conv_fuse = ConvModule(out_channels, out_channels, 1, norm_cfg=norm_cfg,
                                        act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        x = self.downsample(x)
        if self.spp is not None:
            x = self.spp(x)
        if len(self.blocks) == 0:
            return x
        return self.conv_fuse(torch.cat((self.blocks(self.conv_start(x)), self.conv_shortcut(x)), 1))
