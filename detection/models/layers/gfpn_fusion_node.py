"""The GFPN node operation: resample every input to the node's level, concatenate, fuse."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import ConfigType, OptMultiConfig


class GFPNFusionNode(BaseModule):
    """``norm(conv3x3(act(conv1x1(cat(resample(x_i))))))`` (official ``Fnode`` with
    ``weight_method='concat'`` and ``conv_bn_relu_pattern=False``).

    Each input ``i`` is one level finer, equal or one level coarser than the node
    (``level_offsets[i]`` = -1, 0, +1). Finer inputs are max-pooled (3x3, stride 2, padding 1),
    coarser ones upsampled x2; inputs keep their channels (no per-input 1x1 conv: the official
    README's "removed the redundant 1x1 convolutions in Queen-Fusion"). The 1x1 conv (official
    timm ``create_conv2d``, which defaults to no bias) is followed by the activation; the 3x3
    conv has no bias and is followed by the norm and no activation. Convs keep PyTorch's default
    init, as the official neck does (its TF-style ``_init_weight`` tests a different class and
    touches only the norms, which it sets to their defaults).

    Args:
        in_channels: channels of each input, in concatenation order.
        level_offsets: input level minus node level, per input (-1 finer, 0 same, +1 coarser).
        out_channels: node width C_out.
        upsample_mode: interpolation of coarser inputs: ``'nearest'`` follows the official code
            (``upsample_type='nearest'``); ``'bilinear'`` is the paper's description.
        norm_cfg: normalisation after the 3x3 conv.
        act_cfg: activation after the 1x1 conv (official: SiLU).
        init_cfg: mmengine initialisation config.

    Shapes:
        input ``i``: ``(N, in_channels[i], H * 2^level_offsets[i], W * 2^level_offsets[i])`` ->
        ``(N, C_out, H, W)``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 level_offsets: Sequence[int],
                 out_channels: int,
                 upsample_mode: str = 'nearest',
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if len(in_channels) != len(level_offsets) or not in_channels:
            raise ValueError(f'GFPNFusionNode: {len(in_channels)} input widths for '
                             f'{len(level_offsets)} level offsets')
        if any(offset not in (-1, 0, 1) for offset in level_offsets):
            raise ValueError(f'GFPNFusionNode inputs must be within one level of the node; got '
                             f'level offsets {list(level_offsets)}')
        if upsample_mode not in ('nearest', 'bilinear'):
            raise ValueError(f"upsample_mode must be 'nearest' (official code) or 'bilinear' "
                             f"(paper); got {upsample_mode!r}")
        self.level_offsets = tuple(level_offsets)
        self.upsample_mode = upsample_mode
        self.downsample = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv1x1 = nn.Conv2d(sum(in_channels), out_channels, 1, bias=False)
        self.act = build_activation_layer(act_cfg)
        self.conv3x3 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.norm = build_norm_layer(norm_cfg, out_channels)[1]

    def _resample(self, x: Tensor, offset: int) -> Tensor:
        if offset < 0:
            return self.downsample(x)
        if offset > 0:
            kwargs = {} if self.upsample_mode == 'nearest' else dict(align_corners=False)
            return F.interpolate(x, scale_factor=2.0, mode=self.upsample_mode, **kwargs)
        return x

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        x = torch.cat([self._resample(x, o) for x, o in zip(inputs, self.level_offsets)], 1)
        return self.norm(self.conv3x3(self.act(self.conv1x1(x))))
