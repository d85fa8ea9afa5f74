"""ResNet, ResNeXt and SE-ResNet backbones with Instance-Batch Normalisation (IBN-Net).

IBN-Net (Pan et al., ECCV 2018) mixes instance normalisation (IN), which removes appearance such as
colour and style, with batch normalisation (BN), which keeps content, inside a ResNet:

* **IBN-a**: in the bottleneck of every block of stages 1-3 (not stage 4), the BN after the first
  convolution becomes ``IBN``: IN on the first half of the channels, BN on the rest. The stem keeps BN.
* **IBN-b**: IN on all channels after the stem convolution, and after the residual addition (before
  the ReLU) in the *last* block of stages 1 and 2.

Module and parameter names follow ``XingangPan/IBN-Net`` (``conv1``, ``bn1.IN``, ``bn1.BN``,
``layer3.5.IN``, ``se.fc.0``, ``downsample.0``, ...), so the official ImageNet checkpoints
(``resnet50_ibn_a-d9d0bb7b.pth``, ``resnext101_ibn_a-6ace051d.pth``, ``se_resnet101_ibn_a-fabed4e2.pth``,
...) and torchvision's plain ResNet checkpoints load without renaming. The ImageNet ``fc`` layer is
not part of the backbone.

The ReID change to the architecture is ``last_stride``: stage 4 downsamples by ``last_stride``
(1 in the ReID baselines, which doubles the final feature map's height and width).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from .pretrained import load_pretrained

#: Per-stage IBN setting of the IBN-Net variants (``None``: plain BN).
IBN_STAGES = {"a": ("a", "a", "a", None), "b": ("b", "b", None, None), None: (None, None, None, None)}


class IBN(nn.Module):
    """Instance-Batch Normalisation: IN on the first ``int(channels * ratio)`` channels, BN on the rest.

    Args:
        channels: number of input channels C.
        ratio: fraction of channels normalised per instance (0.5 in IBN-Net).

    Shape: ``[B, C, H, W] -> [B, C, H, W]``.
    """

    def __init__(self, channels: int, ratio: float = 0.5) -> None:
        super().__init__()
        self.half = int(channels * ratio)
        self.IN = nn.InstanceNorm2d(self.half, affine=True)
        self.BN = nn.BatchNorm2d(channels - self.half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, rest = torch.split(x, [self.half, x.shape[1] - self.half], dim=1)
        return torch.cat((self.IN(first.contiguous()), self.BN(rest.contiguous())), dim=1)


class SELayer(nn.Module):
    """Squeeze-and-excitation channel gate (Hu et al., CVPR 2018): ``x * sigmoid(W2 relu(W1 gap(x)))``.

    Shape: ``[B, C, H, W] -> [B, C, H, W]``.
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = int(channels / reduction)
        self.fc = nn.Sequential(nn.Linear(channels, hidden, bias=False), nn.ReLU(inplace=True),
                                nn.Linear(hidden, channels, bias=False), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.fc(x.mean(dim=(2, 3)))
        return x * gate[:, :, None, None]


class BasicBlockIBN(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34), optionally IBN-a or IBN-b."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 ibn: str | None = None, groups: int = 1, base_width: int = 64,
                 se_reduction: int | None = None) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlockIBN supports only groups=1 and base_width=64 (use a bottleneck "
                             "block for ResNeXt)")
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = IBN(planes) if ibn == "a" else nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.se = SELayer(planes, se_reduction) if se_reduction else None
        self.IN = nn.InstanceNorm2d(planes, affine=True) if ibn == "b" else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.se is not None:
            out = self.se(out)
        out = out + (x if self.downsample is None else self.downsample(x))
        if self.IN is not None:
            out = self.IN(out)
        return self.relu(out)


class BottleneckIBN(nn.Module):
    """1x1 -> 3x3 (grouped for ResNeXt) -> 1x1 bottleneck, optionally IBN-a/IBN-b and squeeze-excitation.

    The inner width is ``floor(planes * base_width / 64) * groups`` (ResNet: 64/1 gives ``planes``;
    ResNeXt-101 32x4d: ``groups=32, base_width=4``). Output channels: ``4 * planes``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 ibn: str | None = None, groups: int = 1, base_width: int = 64,
                 se_reduction: int | None = None) -> None:
        super().__init__()
        width = int(math.floor(planes * (base_width / 64))) * groups
        out_planes = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = IBN(width) if ibn == "a" else nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_planes, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_planes)
        self.se = SELayer(out_planes, se_reduction) if se_reduction else None
        self.IN = nn.InstanceNorm2d(out_planes, affine=True) if ibn == "b" else None
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        out = out + (x if self.downsample is None else self.downsample(x))
        if self.IN is not None:
            out = self.IN(out)
        return self.relu(out)


class ResNetIBN(nn.Module):
    """ResNet-family feature extractor (no pooling, no classifier) with IBN-a/IBN-b stages.

    Args:
        block: ``BasicBlockIBN`` or ``BottleneckIBN``.
        layers: number of blocks per stage, e.g. ``(3, 4, 23, 3)`` for 101 layers.
        ibn: ``"a"``, ``"b"`` or ``None`` (plain ResNet); see the module docstring for the placement.
        last_stride: stride of stage 4 (1 or 2).
        groups, base_width: ResNeXt cardinality and width per group (1 and 64 for ResNet).
        se_reduction: squeeze-excitation reduction in every block (16 for SE-ResNet), or ``None``.
        base_channels: channels of the stem and stage 1 (64 in every paper model; smaller values give
            light models for tests and synthetic demos). Stage i has ``base_channels * 2**i`` planes.

    Shape: ``[B, 3, H, W] -> [B, out_channels, H/s, W/s]`` with ``s = 16 * last_stride``.
    """

    #: ImageNet-classifier keys of the official checkpoints, skipped when loading pretrained weights.
    pretrained_ignore = ("fc.",)
    #: The output is a spatial feature map (to be pooled by the embedding head).
    global_feature = False

    def __init__(self, block: type[BasicBlockIBN] | type[BottleneckIBN], layers: Sequence[int],
                 ibn: str | None = "a", last_stride: int = 1, groups: int = 1, base_width: int = 64,
                 se_reduction: int | None = None, base_channels: int = 64) -> None:
        super().__init__()
        if ibn not in IBN_STAGES:
            raise ValueError(f"ibn must be 'a', 'b' or None, got {ibn!r}")
        if last_stride not in (1, 2):
            raise ValueError(f"last_stride must be 1 or 2, got {last_stride}")
        if len(layers) != 4:
            raise ValueError(f"layers must give 4 stage depths, got {list(layers)}")
        stage_ibn = IBN_STAGES[ibn]
        self._block_kwargs = dict(groups=groups, base_width=base_width, se_reduction=se_reduction)
        self.inplanes = base_channels
        self.conv1 = nn.Conv2d(3, base_channels, 7, stride=2, padding=3, bias=False)
        self.bn1 = (nn.InstanceNorm2d(base_channels, affine=True) if stage_ibn[0] == "b"
                    else nn.BatchNorm2d(base_channels))
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        strides = (1, 2, 2, last_stride)
        for i, (depth, stride, stage) in enumerate(zip(layers, strides, stage_ibn)):
            planes = base_channels * 2 ** i
            setattr(self, f"layer{i + 1}", self._make_stage(block, planes, depth, stride, stage))
        self.out_channels = base_channels * 8 * block.expansion
        self._init_weights()

    def _make_stage(self, block, planes: int, depth: int, stride: int, ibn: str | None) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * block.expansion))
        blocks = []
        for i in range(depth):
            # IBN-b puts IN after the addition of the stage's last block only.
            block_ibn = ibn if ibn == "a" or (ibn == "b" and i == depth - 1) else None
            blocks.append(block(self.inplanes, planes, stride if i == 0 else 1,
                                downsample if i == 0 else None, ibn=block_ibn, **self._block_kwargs))
            self.inplanes = planes * block.expansion
        return nn.Sequential(*blocks)

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.affine:
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 3, H, W]`` images -> ``[B, out_channels, h, w]`` stage-4 feature map."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def load_pretrained(self, source: str | Path) -> list[str]:
        """Load IBN-Net / torchvision ImageNet weights from a file or URL (the ``fc`` head is skipped)."""
        return load_pretrained(self, source, ignore_prefixes=self.pretrained_ignore)


def _resnet(block, layers, ibn, **kwargs) -> ResNetIBN:
    return ResNetIBN(block, layers, ibn=ibn, **kwargs)


def resnet18_ibn_a(**kwargs) -> ResNetIBN:
    """ResNet-18-IBN-a (the light model for tests and synthetic demos)."""
    return _resnet(BasicBlockIBN, (2, 2, 2, 2), "a", **kwargs)


def resnet34_ibn_a(**kwargs) -> ResNetIBN:
    return _resnet(BasicBlockIBN, (3, 4, 6, 3), "a", **kwargs)


def resnet50_ibn_a(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 6, 3), "a", **kwargs)


def resnet101_ibn_a(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 23, 3), "a", **kwargs)


def resnet152_ibn_a(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 8, 36, 3), "a", **kwargs)


def resnet18_ibn_b(**kwargs) -> ResNetIBN:
    return _resnet(BasicBlockIBN, (2, 2, 2, 2), "b", **kwargs)


def resnet50_ibn_b(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 6, 3), "b", **kwargs)


def resnet101_ibn_b(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 23, 3), "b", **kwargs)


def resnext50_ibn_a(**kwargs) -> ResNetIBN:
    """ResNeXt-50 (32x4d) IBN-a."""
    return _resnet(BottleneckIBN, (3, 4, 6, 3), "a", groups=32, base_width=4, **kwargs)


def resnext101_ibn_a(**kwargs) -> ResNetIBN:
    """ResNeXt-101 (32x4d) IBN-a, as in IBN-Net's ``resnext101_ibn_a``."""
    return _resnet(BottleneckIBN, (3, 4, 23, 3), "a", groups=32, base_width=4, **kwargs)


def se_resnet50_ibn_a(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 6, 3), "a", se_reduction=16, **kwargs)


def se_resnet101_ibn_a(**kwargs) -> ResNetIBN:
    """SE-ResNet-101-IBN-a: squeeze-excitation (reduction 16) after ``bn3`` of every bottleneck."""
    return _resnet(BottleneckIBN, (3, 4, 23, 3), "a", se_reduction=16, **kwargs)


def resnet18(**kwargs) -> ResNetIBN:
    """Plain ResNet-18 (torchvision parameter names)."""
    return _resnet(BasicBlockIBN, (2, 2, 2, 2), None, **kwargs)


def resnet50(**kwargs) -> ResNetIBN:
    """Plain ResNet-50 (torchvision parameter names)."""
    return _resnet(BottleneckIBN, (3, 4, 6, 3), None, **kwargs)


def resnet101(**kwargs) -> ResNetIBN:
    return _resnet(BottleneckIBN, (3, 4, 23, 3), None, **kwargs)


def resnet152(**kwargs) -> ResNetIBN:
    """Plain ResNet-152 (one of the VisDA-2020 winner's camera models)."""
    return _resnet(BottleneckIBN, (3, 8, 36, 3), None, **kwargs)
