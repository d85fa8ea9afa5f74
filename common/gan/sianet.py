"""SiaNet, the Siamese embedding network of SPGAN (Deng et al., CVPR 2018).

SPGAN learns it jointly with the generators, with the contrastive loss of ``losses.contrastive_loss``
on (image, translated image) and cross-domain pairs; its embedding is L2-normalised, so distances lie in
[0, 2] and the margin m = 2 pushes negative pairs as far apart as the sphere allows.

The architecture is configuration (``channels``, ``embed_dims``): stages of conv 4x4 stride 2 (padding
1) + LeakyReLU 0.2 + max-pool 2x2, then fully connected layers (no bias) with LeakyReLU 0.2 and dropout
between them.

* Official PyTorch code (Simon4Yan/eSPGAN ``py-spgan/models/models_spgan.py`` ``Metric_Net``, copied by
  OpenUnReID ``openunreid/models/backbones/spgan.py``): three stages (64, 128, 256 channels), FC 128,
  dropout 0.5, FC 64 -> ``channels=(64, 128, 256)``, ``embed_dims=(128, 64)``. The code hard-codes the
  flattened size 2048 (256x128 inputs); here it follows from ``image_size``.
* Official TensorFlow code (Learning-via-Translation ``SPGAN/models/models_spgan.py`` ``metric_net``):
  four stages (64 ... 512), FC 128, dropout 0.5, FC 64 -> ``channels=(64, 128, 256, 512)``,
  ``embed_dims=(128, 64)``.
* Paper (Sec. 4.2): 4 conv (64, 128, 256, 512), 4 max-pool and one FC layer with output 128 ->
  ``channels=(64, 128, 256, 512)``, ``embed_dims=(128,)``.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def _stage_output(size: int) -> int:
    """Spatial size after conv 4x4/2 (padding 1) and max-pool 2x2/2."""
    return ((size + 2 - 4) // 2 + 1) // 2


class SiaNet(nn.Module):
    """Conv stages + FC layers -> L2-normalised embedding.

    Args:
        image_size: (H, W) of the inputs (sets the flattened size).
        channels: output channels of each conv stage.
        embed_dims: sizes of the fully connected layers; the last one is the embedding size.
        dropout: dropout probability between the FC layers.
        in_channels: image channels.

    Input ``(N, in_channels, H, W)``; output ``(N, embed_dims[-1])`` with unit L2 norm.
    """

    def __init__(self, image_size: Sequence[int], channels: Sequence[int] = (64, 128, 256),
                 embed_dims: Sequence[int] = (128, 64), dropout: float = 0.5, in_channels: int = 3) -> None:
        super().__init__()
        if not channels or not embed_dims:
            raise ValueError("SiaNet needs at least one conv stage (channels) and one FC layer (embed_dims)")
        h, w = (int(s) for s in image_size)
        stages: list[nn.Module] = []
        prev = in_channels
        for c in channels:
            stages += [nn.Conv2d(prev, c, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True),
                       nn.MaxPool2d(2, stride=2)]
            prev, h, w = c, _stage_output(h), _stage_output(w)
        if h < 1 or w < 1:
            raise ValueError(f"SiaNet: {len(channels)} stages reduce a {tuple(image_size)} image to nothing; "
                             "use fewer stages (spgan.sianet.channels) or larger images")
        self.features = nn.Sequential(*stages)
        fcs: list[nn.Module] = []
        prev = prev * h * w
        for i, d in enumerate(embed_dims):
            if i:
                fcs += [nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout)]
            fcs.append(nn.Linear(prev, d, bias=False))
            prev = d
        self.head = nn.Sequential(*fcs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> unit-norm embeddings (N, D)."""
        return F.normalize(self.head(self.features(x).flatten(1)), p=2, dim=1)
