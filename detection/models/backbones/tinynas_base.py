"""What the three TinyNAS variants (res, CSP, mobile) share: the stem and the forward pass."""
from __future__ import annotations

import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.models.backbones.csp_darknet import Focus
from mmdet.utils import ConfigType
from ..layers import conv_init_applies, reset_to_pytorch_default
from .tinynas_structure import StageSpec


class TinyNASBase(BaseModule):
    """Base of the TinyNAS backbones: ``layers[0]`` is the stem, ``layers[i]`` stage ``i``, and the
    outputs of the ``out_indices`` layers are returned.

    Shapes:
        ``(N, 3, H, W)`` -> tuple of ``(N, C_i, H / s_i, W / s_i)`` for ``i`` in ``out_indices``.
    """

    layers: nn.ModuleList
    out_indices: tuple[int, ...]
    conv_init: str = 'kaiming'  # MMCV ConvModule's; TinyNASMob draws its own in init_weights

    def apply_conv_init(self) -> None:
        """Give the convs the ``conv_init`` initialisation (at construction and after
        ``init_weights``, which re-runs ``ConvModule``'s Kaiming init)."""
        if self.conv_init == 'pytorch':
            reset_to_pytorch_default(self)

    def init_weights(self) -> None:
        was_initialised = self._is_init
        super().init_weights()
        if conv_init_applies(self, was_initialised):
            self.apply_conv_init()

    @staticmethod
    def _make_stem(stem: StageSpec, use_focus: bool, stride: int, norm_cfg: ConfigType,
                   act_cfg: ConfigType) -> nn.Module:
        """Structure entry 0 as ``Focus`` (space-to-depth + conv) or a plain conv of ``stride``."""
        if use_focus:
            return Focus(stem.in_channels, stem.out_channels, stem.kernel_size,
                         norm_cfg=norm_cfg, act_cfg=act_cfg)
        return ConvModule(stem.in_channels, stem.out_channels, stem.kernel_size, stride,
                          padding=(stem.kernel_size - 1) // 2, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        outs = []
        for idx, layer in enumerate(self.layers):
            x = layer(x)
            if idx in self.out_indices:
                outs.append(x)
        return tuple(outs)
