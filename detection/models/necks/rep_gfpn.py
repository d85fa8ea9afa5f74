"""Efficient RepGFPN: DAMO-YOLO's neck ("GFPN v2", official ``GiraffeNeckV2``)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptMultiConfig
from ..layers import FusionBlock, check_conv_init, conv_init_applies, reset_to_pytorch_default


@MODELS.register_module()
class RepGFPN(BaseModule):
    """Generalized-FPN with accelerated queen-fusion over P3-P5; every node is a
    :class:`FusionBlock`.

    Graph (``down`` = 3x3 stride-2 conv, ``up`` = nearest x2; official node names in brackets)::

        top-down   p5_td  = fuse(P5, down(P4))                   [x3]
                   p4_td  = fuse(P4, down(P3), up(p5_td))        [x4]
                   p3_out = fuse(P3, up(p4_td))                  [x5]
        bottom-up  p4_out = fuse(p4_td, down(p3_out))            [x7]
                   p5_out = fuse(p5_td, down(p4_td), down(p4_out)) [x6]

    The bottom-up pass has no upsampling links: that is the "accelerated" queen-fusion.

    Args:
        in_channels: channels of (P3, P4, P5) from the backbone.
        out_channels: channels of the outputs (P3, P4, P5).
        depth: depth multiplier; each fusion block has ``round(3 * depth)`` blocks, with Python's
            rounding as in the official code (M: depth 1.5 gives ``round(4.5) = 4``).
        hidden_ratio: middle width ratio of the re-parameterised blocks.
        depthwise: Nano variant: depthwise-separable downsampling convs and inverted-residual
            blocks.
        norm_cfg: normalisation config.
        act_cfg: activation config (ReLU for T/S, SiLU for M/L/Nano).
        conv_init: ``'pytorch'`` (official: the layers keep PyTorch's default initialisation,
            its ``init_weights`` is empty) or ``'kaiming'`` (MMCV ``ConvModule``'s Kaiming-normal).
        init_cfg: mmengine initialisation config.

    Shapes:
        inputs ``(N, in_channels[i], H / 2^(3+i), W / 2^(3+i))`` for i = 0, 1, 2 ->
        outputs ``(N, out_channels[i], H / 2^(3+i), W / 2^(3+i))``.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 out_channels: Sequence[int],
                 depth: float = 1.0,
                 hidden_ratio: float = 1.0,
                 depthwise: bool = False,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 conv_init: str = 'pytorch',
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.conv_init = check_conv_init(conv_init, 'RepGFPN')
        if len(in_channels) != 3 or len(out_channels) != 3:
            raise ValueError('RepGFPN fuses exactly three levels (P3, P4, P5); got '
                             f'in_channels={list(in_channels)}, out_channels={list(out_channels)}')
        self.in_channels = list(in_channels)
        self.out_channels = list(out_channels)
        c3, c4, c5 = in_channels
        o3, o4, o5 = out_channels
        n = round(3 * depth)

        def down(ch_in: int, ch_out: int) -> nn.Module:
            conv = DepthwiseSeparableConvModule if depthwise else ConvModule
            return conv(ch_in, ch_out, 3, 2, padding=1, norm_cfg=norm_cfg, act_cfg=act_cfg)

        def fuse(ch_in: int, ch_out: int) -> FusionBlock:
            return FusionBlock(ch_in, ch_out, n, hidden_ratio, depthwise, norm_cfg=norm_cfg,
                               act_cfg=act_cfg)

        self.upsample = nn.Upsample(scale_factor=2, mode='nearest')
        self.p4_down_to_p5 = down(c4, c4)
        self.p5_td_fuse = fuse(c4 + c5, c5)
        self.p3_down_to_p4 = down(c3, c3)
        self.p4_td_fuse = fuse(c3 + c4 + c5, c4)
        self.p3_out_fuse = fuse(c4 + c3, o3)
        self.p3_out_down = down(o3, o3)
        self.p4_out_fuse = fuse(o3 + c4, o4)
        self.p4_td_down = down(c4, c4)
        self.p4_out_down = down(o4, o4)
        self.p5_out_fuse = fuse(c4 + o4 + c5, o5)
        self.apply_conv_init()

    def apply_conv_init(self) -> None:
        """``conv_init='pytorch'``: PyTorch's default for every conv but the depthwise-separable
        downsamplers, whose official ``DepthwiseConv`` draws Kaiming-normal like ``ConvModule``."""
        if self.conv_init == 'pytorch':
            reset_to_pytorch_default(self, keep=(DepthwiseSeparableConvModule,))

    def init_weights(self) -> None:
        was_initialised = self._is_init
        super().init_weights()
        if conv_init_applies(self, was_initialised):
            self.apply_conv_init()

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        p3, p4, p5 = inputs
        p5_td = self.p5_td_fuse(torch.cat([p5, self.p4_down_to_p5(p4)], 1))
        p4_td = self.p4_td_fuse(torch.cat([p4, self.p3_down_to_p4(p3), self.upsample(p5_td)], 1))
        p3_out = self.p3_out_fuse(torch.cat([p3, self.upsample(p4_td)], 1))
        p4_out = self.p4_out_fuse(torch.cat([p4_td, self.p3_out_down(p3_out)], 1))
        p5_out = self.p5_out_fuse(torch.cat([p5_td, self.p4_td_down(p4_td),
                                             self.p4_out_down(p4_out)], 1))
        return p3_out, p4_out, p5_out
