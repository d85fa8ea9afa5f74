"""TinyNAS backbone, ResNet-like variant (DAMO-YOLO-T and -S)."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch.nn as nn

from mmdet.models.backbones.csp_darknet import SPPBottleneck
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from ..layers import ResConvBlock, check_conv_init
from .tinynas_base import TinyNASBase
from .tinynas_structure import StageSpec, parse_structure


@MODELS.register_module()
class TinyNASRes(TinyNASBase):
    """ResNet-like TinyNAS backbone built from a MAE-NAS structure definition.

    ``layers[0]`` is the stem (``Focus`` space-to-depth + conv, or a plain conv); ``layers[i]``
    runs the ``L`` :class:`ResConvBlock` of structure entry ``i``. An ``SPPBottleneck`` (5/9/13)
    follows the first block of the last stage.

    Args:
        structure: MAE-NAS structure (see :mod:`.tinynas_structure`), config data.
        out_indices: structure entries whose outputs are returned; (2, 4, 5) gives strides 8/16/32
            for the released structures.
        widen_factor: width multiplier for reduced models (1.0 = the structure as written).
        use_focus: stem is ``Focus`` (halves the resolution by space-to-depth).
        with_spp: add the SPP bottleneck to the last stage.
        reparam: use :class:`RepConv` for the second conv of every block.
        norm_cfg: normalisation config (official: BN, eps 1e-3, momentum 0.03).
        act_cfg: activation of the stem and blocks (ReLU for T and S).
        spp_act_cfg: activation inside the SPP bottleneck. The official code builds it with its
            default SiLU whatever ``act_cfg`` is; kept as the default here.
        conv_init: ``'pytorch'`` (official: the layers keep PyTorch's default initialisation,
            its ``init_weights`` is empty) or ``'kaiming'`` (MMCV ``ConvModule``'s Kaiming-normal).
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, 3, H, W)`` -> tuple of ``(N, C_i, H / s_i, W / s_i)`` for ``i`` in ``out_indices``.
    """

    def __init__(self,
                 structure: Sequence[Mapping],
                 out_indices: Sequence[int] = (2, 4, 5),
                 widen_factor: float = 1.0,
                 use_focus: bool = True,
                 with_spp: bool = True,
                 reparam: bool = True,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 spp_act_cfg: ConfigType = dict(type='SiLU'),
                 conv_init: str = 'pytorch',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.conv_init = check_conv_init(conv_init, 'TinyNASRes')
        specs = parse_structure(structure, widen_factor)
        if max(out_indices) >= len(specs):
            raise ValueError(f'out_indices {tuple(out_indices)} out of range for a structure of '
                             f'{len(specs)} entries')
        self.out_indices = tuple(out_indices)
        self.out_channels = [specs[i].out_channels for i in self.out_indices]
        stem = specs[0]
        self.layers = nn.ModuleList([self._make_stem(stem, use_focus, stem.stride, norm_cfg, act_cfg)])
        for idx, spec in enumerate(specs[1:], start=1):
            spp = with_spp and idx == len(specs) - 1
            self.layers.append(self._make_stage(spec, spp, reparam, norm_cfg, act_cfg, spp_act_cfg))
        self.apply_conv_init()

    @staticmethod
    def _make_stage(spec: StageSpec, with_spp: bool, reparam: bool, norm_cfg: ConfigType,
                    act_cfg: ConfigType, spp_act_cfg: ConfigType) -> nn.Sequential:
        blocks = []
        for j in range(spec.num_blocks):
            blocks.append(ResConvBlock(
                spec.in_channels if j == 0 else spec.out_channels, spec.out_channels,
                spec.mid_channels, spec.kernel_size, spec.stride if j == 0 else 1, spec.block_type,
                reparam, norm_cfg, act_cfg))
            if j == 0 and with_spp:
                blocks.append(SPPBottleneck(spec.out_channels, spec.out_channels,
                                            norm_cfg=norm_cfg, act_cfg=spp_act_cfg))
        return nn.Sequential(*blocks)
