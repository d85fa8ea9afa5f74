"""The residual block inside Efficient RepGFPN's fusion block (official ``BasicBlock_3x3_Reverse``)."""
from __future__ import annotations

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import ConfigType, OptMultiConfig
from .rep_conv import RepConv


class RepBasicBlock(BaseModule):
    """``x + conv(repconv(x))``: a re-parameterisable 3x3 to ``hidden_ratio * C``, a 3x3 back to C.

    Args:
        channels: input and output channels C.
        hidden_ratio: width of the middle activation relative to C (per model size: 1.0, 0.75).
        norm_cfg: normalisation config.
        act_cfg: activation after each conv.
        init_cfg: mmengine initialisation config.

    Shapes:
        ``(N, C, H, W)`` -> ``(N, C, H, W)``.
    """

    def __init__(self,
                 channels: int,
                 hidden_ratio: float = 1.0,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        hidden = int(channels * hidden_ratio)
        self.conv2 = RepConv(channels, hidden, 1, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(hidden, channels, 3, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv1(self.conv2(x))
