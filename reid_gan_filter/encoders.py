"""The encoders that map real and generated images into the consistency space (E_c) and the diversity space (E_d).

The paper names the two roles, not the networks; each space takes any of three encoder types
(``ENCODER_TYPES``, config ``encoders.<space>.type``), with the settings of a type under ``encoders.<type>``:

* ``"reid"``: a ``common.reid`` ReID model trained on the real training set (the default E_c): a run
  directory (its latest checkpoint) or a checkpoint file, its architecture given by ``backbone`` / ``head``
  (``consistency_training`` trains one when no weights are given). Its test feature (after the BNNeck,
  averaged over the ``views``, L2-normalised) is what ReID compares identities by, so distances in it
  measure identity.
* ``"colour_texture"``: ``common.gan.ColourTextureDescriptor``, the parameter-free colour-layout, colour-
  histogram, gradient-orientation and sharpness statistics (the default E_d). It measures exactly what a
  style GAN changes (camera colour cast, lighting, background, blur), has no weights to train or download and
  means the same in every run.
* ``"timm"``: an ImageNet-style timm classification backbone (globally pooled features) loaded from a local
  weights file (``weights``, required: nothing is downloaded), a generic appearance space.

Every encoder takes ``(N, 3, H, W)`` images in [0, 1] resized to its ``size`` and returns ``(N, D)`` features.
Its ``fingerprint`` (type, settings, identity of the weights file) keys the feature cache.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import timm
import torch
from torch import nn

from common.gan.colour_texture import ColourTextureDescriptor
from common.gan.frechet import FeatureEncoder
from common.reid.features import embed_batch
from common.reid.model import ReIDModel, build_reid_model
from common.reid.pretrained import load_pretrained
from common.reid.run_weights import load_model_weights, resolve_weights

ENCODER_TYPES = ("reid", "colour_texture", "timm")


class ImageEncoder(nn.Module):
    """A frozen image -> feature map of one type.

    Args:
        net: maps ``(N, 3, H, W)`` images in [0, 1] to ``(N, D)`` features.
        size: ``(H, W)`` the images are resized to before ``net``.
        fingerprint: JSON-able description of everything the features depend on.
    """

    def __init__(self, net: nn.Module, size: Sequence[int], fingerprint: Mapping[str, Any]) -> None:
        super().__init__()
        self.net = net.eval().requires_grad_(False)
        self.size = (int(size[0]), int(size[1]))
        self.fingerprint = dict(fingerprint)

    def train(self, mode: bool = True) -> "ImageEncoder":
        return super().train(False)  # stays frozen

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in [0, 1] -> ``(N, D)`` float32."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"an encoder takes (N, 3, H, W) images, got {tuple(images.shape)}")
        return self.net(images).float().flatten(1)


class _ReIDEmbedding(nn.Module):
    """A ReID model's L2-normalised test feature averaged over TTA views: ``(N, 3, H, W)`` -> ``(N, D)``."""

    def __init__(self, model: ReIDModel, views: Sequence[str]) -> None:
        super().__init__()
        self.model, self.views = model.eval(), tuple(views)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return embed_batch(self.model, images, self.views, normalize=True)


class _SignedRange(nn.Module):
    """Feeds [0, 1] images to a module that takes [-1, 1] images (the colour/texture descriptor)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.module(images * 2 - 1)


class _Normalised(nn.Module):
    """Subtracts a per-channel mean and divides by a standard deviation (buffers) before ``module``."""

    def __init__(self, module: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.module = module
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.module((images - self.mean) / self.std)


def weights_identity(source: str | Path) -> dict[str, Any]:
    """The weights file of ``source`` (a file or a run directory's latest checkpoint) with its size and
    modification time: a new checkpoint gives a new identity, so cached features are not reused."""
    path = resolve_weights(source)
    stat = os.stat(path)
    return {"path": os.path.abspath(path), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def load_reid_model(weights: str | Path, backbone: Mapping[str, Any], head: Mapping[str, Any] | None = None,
                    pixel_mean: Sequence[float] | None = None, pixel_std: Sequence[float] | None = None) -> ReIDModel:
    """A ``common.reid`` model with the weights of a run directory or checkpoint, without its classifier.

    Args:
        weights: a run directory (its latest checkpoint), a ``CheckpointManager`` file or a state dict.
        backbone, head: the architecture (``build_reid_model``); it must be the one the weights were trained with.
        pixel_mean, pixel_std: input statistics (the checkpoint's buffers override them).

    Raises:
        FileNotFoundError, common.checkpoint.CheckpointError: missing weights, or weights of another architecture.
    """
    stats = {k: list(v) for k, v in (("pixel_mean", pixel_mean), ("pixel_std", pixel_std)) if v is not None}
    model = build_reid_model(0, dict(backbone), dict(head or {}), **stats)
    load_model_weights(model, weights, skip=lambda key, value: key.startswith("head.classifier."))
    return model.eval()


def build_encoder(kind: str, settings: Mapping[str, Any]) -> ImageEncoder:
    """The encoder of type ``kind`` (``ENCODER_TYPES``) with its ``encoders.<kind>`` settings.

    Raises:
        ValueError: unknown type, or a ``reid``/``timm`` encoder without weights.
    """
    if kind not in ENCODER_TYPES:
        raise ValueError(f"unknown encoder type '{kind}': choose one of {', '.join(ENCODER_TYPES)}")
    s = dict(settings)
    fingerprint: dict[str, Any] = {"type": kind, **{k: v for k, v in s.items() if k != "weights"}}
    if kind == "colour_texture":
        net: nn.Module = _SignedRange(ColourTextureDescriptor(s["grid"], s["colour_bins"], s["orientation_bins"]))
        return ImageEncoder(net, s["size"], fingerprint)
    if not s.get("weights"):
        hint = ("a run directory or checkpoint of a common.reid model (python -m reid_gan_filter.score trains one "
                "on the real set when it is not set)" if kind == "reid" else "a local timm weights file")
        raise ValueError(f"encoders.{kind}.weights is not set: give {hint}")
    if kind == "reid":
        fingerprint["weights"] = weights_identity(s["weights"])
        model = load_reid_model(s["weights"], s["backbone"], s["head"], s["pixel_mean"], s["pixel_std"])
        return ImageEncoder(_ReIDEmbedding(model, s["views"]), s["size"], fingerprint)
    path = Path(s["weights"])
    if not path.is_file():
        raise FileNotFoundError(f"encoders.timm.weights: file not found: {path} (a local timm state dict; "
                                "nothing is downloaded)")
    fingerprint["weights"] = weights_identity(path)
    backbone = timm.create_model(s["name"], pretrained=False, num_classes=0)
    load_pretrained(backbone, path, ignore_prefixes=("fc.", "head.", "classifier."))
    return ImageEncoder(_Normalised(FeatureEncoder(backbone, tuple(s["size"])), s["pixel_mean"], s["pixel_std"]),
                        s["size"], fingerprint)
