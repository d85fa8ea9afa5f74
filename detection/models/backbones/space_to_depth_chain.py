"""S2D chain: GiraffeDet's lightweight backbone (official ``Space2DepthChain``)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from ..layers import SpaceToDepthConv


@MODELS.register_module()
class SpaceToDepthChain(BaseModule):
    """Two stride-2 3x3 convolutions, then a chain of space-to-depth + 1x1 conv blocks.

    ``stem``: Conv 3x3 s2 (3 -> ``stem_channels[0]``), Conv 3x3 s2 (-> ``stem_channels[1]``),
    both Conv-Norm-Act without bias. ``blocks[i]`` (:class:`SpaceToDepthConv`) halves the
    resolution again and maps to ``out_channels[i]``; the outputs of all blocks are returned, at
    strides 8, 16, ..., ``2^(3 + len(out_channels) - 1)`` (P3-P7 with the default five blocks).

    Args:
        in_channels: image channels.
        stem_channels: widths of the two stride-2 convs (official: 32, 64).
        out_channels: widths of the S2D blocks (official: 128, 256, 512, 1024, 2048).
        norm_cfg: normalisation config (official: SyncBN, i.e. BN here plus the config's
            ``sync_bn`` in multi-GPU runs).
        act_cfg: activation config (official: SiLU).
        init_cfg: mmengine initialisation config (default: ``ConvModule``'s Kaiming-normal
            fan-out init, as the official ``kaiming_init``).

    Shapes:
        ``(N, 3, H, W)``, ``H`` and ``W`` divisible by ``2^(2 + len(out_channels))`` (128 by
        default; the data preprocessor pads to it) -> tuple of
        ``(N, out_channels[i], H / 2^(3+i), W / 2^(3+i))``.
    """

    def __init__(self,
                 in_channels: int = 3,
                 stem_channels: Sequence[int] = (32, 64),
                 out_channels: Sequence[int] = (128, 256, 512, 1024, 2048),
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if len(stem_channels) != 2:
            raise ValueError(f'stem_channels must name the two stem convs; got {list(stem_channels)}')
        self.out_channels = list(out_channels)
        self.divisor = 2 ** (2 + len(self.out_channels))
        self.stem = nn.Sequential(
            ConvModule(in_channels, stem_channels[0], 3, stride=2, padding=1, bias=False,
                       norm_cfg=norm_cfg, act_cfg=act_cfg),
            ConvModule(stem_channels[0], stem_channels[1], 3, stride=2, padding=1, bias=False,
                       norm_cfg=norm_cfg, act_cfg=act_cfg))
        widths = [stem_channels[1]] + self.out_channels
        self.blocks = nn.ModuleList(
            SpaceToDepthConv(c_in, c_out, norm_cfg=norm_cfg, act_cfg=act_cfg)
            for c_in, c_out in zip(widths[:-1], widths[1:]))

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        height, width = x.shape[-2:]
        if not torch.jit.is_tracing() and (height % self.divisor or width % self.divisor):
            raise ValueError(f'SpaceToDepthChain needs an input whose sides are multiples of '
                             f'{self.divisor}; got {height}x{width}. Pad the images to it '
                             f'(data_preprocessor.pad_size_divisor={self.divisor}).')
        x = self.stem(x)
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        return tuple(outs)
