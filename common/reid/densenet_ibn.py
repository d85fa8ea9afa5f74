"""DenseNet-BC backbones with Instance-Batch Normalisation (DenseNet-IBN-a, IBN-Net), as used by DMT.

DenseNet-BC (Huang et al., CVPR 2017): a 7x7/2 stem and 3x3/2 max pool, then four dense blocks joined by
transitions (BN-ReLU-1x1 conv halving the channels, 2x2/2 average pool), and a final BN. Every dense
layer is BN-ReLU-1x1 conv (``bn_size * growth_rate`` channels)-BN-ReLU-3x3 conv (``growth_rate``
channels) and its output is concatenated to its input.

IBN-a placement, as in IBN-Net's ``densenet_ibn.py`` (the model DMT trains):

* only in dense blocks 1-3 (block 4, the transitions, the stem and the final norm keep BN);
* only in every third dense layer of those blocks (layers 1, 4, 7, ...), and there only the first norm
  (``norm1``, before the 1x1 convolution) becomes ``BatchInstanceNorm``;
* the split differs from the ResNet IBN-a: BN on the *first* ``int(C * 0.6)`` channels, IN (affine) on
  the remaining ``C - int(C * 0.6)`` channels (an IN ratio of 0.4).

Module and parameter names follow torchvision / IBN-Net (``features.conv0``,
``features.denseblock1.denselayer1.norm1.IN.weight``, ``features.transition1.conv.weight``,
``features.norm5.running_var``, ...), so the official ImageNet checkpoints
(``densenet121_ibn_a-e4af5cc1.pth``, ``densenet169_ibn_a-9f32c161.pth``) load without renaming; their
``classifier`` is not part of the backbone.

The module is written here rather than built from torchvision's DenseNet: torchvision hard-codes
``BatchNorm2d`` in its (private) dense layer, so IBN would need module surgery after construction, and
timm's ``norm_layer`` applies to every layer at once, not to every third layer of blocks 1-3.

Output and ``last_stride``: like IBN-Net, the output is ``relu(norm5(features))``; ``out_channels`` is
1024 for DenseNet-121 and 1664 for DenseNet-169 (each transition halves the channels, each dense layer
adds ``growth_rate``). The ReID ``last_stride`` is the stride of the last transition's pooling:
2 is the ImageNet network (output stride 32, what DMT trains: its ``make_model`` builds
``densenet169_ibn_a()`` without its ``LAST_STRIDE``), 1 drops that pooling (output stride 16, the
usual ReID change; no parameter changes, so the same checkpoints load).
"""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .pretrained import load_pretrained

#: IN share of the IBN norms in IBN-Net's DenseNets (BN keeps ``int(C * (1 - ratio))`` channels).
DENSENET_IN_RATIO = 0.4
#: Dense blocks (0-based) with IBN, and the period of IBN layers inside them (layers 0, 3, 6, ...).
IBN_BLOCKS = (0, 1, 2)
IBN_LAYER_PERIOD = 3


class BatchInstanceNorm(nn.Module):
    """IBN as IBN-Net places it in DenseNet: BN on the first channels, affine IN on the rest.

    Args:
        channels: number of input channels C.
        in_ratio: fraction of channels normalised per instance; BN keeps ``int(C * (1 - in_ratio))``
            (the official rounding, which fixes the checkpoint's shapes).

    Shape: ``[B, C, H, W] -> [B, C, H, W]``.
    """

    def __init__(self, channels: int, in_ratio: float = DENSENET_IN_RATIO) -> None:
        super().__init__()
        self.bn_channels = int(channels * (1 - in_ratio))
        if not 0 < self.bn_channels < channels:
            raise ValueError(f"BatchInstanceNorm needs both parts non-empty; got {channels} channels "
                             f"with in_ratio {in_ratio}")
        self.BN = nn.BatchNorm2d(self.bn_channels)
        self.IN = nn.InstanceNorm2d(channels - self.bn_channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, rest = torch.split(x, [self.bn_channels, x.shape[1] - self.bn_channels], dim=1)
        return torch.cat((self.BN(first.contiguous()), self.IN(rest.contiguous())), dim=1)


class DenseLayer(nn.Module):
    """Bottleneck dense layer: ``norm1-relu-conv1x1 -> norm2-relu-conv3x3`` producing ``growth_rate`` maps.

    Args:
        in_channels: C, the channels of everything concatenated so far in the block.
        growth_rate: k, the new channels.
        bn_size: the bottleneck has ``bn_size * k`` channels.
        drop_rate: dropout on the new features during training.
        ibn: ``norm1`` is ``BatchInstanceNorm`` instead of BN.

    Shape: ``[B, C, H, W] -> [B, k, H, W]`` (the block concatenates it to the input).
    """

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int = 4, drop_rate: float = 0.0,
                 ibn: bool = False) -> None:
        super().__init__()
        width = bn_size * growth_rate
        self.norm1 = BatchInstanceNorm(in_channels) if ibn else nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, growth_rate, 3, padding=1, bias=False)
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.relu1(self.norm1(x)))
        out = self.conv2(self.relu2(self.norm2(out)))
        if self.drop_rate > 0:
            out = F.dropout(out, p=self.drop_rate, training=self.training)
        return out


class DenseBlock(nn.Module):
    """``num_layers`` dense layers named ``denselayer1..N``; each sees the concatenation of all before it.

    Shape: ``[B, C, H, W] -> [B, C + num_layers * growth_rate, H, W]``.
    """

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int, drop_rate: float,
                 ibn: bool) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, drop_rate,
                               ibn=ibn and i % IBN_LAYER_PERIOD == 0)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = torch.cat((x, layer(x)), dim=1)
        return x


class Transition(nn.Sequential):
    """``norm-relu-conv1x1`` to ``out_channels``, then 2x2 average pooling of stride ``stride`` (1: none).

    Shape: ``[B, C, H, W] -> [B, out_channels, H / stride, W / stride]``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2) -> None:
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(in_channels)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(in_channels, out_channels, 1, bias=False)),
            ("pool", nn.AvgPool2d(2, stride=2) if stride == 2 else nn.Identity()),
        ]))


class DenseNetIBN(nn.Module):
    """DenseNet-BC feature extractor (no pooling, no classifier) with IBN-a in dense blocks 1-3.

    Args:
        block_config: dense layers per block, e.g. ``(6, 12, 32, 32)`` for DenseNet-169.
        growth_rate: k, channels added by each dense layer (32 in the paper models).
        num_init_features: channels of the stem convolution (64).
        bn_size: bottleneck width factor (4).
        drop_rate: dropout after each dense layer (0 in IBN-Net and DMT).
        ibn: IBN-a placement of the module docstring; ``False`` gives the plain torchvision DenseNet.
        last_stride: stride of the last transition's pooling, 1 or 2 (see the module docstring).

    Shape: ``[B, 3, H, W] -> [B, out_channels, H/s, W/s]`` with ``s = 16 * last_stride``.
    """

    #: ImageNet-classifier keys of the official checkpoints, skipped when loading pretrained weights.
    pretrained_ignore = ("classifier.",)
    #: The output is a spatial feature map (to be pooled by the embedding head).
    global_feature = False

    def __init__(self, block_config: Sequence[int] = (6, 12, 24, 16), growth_rate: int = 32,
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0.0, ibn: bool = True,
                 last_stride: int = 1) -> None:
        super().__init__()
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride}")
        if len(block_config) != 4:
            raise ValueError(f"block_config must give 4 dense-block depths, got {list(block_config)}")
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, 7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(3, stride=2, padding=1)),
        ]))
        channels = num_init_features
        last = len(block_config) - 1
        for i, num_layers in enumerate(block_config):
            block = DenseBlock(num_layers, channels, growth_rate, bn_size, drop_rate,
                               ibn=ibn and i in IBN_BLOCKS)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels += num_layers * growth_rate
            if i != last:
                stride = last_stride if i == last - 1 else 2
                self.features.add_module(f"transition{i + 1}", Transition(channels, channels // 2, stride))
                channels //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.out_channels = channels
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` images -> ``[B, out_channels, h, w]`` ReLU'd block-4 feature map."""
        return F.relu(self.features(x))

    def load_pretrained(self, source: str | Path) -> list[str]:
        """Load IBN-Net ImageNet weights from a file or URL (the ``classifier`` is skipped)."""
        return load_pretrained(self, source, ignore_prefixes=self.pretrained_ignore)


def _densenet(block_config: Sequence[int], **kwargs) -> DenseNetIBN:
    """The paper models use k = 32 and a 64-channel stem; ``kwargs`` may override them."""
    return DenseNetIBN(**{"block_config": block_config, "growth_rate": 32, "num_init_features": 64, **kwargs})


def densenet121_ibn_a(**kwargs) -> DenseNetIBN:
    """DenseNet-121-IBN-a: blocks ``(6, 12, 24, 16)``, k = 32, 1024 output channels."""
    return _densenet((6, 12, 24, 16), **kwargs)


def densenet169_ibn_a(**kwargs) -> DenseNetIBN:
    """DenseNet-169-IBN-a (DMT's backbone): blocks ``(6, 12, 32, 32)``, k = 32, 1664 output channels.

    Keyword arguments override the architecture, e.g. ``growth_rate=8, num_init_features=16`` for a light
    model with the same layout.
    """
    return _densenet((6, 12, 32, 32), **kwargs)
