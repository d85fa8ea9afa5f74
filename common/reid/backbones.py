"""Backbone registry: ``build_backbone(name, last_stride=..., pretrained=..., **kwargs)``.

Every backbone is an ``nn.Module`` with

* ``out_channels`` (int): channels of its output;
* ``global_feature`` (bool): ``False`` when it returns a feature map ``[B, C, h, w]`` to be pooled
  by the embedding head, ``True`` when it returns a global descriptor ``[B, C]`` (ViT class token);
* ``load_pretrained(source)``: fill it from a local file or URL, checking every key.

Paper models: ``resnet50_ibn_a``, ``resnet101_ibn_a``, ``resnext101_ibn_a``, ``se_resnet101_ibn_a``,
``resnet50_ibn_b``, ``densenet169_ibn_a`` (IBN-Net), ``resnest101e`` (timm), ``hrnet_w18`` (timm; Bias-
Eliminate's ``hrnetv2_w18``, 2048 channels at stride 32, ``last_stride`` ignored), ``vit_base_patch16_transreid``
(timm ViT with TransReID's overlapping patches). Light models for tests and demos: ``resnet18_ibn_a``
(optionally with ``base_channels=16``), ``resnest14d``, ``hrnet_w18_small``, ``vit_tiny_patch16_transreid``
(optionally ``depth=2``), ``densenet121_ibn_a``/``densenet169_ibn_a`` with ``growth_rate=8, num_init_features=16``.
"""
from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Callable

from torch import nn

from . import densenet_ibn, resnet_ibn, vit_transreid
from .timm_backbones import HRNET_MODELS, RESNEST_MODELS, HRNetBackbone, TimmBackbone

_RESNET_FAMILY = ("resnet18_ibn_a", "resnet34_ibn_a", "resnet50_ibn_a", "resnet101_ibn_a", "resnet152_ibn_a",
                  "resnet18_ibn_b", "resnet50_ibn_b", "resnet101_ibn_b", "resnext50_ibn_a",
                  "resnext101_ibn_a", "se_resnet50_ibn_a", "se_resnet101_ibn_a", "resnet18", "resnet50",
                  "resnet101", "resnet152")
_DENSENET_FAMILY = ("densenet121_ibn_a", "densenet169_ibn_a")
_VIT_FAMILY = ("vit_base_patch16_transreid", "vit_small_patch16_transreid", "vit_tiny_patch16_transreid")

#: name -> constructor taking ``last_stride`` (CNNs) and architecture keyword arguments.
BACKBONES: dict[str, Callable[..., nn.Module]] = {
    **{name: getattr(resnet_ibn, name) for name in _RESNET_FAMILY},
    **{name: getattr(densenet_ibn, name) for name in _DENSENET_FAMILY},
    **{name: functools.partial(TimmBackbone, name) for name in RESNEST_MODELS},
    **{name: functools.partial(HRNetBackbone, name) for name in HRNET_MODELS},
    **{name: getattr(vit_transreid, name) for name in _VIT_FAMILY},
}


def build_backbone(name: str, *, last_stride: int = 1, pretrained: str | Path | None = None,
                   **kwargs) -> nn.Module:
    """Build a registered backbone and optionally load pretrained weights.

    Args:
        name: a key of ``BACKBONES``.
        last_stride: stride of the last CNN stage (1 for ReID; for the DenseNets, the stride of the last
            transition's pooling); ignored by HRNets (always stride 32) and by ViTs, whose patch stride is
            the ``stride`` keyword.
        pretrained: local path or http(s) URL of the weights, or ``None`` for random initialisation.
        **kwargs: architecture options of the constructor (``base_channels``, ``growth_rate``, ``img_size``,
            ``stride``, ``depth``, ``drop_path_rate``, ...).

    Raises:
        ValueError: unknown name (with the nearest registered names).
        FileNotFoundError, PretrainedWeightsError: see ``common.reid.pretrained.load_pretrained``.
    """
    if name not in BACKBONES:
        close = difflib.get_close_matches(name, BACKBONES, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown backbone '{name}'.{hint} Registered: {', '.join(sorted(BACKBONES))}")
    if name in _VIT_FAMILY:
        backbone = BACKBONES[name](**kwargs)
    else:
        backbone = BACKBONES[name](last_stride=last_stride, **kwargs)
    if pretrained:
        backbone.load_pretrained(pretrained)
    return backbone
