"""TinyNAS backbone, CSP variant (DAMO-YOLO-M and -L)."""
from __future__ import annotations

from typing import Mapping, Sequence

import torch.nn as nn

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from ..layers import CSPResStage, ResConvBlock, check_conv_init
from .tinynas_base import TinyNASBase
from .tinynas_structure import StageSpec, parse_structure


@MODELS.register_module()
class TinyNASCSP(TinyNASBase):
    """CSP-like TinyNAS backbone built from a MAE-NAS structure definition.

    Every stride-2 structure entry starts a :class:`CSPResStage`; a stride-1 entry joins the stage
    before it (official: entries 3 and 4 share one stage). Inside a stage every block has stride 1
    and half the entry's width; the downsampling is the stage's 3x3 stride-2 conv, so an entry of
    ``L`` blocks with stride 2 contributes ``L - 1`` blocks. ``layers[0]`` is the stem.

    Args:
        structure: MAE-NAS structure (see :mod:`.tinynas_structure`), config data.
        out_indices: stages (``layers`` indices, stem = 0) returned; (2, 3, 4) gives strides 8/16/32.
        widen_factor: width multiplier for reduced models (1.0 = the structure as written).
        use_focus: stem is ``Focus``.
        with_spp: SPP bottleneck in the last stage.
        reparam: use :class:`RepConv` in the blocks.
        norm_cfg: normalisation config.
        act_cfg: activation of the stem and blocks (SiLU for M and L).
        csp_act_cfg: activation of the CSP wrapper convs (official: ReLU, its hard-wired default).
        spp_act_cfg: activation inside the SPP bottleneck (official: SiLU).
        conv_init: ``'pytorch'`` (official: the layers keep PyTorch's default initialisation,
            its ``init_weights`` is empty) or ``'kaiming'`` (MMCV ``ConvModule``'s Kaiming-normal).
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, 3, H, W)`` -> tuple of ``(N, C_i, H / s_i, W / s_i)`` for ``i`` in ``out_indices``.
    """

    def __init__(self,
                 structure: Sequence[Mapping],
                 out_indices: Sequence[int] = (2, 3, 4),
                 widen_factor: float = 1.0,
                 use_focus: bool = True,
                 with_spp: bool = True,
                 reparam: bool = True,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 csp_act_cfg: ConfigType = dict(type='ReLU'),
                 spp_act_cfg: ConfigType = dict(type='SiLU'),
                 conv_init: str = 'pytorch',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.conv_init = check_conv_init(conv_init, 'TinyNASCSP')
        specs = parse_structure(structure, widen_factor)
        groups: list[list[StageSpec]] = []
        for idx, spec in enumerate(specs[1:], start=1):
            if spec.stride == 2:
                groups.append([spec])
            elif groups:
                groups[-1].append(spec)
            else:
                raise ValueError(f'TinyNAS-CSP structure entry {idx}: the first stage must have '
                                 'stride 2 (stride-1 entries join the stage before them)')
        if max(out_indices) > len(groups):
            raise ValueError(f'out_indices {tuple(out_indices)} out of range for {len(groups) + 1} '
                             'stages (stem included)')
        self.out_indices = tuple(out_indices)
        stem = specs[0]
        self.layers = nn.ModuleList([self._make_stem(stem, use_focus, stem.stride, norm_cfg, act_cfg)])
        stage_out = [stem.out_channels]
        for g, group in enumerate(groups):
            blocks = []
            for spec in group:
                width = spec.out_channels // 2
                n_blocks = spec.num_blocks - 1 if spec.stride == 2 else spec.num_blocks
                for j in range(n_blocks):
                    in_ch = spec.in_channels // 2 if spec.stride == 1 and j == 0 else width
                    blocks.append(ResConvBlock(in_ch, width, spec.mid_channels, spec.kernel_size, 1,
                                               spec.block_type, reparam, norm_cfg, act_cfg))
            out_channels = group[-1].out_channels if blocks else group[0].out_channels
            self.layers.append(CSPResStage(
                group[0].in_channels, out_channels, group[0].out_channels // 2, blocks,
                with_spp=with_spp and g == len(groups) - 1, norm_cfg=norm_cfg,
                act_cfg=csp_act_cfg, spp_act_cfg=spp_act_cfg))
            stage_out.append(out_channels)
        self.out_channels = [stage_out[i] for i in self.out_indices]
        self.apply_conv_init()
