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

from common.checkpoint import CheckpointError, CheckpointManager, load_checkpoint
from common.config import load_config
from common.reid.model import ReIDModel, build_reid_model

from .defaults import DEFAULTS

CHECKPOINT_DIR = "checkpoints"


def build_model(cfg: Config, num_classes: int) -> ReIDModel:
    """The ``ReIDModel`` of ``cfg.model`` with ``num_classes`` classes, and ``input`` pixel statistics."""
    return build_reid_model(num_classes, dict(cfg.model.backbone), dict(cfg.model.head),
                            pixel_mean=cfg.input.pixel_mean, pixel_std=cfg.input.pixel_std)


def checkpoint_manager(work_dir: str | Path, keep_last: int | None = 2) -> CheckpointManager:
    return CheckpointManager(Path(work_dir) / CHECKPOINT_DIR, keep_last=keep_last)


def resolve_weights(source: str | Path) -> Path:
    """The weights file of ``source``: a file, or the latest checkpoint of a run directory."""
    source = Path(source)
    if source.is_dir():
        latest = checkpoint_manager(source).latest()
        if latest is None:
            raise CheckpointError(f"run directory {source} has no checkpoint in {source / CHECKPOINT_DIR}; "
                                  "train it first")
        return latest
    if not source.is_file():
        raise FileNotFoundError(f"weights not found: {source} (give a run directory or a checkpoint file)")
    return source


def read_state_dict(source: str | Path) -> dict[str, torch.Tensor]:
    """The model state dict stored at ``source`` (see ``resolve_weights``)."""
    state = load_checkpoint(resolve_weights(source))
    if isinstance(state, dict) and "components" in state:
        state = state["components"].get("model", state)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{source} holds no state dict")
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_weights(model: ReIDModel, source: str | Path) -> list[str]:
    """Load ``source`` into ``model``, skipping a classifier of another size; returns the skipped keys.

    Raises:
        CheckpointError: any other missing, unexpected or mis-shaped key (named).
    """
    state = read_state_dict(source)
    own = model.state_dict()
    skipped = [k for k in state if k.startswith("head.classifier.") and
               (k not in own or own[k].shape != state[k].shape)]
    state = {k: v for k, v in state.items() if k not in skipped}
    missing = [k for k in own if k not in state and not k.startswith("head.classifier.")]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in state if k in own and own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        raise CheckpointError(f"{source} does not fit the model: missing {missing[:5]}, unexpected "
                              f"{unexpected[:5]}, wrong shape {wrong[:5]}; check model.backbone against the run "
                              "that wrote it")
    model.load_state_dict(state, strict=False)
    return skipped


def run_config(run_dir: str | Path) -> Config:
    """The resolved config a run directory was trained with (its ``config.py``)."""
    path = Path(run_dir) / "config.py"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run directory of reid_aicity (no config.py)")
    return load_config(path, schema=DEFAULTS)


def model_from_run(run_dir: str | Path) -> tuple[ReIDModel, Config]:
    """The trained model of a run directory (its config's architecture, its latest weights) and that config."""
    cfg = run_config(run_dir)
    state = read_state_dict(run_dir)
    classes = state["head.classifier.weight"].shape[0] if "head.classifier.weight" in state else 0
    model = build_model(cfg, classes)
    load_weights(model, run_dir)
    return model, cfg
