"""RepConv: a 3x3 conv-BN and a 1x1 conv-BN in parallel, fused into one 3x3 conv for deployment."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig


class RepConv(BaseModule):
    """Re-parameterisable 3x3 convolution (RepVGG style, as in DAMO-YOLO's ``ops.RepConv``).

    Training: ``act(BN(conv3x3(x)) + BN(conv1x1(x)))``. ``switch_to_deploy`` folds both branches and
    their BatchNorms into a single biased 3x3 convolution ``rbr_reparam`` with identical outputs.
    As in the official code there is no identity branch.

    Args:
        in_channels: input channels C_in.
        out_channels: output channels C_out.
        stride: stride of both branches.
        norm_cfg: normalisation after each branch.
        act_cfg: activation after the sum; ``None`` for none (the TinyNAS blocks use none).
        init_cfg: mmengine initialisation config.

    Shapes:
        input ``(N, C_in, H, W)`` -> output ``(N, C_out, ceil(H / stride), ceil(W / stride))``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 norm_cfg: ConfigType = dict(type='BN', momentum=0.03, eps=0.001),
                 act_cfg: OptConfigType = dict(type='ReLU'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.stride = stride
        self.deploy = False
        self.rbr_dense = ConvModule(in_channels, out_channels, 3, stride, padding=1,
                                    norm_cfg=norm_cfg, act_cfg=None)
        self.rbr_1x1 = ConvModule(in_channels, out_channels, 1, stride, padding=0,
                                  norm_cfg=norm_cfg, act_cfg=None)
        self.act = build_activation_layer(act_cfg) if act_cfg is not None else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        if self.deploy:
            return self.act(self.rbr_reparam(x))
        return self.act(self.rbr_dense(x) + self.rbr_1x1(x))

    @staticmethod
    def _fold_bn(branch: ConvModule) -> tuple[Tensor, Tensor]:
        """Kernel and bias of ``bn(conv(x))`` as one biased convolution."""
        conv, bn = branch.conv, branch.bn
        std = (bn.running_var + bn.eps).sqrt()
        scale = bn.weight / std
        return conv.weight * scale.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * scale

    def equivalent_kernel_bias(self) -> tuple[Tensor, Tensor]:
        """The 3x3 kernel ``(C_out, C_in, 3, 3)`` and bias ``(C_out,)`` equal to both branches."""
        k3, b3 = self._fold_bn(self.rbr_dense)
        k1, b1 = self._fold_bn(self.rbr_1x1)
        return k3 + F.pad(k1, [1, 1, 1, 1]), b3 + b1

    @torch.no_grad()
    def switch_to_deploy(self) -> None:
        """Replace both branches by the fused convolution ``rbr_reparam`` (idempotent)."""
        if self.deploy:
            return
        kernel, bias = self.equivalent_kernel_bias()
        self.rbr_reparam = nn.Conv2d(self.in_channels, self.out_channels, 3, self.stride, padding=1,
                                     bias=True).to(device=kernel.device, dtype=kernel.dtype)
        self.rbr_reparam.weight.copy_(kernel)
        self.rbr_reparam.bias.copy_(bias)
        del self.rbr_dense, self.rbr_1x1
        self.deploy = True
