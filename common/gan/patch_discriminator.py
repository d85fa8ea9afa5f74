"""The 70x70 PatchGAN discriminator of pix2pix / CycleGAN, SPGAN's discriminator.

``NLayerDiscriminator`` of junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py`` with
``n_layers=3`` (``netD='basic'``), as in SPGAN's official code (Learning-via-Translation
``models_spgan.discriminator``; OpenUnReID ``patchgan_3layers``): conv 4x4 stride 2 (``ndf``) + LeakyReLU
0.2 without normalisation, then ``num_layers - 1`` more stride-2 convs and one stride-1 conv, each
followed by InstanceNorm and LeakyReLU 0.2 (channels ``ndf * min(2^n, 8)``), then a stride-1 conv 4x4 to
one channel: each output element scores one 70x70 patch of the input (for ``num_layers=3``).
"""
from __future__ import annotations

import torch
from torch import nn


class PatchDiscriminator(nn.Module):
    """PatchGAN: real/fake scores for overlapping patches (no sigmoid: trained with the LSGAN loss).

    Args:
        ndf: channels of the first convolution (64).
        num_layers: stride-2 convolutions (3 gives the 70x70 receptive field).
        in_channels: image channels.

    Input ``(N, in_channels, H, W)``; output ``(N, 1, H', W')`` (30x14 for 256x128 inputs).
    """

    def __init__(self, ndf: int = 64, num_layers: int = 3, in_channels: int = 3) -> None:
        super().__init__()
        if ndf < 1 or num_layers < 1:
            raise ValueError(f"PatchDiscriminator needs ndf >= 1 and num_layers >= 1, got {ndf}, {num_layers}")
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2, inplace=True)]
        mult = 1
        for n in range(1, num_layers + 1):
            prev, mult = mult, min(2 ** n, 8)
            stride = 2 if n < num_layers else 1
            layers += [nn.Conv2d(ndf * prev, ndf * mult, 4, stride=stride, padding=1, bias=False),
                       nn.InstanceNorm2d(ndf * mult), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> patch scores (N, 1, H', W')."""
        return self.model(x)
