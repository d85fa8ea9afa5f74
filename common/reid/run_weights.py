"""The weights a ReID run leaves behind, and loading them into a model.

A *source* of weights is a run directory (its latest checkpoint in ``checkpoints/``), a
``CheckpointManager`` file (``{"components": {"model": ...}}``) or a plain state dict (e.g. an official
``resnet101_ibn_a_80.pth``; a ``module.`` prefix from DataParallel/DDP is dropped).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..checkpoint import CheckpointError, CheckpointManager, load_checkpoint

CHECKPOINT_DIR = "checkpoints"


def checkpoint_manager(work_dir: str | Path, keep_last: int | None = 2) -> CheckpointManager:
    """The ``CheckpointManager`` of a run directory (``<work_dir>/checkpoints``)."""
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


def read_model_state(source: str | Path) -> dict[str, torch.Tensor]:
    """The model state dict stored at ``source`` (see the module docstring)."""
    state = load_checkpoint(resolve_weights(source))
    if isinstance(state, dict) and "components" in state:
        state = state["components"].get("model", state)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{source} holds no state dict")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _never(key: str, value: torch.Tensor | None) -> bool:
    return False


def load_model_weights(model: nn.Module, source: str | Path,
                       skip: Callable[[str, torch.Tensor | None], bool] = _never) -> list[str]:
    """Load ``source`` into ``model``. ``skip(key, stored tensor or None)`` selects keys that are neither
    loaded nor required (e.g. a classifier of another size).

    Returns:
        The skipped keys present in ``source``.

    Raises:
        CheckpointError: any other missing, unexpected or mis-shaped key (named).
    """
    state = read_model_state(source)
    own = model.state_dict()
    skipped = [k for k, v in state.items() if skip(k, v)]
    state = {k: v for k, v in state.items() if k not in skipped}
    missing = [k for k in own if k not in state and not skip(k, None)]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in state if k in own and own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        raise CheckpointError(f"{source} does not fit the model: missing {missing[:5]}, unexpected "
                              f"{unexpected[:5]}, wrong shape {wrong[:5]}; check model.backbone against the run "
                              "that wrote it")
    model.load_state_dict(state, strict=False)
    return skipped
