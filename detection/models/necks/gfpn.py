"""GFPN: GiraffeDet's heavy generalized-FPN neck (official ``GiraffeNeck``)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from ..layers import GFPNFusionNode
from .gfpn_graph import gfpn_graph


def _per_level(width: int | Sequence[int], num_levels: int) -> list[int]:
    """One width per level from an int or a sequence."""
    return [width] * num_levels if isinstance(width, int) else list(width)


@MODELS.register_module()
class GFPN(BaseModule):
    """Generalized-FPN: ``2 * depth - 1`` columns of fusion nodes over every pyramid level,
    alternating top-down and bottom-up, linked by queen-fusion and log2(n) skip-layer
    connections (:func:`.gfpn_graph.gfpn_graph`); every node is a :class:`GFPNFusionNode`.

    Args:
        in_channels: backbone channels per level, fine to coarse (official: 128 ... 2048).
        inner_channels: width of the fusion nodes, one int or one per level (official:
            ``int(256 * width_multiplier)`` = 179 with ``width_multiplier=0.7``).
        out_channels: width of the output nodes, one int or one per level (official: 256).
        depth: the depth multiplier of GiraffeDet-D{depth}; the graph has ``2 * depth - 1``
            columns (official ``neck_depth = 2 * depth_multiplier - 1``).
        upsample_mode: ``'nearest'`` (official code) or ``'bilinear'`` (the paper).
        norm_cfg: norm of every node (official: SyncBN with default eps/momentum, i.e. BN here
            plus the config's ``sync_bn`` in multi-GPU runs).
        act_cfg: activation of every node (official: SiLU).
        init_cfg: mmengine initialisation config.

    Shapes:
        input level ``l``: ``(N, in_channels[l], H_l, W_l)`` with ``H_l = 2 H_{l+1}`` and
        ``W_l = 2 W_{l+1}`` -> output level ``l``: ``(N, out_channels[l], H_l, W_l)``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 inner_channels: int | Sequence[int] = 179,
                 out_channels: int | Sequence[int] = 256,
                 depth: int = 7,
                 upsample_mode: str = 'nearest',
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        num_levels = len(in_channels)
        self.in_channels = list(in_channels)
        self.inner_channels = _per_level(inner_channels, num_levels)
        self.out_channels = _per_level(out_channels, num_levels)
        if not len(self.inner_channels) == len(self.out_channels) == num_levels:
            raise ValueError(f'GFPN: {num_levels} input levels but inner_channels='
                             f'{self.inner_channels}, out_channels={self.out_channels}')
        if depth < 1:
            raise ValueError(f'GFPN depth must be >= 1; got {depth}')
        self.depth = depth
        self.num_levels = num_levels
        self.graph = gfpn_graph(2 * depth - 1, num_levels)
        widths = []
        nodes = []
        for node in self.graph:
            width = {'input': self.in_channels, 'fusion': self.inner_channels,
                     'output': self.out_channels}[node.kind][node.level]
            widths.append(width)
            if node.kind == 'input':
                continue
            nodes.append(GFPNFusionNode(
                [widths[i] for i in node.inputs],
                [self.graph[i].level - node.level for i in node.inputs],
                width, upsample_mode, norm_cfg=norm_cfg, act_cfg=act_cfg))
        self.nodes = nn.ModuleList(nodes)

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        """Evaluate the nodes in index order; return the output nodes, fine to coarse."""
        if len(inputs) != self.num_levels:
            raise ValueError(f'GFPN expects {self.num_levels} levels; got {len(inputs)}')
        if not torch.jit.is_tracing():
            for level, (fine, coarse) in enumerate(zip(inputs[:-1], inputs[1:])):
                if fine.shape[-2] != 2 * coarse.shape[-2] or fine.shape[-1] != 2 * coarse.shape[-1]:
                    raise ValueError(
                        f'GFPN levels must halve exactly; level {level} is '
                        f'{tuple(fine.shape[-2:])}, level {level + 1} {tuple(coarse.shape[-2:])}. '
                        'Pad the images to a multiple of the coarsest stride.')
        feats = list(inputs)
        for spec, node in zip(self.graph[self.num_levels:], self.nodes):
            feats.append(node([feats[i] for i in spec.inputs]))
        return tuple(feats[-self.num_levels:])
