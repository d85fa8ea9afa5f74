"""The ReID network: input normalisation + backbone + embedding head (fast-reid's ``Baseline``).

Images enter as float tensors in [0, 1] (``common.reid.transforms``); the per-channel mean and
standard deviation are buffers of the model, so they travel with its checkpoint and the data pipeline
stays free of model-specific constants (ImageNet statistics for CNNs, 0.5/0.5 for DMT's ViT).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from torch import nn

from .backbones import build_backbone
from .head import EmbeddingHead

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ReIDModel(nn.Module):
    """Backbone and embedding head with input normalisation held as buffers.

    Args:
        backbone: module with ``out_channels`` and ``global_feature`` (``common.reid.backbones``).
        head: the ``EmbeddingHead``.
        pixel_mean, pixel_std: per-channel statistics subtracted/divided from [0, 1] images.

    ``forward(images [B, 3, H, W], targets [B] | None)``: in training mode the head's dict
    (``global_feat``, ``bn_feat``, ``logits``); in evaluation mode the ``[B, D]`` test feature
    (not yet L2-normalised).
    """

    def __init__(self, backbone: nn.Module, head: EmbeddingHead,
                 pixel_mean: Sequence[float] = IMAGENET_MEAN,
                 pixel_std: Sequence[float] = IMAGENET_STD) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.register_buffer("pixel_mean", torch.tensor(pixel_mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("pixel_std", torch.tensor(pixel_std, dtype=torch.float32).view(1, -1, 1, 1))

    @property
    def feat_dim(self) -> int:
        return self.head.feat_dim

    def forward(self, images: torch.Tensor, targets: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor] | torch.Tensor:
        if images.dim() != 4 or images.shape[1] != self.pixel_mean.shape[1]:
            raise ValueError(f"expected images [B, {self.pixel_mean.shape[1]}, H, W], "
                             f"got {tuple(images.shape)}")
        x = (images - self.pixel_mean) / self.pixel_std
        return self.head(self.backbone(x), targets)


def build_reid_model(num_classes: int, backbone: Mapping[str, Any], head: Mapping[str, Any] | None = None,
                     pixel_mean: Sequence[float] = IMAGENET_MEAN,
                     pixel_std: Sequence[float] = IMAGENET_STD) -> ReIDModel:
    """Build a ``ReIDModel`` from config dicts.

    Args:
        num_classes: number of training identities (0: no classifier).
        backbone: ``dict(name=..., last_stride=1, pretrained=None, **architecture options)``, passed
            to ``build_backbone``.
        head: keyword arguments of ``EmbeddingHead`` (``pooling``, ``reduction_dim``, ``classifier``,
            ...). A backbone with a global output (ViT) needs ``pooling="identity"``; it is the
            default for such backbones when ``head`` does not set it.

    Example (DMT stage 1, ResNet101-IBN-a)::

        build_reid_model(num_classes, dict(name="resnet101_ibn_a", last_stride=1,
                                           pretrained="pretrained/resnet101_ibn_a-59ea0ac6.pth"))
    """
    backbone_cfg = dict(backbone)
    if "name" not in backbone_cfg:
        raise ValueError("the backbone config needs a 'name' (see common.reid.backbones.BACKBONES)")
    net = build_backbone(backbone_cfg.pop("name"), **backbone_cfg)
    head_cfg = dict(head or {})
    if net.global_feature:
        head_cfg.setdefault("pooling", "identity")
        if head_cfg["pooling"] != "identity":
            raise ValueError(f"backbone {backbone['name']} outputs a global [B, C] feature; its head needs "
                             f"pooling='identity', not {head_cfg['pooling']!r}")
    elif head_cfg.get("pooling") == "identity":
        raise ValueError(f"backbone {backbone['name']} outputs a feature map; choose pooling 'avg', 'gem' "
                         "or 'avgmax'")
    return ReIDModel(net, EmbeddingHead(net.out_channels, num_classes, **head_cfg), pixel_mean, pixel_std)
