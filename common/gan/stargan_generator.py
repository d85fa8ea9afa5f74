"""StarGAN's conditional generator (Choi et al., CVPR 2018; yunjey/stargan ``model.py`` ``Generator``).

One network translates an image to any of ``num_domains`` domains (here: cameras): the one-hot target
code is tiled to the image size and concatenated to it as extra input channels. Layers (official code):
conv 7x7 (``ngf``) -> 2 x [conv 4x4 stride 2] -> ``num_blocks`` residual blocks -> 2 x [transposed conv
4x4 stride 2] -> conv 7x7 -> tanh; InstanceNorm (affine) + ReLU after every conv but the last; zero
padding and bias-free convolutions.

Zero padding is deliberate: the official code notes that this label conditioning "does not work at all"
with reflection padding, because InstanceNorm cancels the constant code channels; only the borders of
zero padding let the code through the first layer.

The official ``InstanceNorm2d(track_running_stats=True)`` is never switched to evaluation mode, in
training or in its ``test()``: it always normalises with the statistics of the current image. Here the
norm layers keep no running statistics, which is the same computation in both modes.
"""
from __future__ import annotations

import torch
from torch import nn


def _conv_in_relu(conv: nn.Module, channels: int) -> list[nn.Module]:
    return [conv, nn.InstanceNorm2d(channels, affine=True), nn.ReLU(inplace=True)]


class StarGANResidualBlock(nn.Module):
    """``x + IN(conv3x3(ReLU(IN(conv3x3(x)))))`` with zero padding (yunjey/stargan ``ResidualBlock``).

    Args:
        channels: input = output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            *_conv_in_relu(nn.Conv2d(channels, channels, 3, padding=1, bias=False), channels),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C, H, W)."""
        return x + self.block(x)


class StarGANGenerator(nn.Module):
    """Image + target-domain code -> translated image.

    Args:
        num_domains: size of the one-hot domain code (number of cameras).
        ngf: channels of the first convolution (official ``g_conv_dim`` 64).
        num_blocks: residual blocks (official ``g_repeat_num`` 6).
        in_channels: image channels.
    """

    def __init__(self, num_domains: int, ngf: int = 64, num_blocks: int = 6, in_channels: int = 3) -> None:
        super().__init__()
        if num_domains < 1 or ngf < 1 or num_blocks < 0:
            raise ValueError(f"StarGANGenerator needs num_domains >= 1, ngf >= 1, num_blocks >= 0; "
                             f"got {num_domains}, {ngf}, {num_blocks}")
        self.num_domains = num_domains
        layers = _conv_in_relu(nn.Conv2d(in_channels + num_domains, ngf, 7, padding=3, bias=False), ngf)
        c = ngf
        for _ in range(2):
            layers += _conv_in_relu(nn.Conv2d(c, 2 * c, 4, stride=2, padding=1, bias=False), 2 * c)
            c *= 2
        layers += [StarGANResidualBlock(c) for _ in range(num_blocks)]
        for _ in range(2):
            layers += _conv_in_relu(nn.ConvTranspose2d(c, c // 2, 4, stride=2, padding=1, bias=False), c // 2)
            c //= 2
        layers += [nn.Conv2d(c, in_channels, 7, padding=3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Translate ``x`` (N, C, H, W) in [-1, 1] to the domains of ``code`` (N, num_domains), usually
        one-hot; H and W must be multiples of 4. Returns (N, C, H, W)."""
        if code.shape != (x.shape[0], self.num_domains):
            raise ValueError(f"StarGANGenerator: code must be (N, {self.num_domains}) for N={x.shape[0]} images, "
                             f"got {tuple(code.shape)}")
        if x.shape[-2] % 4 or x.shape[-1] % 4:
            raise ValueError(f"StarGANGenerator expects H, W divisible by 4, got {tuple(x.shape)}")
        tiled = code.to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return self.main(torch.cat([x, tiled], dim=1))
