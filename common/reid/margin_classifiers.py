"""Classifier heads on cosine similarity with an angular or additive margin (CosFace, ArcFace, Circle).

Each head computes ``cos = normalize(f) @ normalize(W)^T`` (``[B, C]``) and turns it into logits for
cross-entropy. The margins are applied only with the ground-truth labels (training); without labels
the logits are ``scale * cos``. The pure functions take the cosine matrix and labels so they can be
checked by hand; the formulas are those of DMT's ``loss/metric_learning.py`` and fast-reid's
``any_softmax.py`` (DMT defaults: scale 64, margin 0.35).

* CosFace (Wang et al., CVPR 2018): ``s * (cos - m)`` for the target class, ``s * cos`` otherwise.
* ArcFace (Deng et al., CVPR 2019): ``s * cos(theta + m)`` for the target class where
  ``theta + m < pi`` (i.e. ``cos > cos(pi - m)``), else ``s * (cos - m * sin(m))`` (the
  insightface/DMT fallback that keeps the logit monotonic); ``s * cos`` otherwise.
* Circle (Sun et al., CVPR 2020), classification form: target ``s * a_p * (cos - (1 - m))`` with
  ``a_p = max(1 + m - cos, 0)``; others ``s * a_n * (cos - m)`` with ``a_n = max(cos + m, 0)``;
  the weights ``a_p, a_n`` are not differentiated through.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _target_mask(cosine: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.one_hot(targets.long(), num_classes=cosine.shape[1]).to(torch.bool)


def cosface_logits(cosine: torch.Tensor, targets: torch.Tensor, scale: float, margin: float) -> torch.Tensor:
    """CosFace logits. ``cosine``: ``[B, C]`` in [-1, 1]; ``targets``: ``[B]`` class indices -> ``[B, C]``."""
    return scale * torch.where(_target_mask(cosine, targets), cosine - margin, cosine)


def arcface_logits(cosine: torch.Tensor, targets: torch.Tensor, scale: float, margin: float) -> torch.Tensor:
    """ArcFace logits (additive angular margin). Shapes as in ``cosface_logits``."""
    sine = (1.0 - cosine.pow(2)).clamp(min=0.0).sqrt()
    phi = cosine * math.cos(margin) - sine * math.sin(margin)
    phi = torch.where(cosine > math.cos(math.pi - margin), phi, cosine - margin * math.sin(margin))
    return scale * torch.where(_target_mask(cosine, targets), phi, cosine)


def circle_logits(cosine: torch.Tensor, targets: torch.Tensor, scale: float, margin: float) -> torch.Tensor:
    """Circle-loss logits with self-paced weights. Shapes as in ``cosface_logits``."""
    alpha_p = (1.0 + margin - cosine.detach()).clamp(min=0.0)
    alpha_n = (cosine.detach() + margin).clamp(min=0.0)
    positive = alpha_p * (cosine - (1.0 - margin))
    negative = alpha_n * (cosine - margin)
    return scale * torch.where(_target_mask(cosine, targets), positive, negative)


MARGIN_LOGITS = {"cosface": cosface_logits, "arcface": arcface_logits, "circle": circle_logits}


class MarginClassifier(nn.Module):
    """Bias-free cosine classifier with a CosFace, ArcFace or Circle margin.

    Args:
        in_features: feature dimension D.
        num_classes: number of identities C.
        kind: ``"cosface"``, ``"arcface"`` or ``"circle"``.
        scale: logit scale s.
        margin: margin m.

    Shape: ``[B, D]`` features (+ ``[B]`` labels while training) -> ``[B, C]`` logits.
    """

    def __init__(self, in_features: int, num_classes: int, kind: str = "arcface", scale: float = 64.0,
                 margin: float = 0.35) -> None:
        super().__init__()
        if kind not in MARGIN_LOGITS:
            raise ValueError(f"unknown margin classifier '{kind}': choose one of {', '.join(MARGIN_LOGITS)}")
        self.kind, self.scale, self.margin = kind, float(scale), float(margin)
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        nn.init.normal_(self.weight, std=0.01)

    @property
    def out_features(self) -> int:
        return self.weight.shape[0]

    def cosine(self, features: torch.Tensor) -> torch.Tensor:
        """``[B, D]`` -> ``[B, C]`` cosine similarity to each class weight."""
        return F.linear(F.normalize(features.float(), dim=1), F.normalize(self.weight.float(), dim=1))

    def forward(self, features: torch.Tensor, targets: torch.Tensor | None = None) -> torch.Tensor:
        cosine = self.cosine(features)
        if targets is None:
            return self.scale * cosine
        return MARGIN_LOGITS[self.kind](cosine, targets, self.scale, self.margin)

    def extra_repr(self) -> str:
        return (f"in_features={self.weight.shape[1]}, num_classes={self.weight.shape[0]}, kind={self.kind}, "
                f"scale={self.scale}, margin={self.margin}")
