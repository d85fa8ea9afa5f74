"""Global pooling of a backbone feature map into one descriptor per image.

* ``avg``: global average pooling (GAP; DMT, fast-reid's bag of tricks).
* ``gem``: generalised-mean pooling (Radenovic et al., TPAMI 2018), ``(mean(clamp(x, eps)^p))^(1/p)``
  with a learnable ``p`` initialised to 3 (DMT's ``GeM(freeze_p=False)``, fast-reid's ``GeMP``).
* ``avgmax``: GAP + GMP, summed (Bias-Eliminate's ``gap(x) + gmp(x)``, fast-reid's ``avgmaxpool``).
* ``identity``: the backbone already returns ``[B, C]`` (ViT class token).

All map ``[B, C, H, W] -> [B, C]`` (``identity``: ``[B, C] -> [B, C]``).
"""
from __future__ import annotations

import torch
from torch import nn


class GeneralizedMeanPooling(nn.Module):
    """GeM pooling with a learnable (or fixed) exponent ``p``. Shape ``[B, C, H, W] -> [B, C]``."""

    def __init__(self, p: float = 3.0, eps: float = 1e-6, learn_p: bool = True) -> None:
        super().__init__()
        self.p = nn.Parameter(torch.tensor(float(p)), requires_grad=learn_p)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(min=self.eps).pow(self.p).mean(dim=(2, 3)).pow(1.0 / self.p)


class AvgPooling(nn.Module):
    """Global average pooling. Shape ``[B, C, H, W] -> [B, C]``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class AvgMaxPooling(nn.Module):
    """Global average pooling plus global max pooling. Shape ``[B, C, H, W] -> [B, C]``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3)) + x.amax(dim=(2, 3))


class IdentityPooling(nn.Module):
    """For backbones that output a global descriptor already. Shape ``[B, C] -> [B, C]``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError(f"'identity' pooling expects [B, C] features, got shape {tuple(x.shape)}; "
                             "use 'avg', 'gem' or 'avgmax' for a CNN feature map")
        return x


POOLINGS = {"avg": AvgPooling, "gem": GeneralizedMeanPooling, "avgmax": AvgMaxPooling,
            "identity": IdentityPooling}


def build_pooling(name: str) -> nn.Module:
    """The pooling layer called ``name`` (a key of ``POOLINGS``)."""
    if name not in POOLINGS:
        raise ValueError(f"unknown pooling '{name}': choose one of {', '.join(POOLINGS)}")
    return POOLINGS[name]()
