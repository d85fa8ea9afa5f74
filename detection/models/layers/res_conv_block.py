"""The residual block that TinyNAS (MAE-NAS) searches over: ``ResConvK1KX`` and ``ResConvKXKX``."""
from __future__ import annotations

from mmcv.cnn import ConvModule, build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import ConfigType, OptMultiConfig
from .rep_conv import RepConv


class ResConvBlock(BaseModule):
    """``act(conv2(act(conv1(x))) + shortcut(x))``, with the shortcut dropped for stride-2 blocks.

    ``conv1`` is a 1x1 (``block_type='k1kx'``) or kxk (``'kxkx'``) conv-BN to the bottleneck width;
    ``conv2`` is a kxk conv-BN with the block's stride, a :class:`RepConv` when ``reparam``. When a
    stride-1 block changes the width, the shortcut is a 1x1 conv-BN projection.

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out.
        mid_channels: bottleneck channels (``btn`` in the structure definitions).
        kernel_size: k of the kxk convolutions (3 in every released structure).
        stride: 1 or 2.
        block_type: ``'k1kx'`` or ``'kxkx'``.
        reparam: use a re-parameterisable :class:`RepConv` as ``conv2`` (needs ``kernel_size=3``).
        norm_cfg: normalisation config.
        act_cfg: activation config.
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, C_in, H, W)`` -> ``(N, C_out, H / stride, W / stride)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: int,
                 kernel_size: int = 3,
                 stride: int = 1,
                 block_type: str = 'k1kx',
                 reparam: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        if block_type not in ('k1kx', 'kxkx'):
            raise ValueError(f"block_type must be 'k1kx' or 'kxkx', got '{block_type}'")
        if stride not in (1, 2):
            raise ValueError(f'stride must be 1 or 2, got {stride}')
        k1 = 1 if block_type == 'k1kx' else kernel_size
        self.use_shortcut = stride != 2
        self.conv1 = ConvModule(in_channels, mid_channels, k1, 1, padding=(k1 - 1) // 2,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        if reparam:
            if kernel_size != 3:
                raise ValueError(f'RepConv needs kernel_size=3, got {kernel_size}')
            self.conv2 = RepConv(mid_channels, out_channels, stride, norm_cfg=norm_cfg, act_cfg=None)
        else:
            self.conv2 = ConvModule(mid_channels, out_channels, kernel_size, stride,
                                    padding=(kernel_size - 1) // 2, norm_cfg=norm_cfg, act_cfg=None)
        self.residual_proj = (ConvModule(in_channels, out_channels, 1, norm_cfg=norm_cfg, act_cfg=None)
                              if self.use_shortcut and in_channels != out_channels else None)
        self.act = build_activation_layer(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        if self.use_shortcut:
            out = out + (x if self.residual_proj is None else self.residual_proj(x))
        return self.act(out)
