"""CycleGAN's ResNet generator (Zhu et al., ICCV 2017), the generator of SPGAN.

Architecture (Johnson et al.'s "c7s1-ngf, d2ngf, d4ngf, R x n, u2ngf, ungf, c7s1-3" notation, as in
``ResnetGenerator`` of junyanz/pytorch-CycleGAN-and-pix2pix ``models/networks.py``, which SPGAN's official
code reuses: Simon4Yan/Learning-via-Translation ``SPGAN/models/models_spgan.py`` (TensorFlow) and its
PyTorch port Simon4Yan/eSPGAN ``py-spgan/models/models_spgan.py`` = open-mmlab/OpenUnReID
``openunreid/models/backbones/generator.py``):

* reflection pad 3, conv 7x7 -> ``ngf`` channels, InstanceNorm, ReLU;
* two stride-2 conv 3x3 downsamplings (``2 ngf``, ``4 ngf``), InstanceNorm, ReLU;
* ``num_blocks`` residual blocks (reflection pad 1, conv 3x3, IN, ReLU, reflection pad 1, conv 3x3, IN;
  ``x + block(x)``, no activation after the sum); 9 blocks at 256 px (``resnet_9blocks``);
* two stride-2 transposed conv 3x3 upsamplings (output padding 1), IN, ReLU;
* reflection pad 3, conv 7x7 -> 3 channels, tanh.

InstanceNorm has no affine parameters and no running statistics (CycleGAN's ``norm='instance'``), so a
convolution bias in front of it would be subtracted again with the mean: those convolutions have none.
"""
from __future__ import annotations

import torch
from torch import nn


def _conv_in_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                  padding: int = 0) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False),
            nn.InstanceNorm2d(out_channels), nn.ReLU(inplace=True)]


class ResnetBlock(nn.Module):
    """Residual block with reflection padding and InstanceNorm: ``x + IN(conv(ReLU(IN(conv(x)))))``.

    Args:
        channels: input = output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.ReflectionPad2d(1), *_conv_in_relu(channels, channels, 3),
                                   nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False),
                                   nn.InstanceNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C, H, W)."""
        return x + self.block(x)


class ResnetGenerator(nn.Module):
    """CycleGAN ResNet generator: an image in one domain to an image of the same size in another.

    Args:
        ngf: channels after the first convolution (64 in CycleGAN and SPGAN).
        num_blocks: residual blocks at 1/4 resolution (9 for 256 px images, CycleGAN ``resnet_9blocks``;
            OpenUnReID's SPGAN config uses ``resnet_9blocks`` at 256x128 too).
        in_channels: input channels.
        out_channels: output channels.

    Input ``(N, in_channels, H, W)`` in [-1, 1] with H and W divisible by 4; output
    ``(N, out_channels, H, W)`` in (-1, 1).
    """

    def __init__(self, ngf: int = 64, num_blocks: int = 9, in_channels: int = 3, out_channels: int = 3) -> None:
        super().__init__()
        if ngf < 1 or num_blocks < 0:
            raise ValueError(f"ResnetGenerator needs ngf >= 1 and num_blocks >= 0, got {ngf}, {num_blocks}")
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), *_conv_in_relu(in_channels, ngf, 7)]
        layers += _conv_in_relu(ngf, 2 * ngf, 3, stride=2, padding=1)
        layers += _conv_in_relu(2 * ngf, 4 * ngf, 3, stride=2, padding=1)
        layers += [ResnetBlock(4 * ngf) for _ in range(num_blocks)]
        for channels in (4 * ngf, 2 * ngf):
            layers += [nn.ConvTranspose2d(channels, channels // 2, 3, stride=2, padding=1, output_padding=1,
                                          bias=False),
                       nn.InstanceNorm2d(channels // 2), nn.ReLU(inplace=True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H, W); H and W must be multiples of 4."""
        if x.dim() != 4 or x.shape[-2] % 4 or x.shape[-1] % 4:
            raise ValueError(f"ResnetGenerator expects (N, C, H, W) with H, W divisible by 4, got {tuple(x.shape)}")
        return self.model(x)
