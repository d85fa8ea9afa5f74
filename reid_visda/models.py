"""The Bias-Eliminate network and the camera model (the code's ``modeling/baseline.py``).

``BiasEliminateNet``: a ``common.reid`` ``ReIDModel`` whose head is GAP + GMP -> Linear(C, 512) -> BN ->
dropout 0.7 (no classifier of its own), plus one bias-free classifier per domain on the (dropped-out)
post-BN feature: source identities, and in adaptation the target pseudo-identities. The test feature is
the post-BN feature (dropout is off in evaluation).

The camera model is the same architecture with one classifier over the target cameras
(``CameraBaseline``); its post-BN feature gives the camera distance.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
from mmengine.config import Config
from torch import nn

from common.config import load_run_config
from common.reid.model import ReIDModel, build_reid_model
from common.reid.run_weights import load_model_weights, read_model_state

from .defaults import DEFAULTS


class BiasEliminateNet(nn.Module):
    """Shared backbone and embedding, one classifier per domain.

    Args:
        reid: a ``ReIDModel`` built without a classifier.
        num_classes: classes of each domain's classifier (e.g. ``[700]`` for the baseline, ``[700, 500]``
            in adaptation); weights ~ N(0, 0.001^2), no bias, as the code initialises them.

    ``forward(images [B, 3, H, W], domain)``: in training mode the head's dict plus ``logits``
    ``[B, num_classes[domain]]`` and ``unused``, a zero scalar touching the other classifiers (so DDP sees
    a gradient for every parameter, as the code adds ``0 * sum(feats)``); in evaluation mode the
    ``[B, D]`` test feature.
    """

    def __init__(self, reid: ReIDModel, num_classes: Sequence[int]) -> None:
        super().__init__()
        if reid.head.classifier is not None:
            raise ValueError("BiasEliminateNet holds its own classifiers: build the ReIDModel with num_classes=0")
        self.reid = reid
        self.classifiers = nn.ModuleList(_classifier(reid.feat_dim, n) for n in num_classes)

    @property
    def feat_dim(self) -> int:
        return self.reid.feat_dim

    def forward(self, images: torch.Tensor, domain: int = 0) -> dict[str, torch.Tensor] | torch.Tensor:
        out = self.reid(images)
        if not self.training:
            return out
        if not 0 <= domain < len(self.classifiers):
            raise ValueError(f"domain {domain} has no classifier ({len(self.classifiers)} domain(s))")
        out["logits"] = self.classifiers[domain](out["bn_feat"])
        out["unused"] = sum((0.0 * c.weight.sum() for i, c in enumerate(self.classifiers) if i != domain),
                            torch.zeros((), device=images.device))
        return out


def _classifier(feat_dim: int, num_classes: int) -> nn.Linear:
    layer = nn.Linear(feat_dim, num_classes, bias=False)
    nn.init.normal_(layer.weight, std=0.001)
    return layer


def build_reid_net(cfg: Config, num_classes: int = 0) -> ReIDModel:
    """The ``ReIDModel`` of ``cfg.model`` (``num_classes`` > 0 adds a head classifier: the camera model)."""
    return build_reid_model(num_classes, dict(cfg.model.backbone), dict(cfg.model.head),
                            pixel_mean=cfg.input.pixel_mean, pixel_std=cfg.input.pixel_std)


def build_bias_eliminate_net(cfg: Config, num_classes: Sequence[int]) -> BiasEliminateNet:
    return BiasEliminateNet(build_reid_net(cfg), num_classes)


def is_classifier_key(key: str, value: torch.Tensor | None = None) -> bool:
    """Keys the code's ``load_param('self')`` skips: every key containing ``classifier``."""
    return "classifier" in key


def load_backbone_and_embedding(model: nn.Module, source: str | Path) -> list[str]:
    """Load every weight of ``source`` except the classifiers (``model.init_from``); returns the skipped keys."""
    return load_model_weights(model, source, skip=is_classifier_key)


def run_config(run_dir: str | Path) -> Config:
    """The resolved config a run directory was trained with (its ``config.py``)."""
    return load_run_config(run_dir, DEFAULTS, "reid_visda")


def model_from_run(run_dir: str | Path) -> tuple[nn.Module, Config]:
    """The trained network of a run directory and its config: a ``BiasEliminateNet`` for the ReID stages,
    a ``ReIDModel`` with its camera classifier for the camera stage."""
    cfg = run_config(run_dir)
    state = read_model_state(run_dir)
    if cfg.stage == "camera":
        model = build_reid_net(cfg, state["head.classifier.weight"].shape[0])
    else:
        sizes: list[int] = []
        while f"classifiers.{len(sizes)}.weight" in state:
            sizes.append(state[f"classifiers.{len(sizes)}.weight"].shape[0])
        model = build_bias_eliminate_net(cfg, sizes)
    load_model_weights(model, run_dir)
    return model, cfg
