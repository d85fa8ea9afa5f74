"""TinyNAS backbone, mobile variant (DAMO-YOLO Nano: Ns, Nm, Nl)."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch.nn as nn

from mmdet.models.backbones.csp_darknet import SPPBottleneck
from mmdet.models.layers import InvertedResidual
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from .tinynas_base import TinyNASBase
from .tinynas_structure import StageSpec, make_divisible, parse_structure


@MODELS.register_module()
class TinyNASMob(TinyNASBase):
    """Mobile TinyNAS backbone: MobileNetV3-style inverted residual blocks (no SE).

    Each structure stage is ``L`` inverted residual blocks (1x1 expand, ``dw_kernel_size``
    depthwise with the stride, 1x1 project; residual when stride 1 and widths match). The
    expansion of stage ``i`` is ``expand_ratio + (i - 1) * expand_ratio_step`` (official: 3.5 + 0.5
    per stage), the hidden width ``make_divisible(ceil(out * ratio), 8)``; the structure's ``btn``
    is unused, as in the official code. The stem is a stride-2 conv (the official code ignores the
    structure's stride 1 here) or ``Focus``; an SPP bottleneck follows the first block of the last
    stage.

    Args:
        structure: MAE-NAS structure (``SuperResConvK1KX`` stages), config data.
        out_indices: structure entries returned; (2, 4, 5) gives strides 8/16/32.
        widen_factor: width multiplier for reduced models (1.0 = the structure as written).
        use_focus: stem is ``Focus`` instead of the stride-2 conv (False for every Nano model).
        with_spp: SPP bottleneck in the last stage.
        expand_ratio: expansion of stage 1.
        expand_ratio_step: expansion added per later stage.
        dw_kernel_size: depthwise kernel size (official: 5, whatever the structure's ``k``).
        norm_cfg: normalisation config.
        act_cfg: activation config (SiLU for the Nano models).
        spp_act_cfg: activation inside the SPP bottleneck (official: SiLU).
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, 3, H, W)`` -> tuple of ``(N, C_i, H / s_i, W / s_i)`` for ``i`` in ``out_indices``.
    """

    def __init__(self,
                 structure: Sequence[Mapping],
                 out_indices: Sequence[int] = (2, 4, 5),
                 widen_factor: float = 1.0,
                 use_focus: bool = False,
                 with_spp: bool = True,
                 expand_ratio: float = 3.5,
                 expand_ratio_step: float = 0.5,
                 dw_kernel_size: int = 5,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='SiLU'),
                 spp_act_cfg: ConfigType = dict(type='SiLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        specs = parse_structure(structure, widen_factor)
        if any(s.block_type == 'kxkx' for s in specs):
            raise ValueError('TinyNAS-Mob is defined for SuperResConvK1KX stages only')
        if max(out_indices) >= len(specs):
            raise ValueError(f'out_indices {tuple(out_indices)} out of range for a structure of '
                             f'{len(specs)} entries')
        self.out_indices = tuple(out_indices)
        self.out_channels = [specs[i].out_channels for i in self.out_indices]
        stem = specs[0]
        self.layers = nn.ModuleList([self._make_stem(stem, use_focus, 2, norm_cfg, act_cfg)])
        for idx, spec in enumerate(specs[1:], start=1):
            ratio = expand_ratio + (idx - 1) * expand_ratio_step
            self.layers.append(self._make_stage(
                spec, ratio, dw_kernel_size, with_spp and idx == len(specs) - 1, norm_cfg, act_cfg,
                spp_act_cfg))

    @staticmethod
    def _make_stage(spec: StageSpec, ratio: float, dw_kernel_size: int, with_spp: bool,
                    norm_cfg: ConfigType, act_cfg: ConfigType, spp_act_cfg: ConfigType) -> nn.Sequential:
        mid = make_divisible(math.ceil(spec.out_channels * ratio))
        blocks = []
        for j in range(spec.num_blocks):
            blocks.append(InvertedResidual(
                spec.in_channels if j == 0 else spec.out_channels, spec.out_channels, mid,
                kernel_size=dw_kernel_size, stride=spec.stride if j == 0 else 1,
                norm_cfg=norm_cfg, act_cfg=act_cfg))
            if j == 0 and with_spp:
                blocks.append(SPPBottleneck(spec.out_channels, spec.out_channels,
                                            norm_cfg=norm_cfg, act_cfg=spp_act_cfg))
        return nn.Sequential(*blocks)

    def init_weights(self) -> None:
        """Official initialisation: conv weights ~ N(0, 1 / fan_in_channels), BN weight 1, bias 1e-4."""
        super().init_weights()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 1.0 / m.weight.shape[1])
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0.0001)
                nn.init.constant_(m.running_mean, 0)
