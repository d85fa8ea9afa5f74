"""StarGAN's discriminator: a PatchGAN source head and a domain-classification head
(Choi et al., CVPR 2018; yunjey/stargan ``model.py`` ``Discriminator``).

``num_layers`` (official ``d_repeat_num`` 6) convolutions 4x4 stride 2 with LeakyReLU 0.01 and no
normalisation (channels ``ndf``, ``2 ndf``, ...), then two heads on the shared features:

* source (real/fake, WGAN critic): conv 3x3 -> one channel per patch, ``(N, 1, H/2^n, W/2^n)``;
* domain: a conv whose kernel covers the whole feature map -> ``(N, num_domains)`` logits. The official
  code assumes square images (``kernel = image_size / 2^n``); here the kernel is
  ``(H / 2^n, W / 2^n)``, so 256x128 person images work with 6 layers (a 4x2 kernel).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class StarGANDiscriminator(nn.Module):
    """Shared conv trunk + source head + domain-classification head.

    Args:
        image_size: (H, W) of the inputs; both must be divisible by ``2 ** num_layers``.
        num_domains: number of domain logits (cameras).
        ndf: channels of the first convolution (official ``d_conv_dim`` 64).
        num_layers: stride-2 convolutions (official ``d_repeat_num`` 6).
        in_channels: image channels.
    """

    def __init__(self, image_size: Sequence[int], num_domains: int, ndf: int = 64, num_layers: int = 6,
                 in_channels: int = 3) -> None:
        super().__init__()
        h, w = (int(s) for s in image_size)
        scale = 2 ** num_layers
        if num_layers < 1 or h % scale or w % scale:
            raise ValueError(f"StarGANDiscriminator: image size {h}x{w} must be divisible by 2^num_layers = "
                             f"{scale} (stargan.discriminator.num_layers={num_layers}); change data.size or "
                             "the number of layers")
        layers: list[nn.Module] = []
        c_in, c = in_channels, ndf
        for _ in range(num_layers):
            layers += [nn.Conv2d(c_in, c, 4, stride=2, padding=1), nn.LeakyReLU(0.01, inplace=True)]
            c_in, c = c, 2 * c
        self.main = nn.Sequential(*layers)
        self.src_head = nn.Conv2d(c_in, 1, 3, padding=1, bias=False)
        self.cls_head = nn.Conv2d(c_in, num_domains, (h // scale, w // scale), bias=False)
        self.image_size = (h, w)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, C, H, W) -> (patch critic scores (N, 1, H/2^n, W/2^n), domain logits (N, num_domains))."""
        if tuple(x.shape[-2:]) != self.image_size:
            raise ValueError(f"StarGANDiscriminator was built for {self.image_size} images, got {tuple(x.shape)}")
        h = self.main(x)
        return self.src_head(h), self.cls_head(h).flatten(1)
