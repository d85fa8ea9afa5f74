"""A parameter-free colour and texture descriptor: the default encoder of the domain distance.

Camera and dataset styles differ mostly in colour cast, brightness, contrast and sharpness, which
fixed image statistics capture without any trained weights (so the distance is deterministic, needs no
download and means the same in every run). Per image, from an RGB image in [-1, 1]:

* colour layout: mean and standard deviation of R, G, B in each cell of a ``grid`` (rows x columns);
* colour distribution: a ``colour_bins``-bin histogram of each channel over the whole image;
* texture: a magnitude-weighted histogram of unsigned gradient orientations (Sobel, grey level, in
  ``orientation_bins`` bins over [0, pi), normalised to sum 1), and the mean gradient magnitude in each
  grid cell (blur and sharpness).
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class ColourTextureDescriptor(nn.Module):
    """Images (N, 3, H, W) in [-1, 1] -> descriptors (N, num_features), no parameters.

    Args:
        grid: (rows, columns) of the cells for the colour and sharpness layout.
        colour_bins: histogram bins per colour channel.
        orientation_bins: gradient-orientation bins.

    ``num_features = rows * cols * 7 + 3 * colour_bins + orientation_bins``.
    """

    def __init__(self, grid: Sequence[int] = (4, 2), colour_bins: int = 8, orientation_bins: int = 8) -> None:
        super().__init__()
        rows, cols = (int(g) for g in grid)
        if rows < 1 or cols < 1 or colour_bins < 1 or orientation_bins < 1:
            raise ValueError(f"ColourTextureDescriptor needs positive grid, colour_bins and orientation_bins, got "
                             f"{tuple(grid)}, {colour_bins}, {orientation_bins}")
        self.grid, self.colour_bins, self.orientation_bins = (rows, cols), colour_bins, orientation_bins
        self.num_features = rows * cols * 7 + 3 * colour_bins + orientation_bins
        sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
        self.register_buffer("sobel", torch.stack([sobel, sobel.t()])[:, None], persistent=False)

    def _histogram(self, values: torch.Tensor, bins: int, weights: torch.Tensor | None = None) -> torch.Tensor:
        """values in [0, 1] of shape (N, C, P) -> normalised histograms (N, C, bins)."""
        idx = (values * bins).long().clamp_(0, bins - 1)
        w = torch.ones_like(values) if weights is None else weights
        hist = torch.zeros(*values.shape[:2], bins, dtype=values.dtype, device=values.device)
        hist.scatter_add_(2, idx, w)
        return hist / hist.sum(dim=2, keepdim=True).clamp_min(1e-12)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [-1, 1] -> (N, num_features)."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"ColourTextureDescriptor expects (N, 3, H, W) images, got {tuple(images.shape)}")
        x = ((images.float() + 1) / 2).clamp(0, 1)
        n = x.shape[0]
        mean = F.adaptive_avg_pool2d(x, self.grid)
        std = (F.adaptive_avg_pool2d(x * x, self.grid) - mean * mean).clamp_min(0).sqrt()
        colour_hist = self._histogram(x.flatten(2), self.colour_bins)
        grey = x.mean(dim=1, keepdim=True)
        grad = F.conv2d(F.pad(grey, (1, 1, 1, 1), mode="replicate"), self.sobel.to(x.dtype))
        magnitude = grad.pow(2).sum(dim=1, keepdim=True).sqrt()
        angle = torch.atan2(grad[:, 1:2], grad[:, 0:1]).remainder(math.pi) / math.pi
        orientation_hist = self._histogram(angle.flatten(2), self.orientation_bins, magnitude.flatten(2))
        sharpness = F.adaptive_avg_pool2d(magnitude, self.grid)
        return torch.cat([mean.reshape(n, -1), std.reshape(n, -1), colour_hist.reshape(n, -1),
                          orientation_hist.reshape(n, -1), sharpness.reshape(n, -1)], dim=1)
