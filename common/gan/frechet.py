"""The Fréchet distance between two image sets: Gaussian statistics of their features, compared.

``d^2 = ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` (Dowson & Landau 1982; FID, Heusel et
al. 2017) over features from a fixed encoder: ``ColourTextureDescriptor`` by default (no weights), or
any ``nn.Module`` mapping images to (N, D) features, e.g. a ReID model.

The statistics and the distance are torchmetrics' ``FrechetInceptionDistance`` with a custom ``feature``
module (running sums in float64, the matrix square root through the eigenvalues of S_a S_b); it
installs from PyPI and, with a custom module, never downloads Inception weights.
"""
from __future__ import annotations

import itertools
from typing import Iterable

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from .colour_texture import ColourTextureDescriptor


class FeatureEncoder(nn.Module):
    """A frozen encoder in evaluation mode whose output is flattened to (N, D).

    Args:
        module: maps (N, 3, H, W) images to features of any shape (N, ...).
        image_size: (H, W) of the probe images that find D when ``module`` has no integer
            ``num_features`` attribute.
    """

    def __init__(self, module: nn.Module, image_size: tuple[int, int] = (256, 128)) -> None:
        super().__init__()
        self.module = module.eval().requires_grad_(False)
        num = getattr(module, "num_features", None)
        if not isinstance(num, int):
            device = next(module.parameters(), torch.empty(0)).device
            with torch.no_grad():
                num = int(self.module(torch.zeros(2, 3, *image_size, device=device)).flatten(1).shape[1])
        self.num_features = num
        self.eval()

    def train(self, mode: bool = True) -> "FeatureEncoder":
        return super().train(False)  # stays frozen when a caller switches modes

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, num_features)."""
        return self.module(images).flatten(1)


def frechet_distance(images_a: Iterable[torch.Tensor], images_b: Iterable[torch.Tensor],
                     encoder: nn.Module | None = None, device: torch.device | str = "cpu") -> float:
    """Fréchet distance between the feature Gaussians of two image sets.

    Args:
        images_a, images_b: batches (N, 3, H, W) in [-1, 1] (a tensor is one batch); each set needs at
            least 2 images.
        encoder: ``FeatureEncoder`` or any ``nn.Module`` (wrapped); default ``ColourTextureDescriptor()``.
        device: where the features are computed.

    Returns:
        The squared Fréchet distance (>= 0 up to rounding; ~0 for identical sets).
    """
    batches_a = iter([images_a] if isinstance(images_a, torch.Tensor) else images_a)
    first = next(batches_a, None)
    if first is None:
        raise ValueError("frechet_distance: the first image set is empty")
    encoder = encoder if encoder is not None else ColourTextureDescriptor()
    if not isinstance(encoder, (FeatureEncoder, ColourTextureDescriptor)):
        encoder = FeatureEncoder(encoder, tuple(first.shape[-2:]))
    # Both image sets are local to this process: no gathering over a torchrun process group.
    metric = FrechetInceptionDistance(feature=encoder, sync_on_compute=False).to(device)
    sets = ((itertools.chain([first], batches_a), True),
            ([images_b] if isinstance(images_b, torch.Tensor) else images_b, False))
    with torch.no_grad():
        for batches, real in sets:
            for batch in batches:
                metric.update(batch.to(device), real=real)
    return float(metric.compute())
