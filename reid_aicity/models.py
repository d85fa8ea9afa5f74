"""Building a run's ReID model from its config, and loading trained weights into it.

``init_from`` / ``model_from_run`` accept what the runs of this package leave behind: a run directory
(its resolved ``config.py`` and the latest checkpoint in ``checkpoints/``), a ``CheckpointManager``
file (``{"components": {"model": ...}}``) or a plain state dict (e.g. DMT's ``resnet101_ibn_a_80.pth``).
As DMT's ``copy_state_dict``, a classifier whose number of classes differs is not loaded (stage 2 and
the attribute models replace it); every other key must match.
"""
from __future__ import annotations

from pathlib import Path

import torch
from mmengine.config import Config

from common.config import load_run_config
from common.reid.model import ReIDModel, build_reid_model
from common.reid.run_weights import checkpoint_manager, load_model_weights, read_model_state, resolve_weights

from .defaults import DEFAULTS


def build_model(cfg: Config, num_classes: int) -> ReIDModel:
    """The ``ReIDModel`` of ``cfg.model`` with ``num_classes`` classes, and ``input`` pixel statistics."""
    return build_reid_model(num_classes, dict(cfg.model.backbone), dict(cfg.model.head),
                            pixel_mean=cfg.input.pixel_mean, pixel_std=cfg.input.pixel_std)


def load_weights(model: ReIDModel, source: str | Path) -> list[str]:
    """Load ``source`` into ``model``, skipping a classifier of another size; returns the skipped keys.

    Raises:
        CheckpointError: any other missing, unexpected or mis-shaped key (named).
    """
    own = model.state_dict()

    def other_classifier(key: str, value: torch.Tensor | None) -> bool:
        if not key.startswith("head.classifier."):
            return False
        return value is None or key not in own or own[key].shape != value.shape

    return load_model_weights(model, source, skip=other_classifier)


def run_config(run_dir: str | Path) -> Config:
    """The resolved config a run directory was trained with (its ``config.py``)."""
    return load_run_config(run_dir, DEFAULTS, "reid_aicity")


def model_from_run(run_dir: str | Path) -> tuple[ReIDModel, Config]:
    """The trained model of a run directory (its config's architecture, its latest weights) and that config."""
    cfg = run_config(run_dir)
    state = read_model_state(run_dir)
    classes = state["head.classifier.weight"].shape[0] if "head.classifier.weight" in state else 0
    model = build_model(cfg, classes)
    load_weights(model, run_dir)
    return model, cfg
