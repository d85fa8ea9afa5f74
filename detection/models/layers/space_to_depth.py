"""Space-to-depth: the lossless rearrangement at the heart of GiraffeDet's S2D chain."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import ConfigType, OptMultiConfig


def space_to_depth(x: Tensor, block_size: int = 2) -> Tensor:
    """Move each ``block_size x block_size`` patch into the channels.

    Output channel ``c * b^2 + i * b + j`` holds input pixel ``(b * y + i, b * x + j)`` of channel
    ``c``: the order of the official code's ``F.unfold`` (equal to ``pixel_unshuffle``), so
    official 1x1 weights apply unchanged.

    Args:
        x: ``(N, C, H, W)`` with ``H`` and ``W`` divisible by ``block_size``.
        block_size: ``b``.

    Returns:
        ``(N, C * b^2, H / b, W / b)``.
    """
    height, width = x.shape[-2:]
    if not torch.jit.is_tracing() and (height % block_size or width % block_size):
        raise ValueError(f'space_to_depth: {height}x{width} input is not divisible by the block '
                         f'size {block_size}')
    return F.pixel_unshuffle(x, block_size)


def depth_to_space(x: Tensor, block_size: int = 2) -> Tensor:
    """Inverse of :func:`space_to_depth`: ``(N, C * b^2, H, W)`` -> ``(N, C, H * b, W * b)``."""
    return F.pixel_shuffle(x, block_size)


class SpaceToDepthConv(BaseModule):
    """One S2D-chain block: space-to-depth x2, then a 1x1 Conv-Norm-Act (official ``Focus``).

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out (the 1x1 conv maps ``4 * C_in`` to it).
        norm_cfg: normalisation config.
        act_cfg: activation config.
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H / 2, W / 2)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.conv = ConvModule(4 * in_channels, out_channels, 1, bias=False, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(space_to_depth(x, 2))
