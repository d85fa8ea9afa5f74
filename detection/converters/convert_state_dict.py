"""Rename official DAMO-YOLO state dicts to this implementation's layout, and back."""
from __future__ import annotations

import re
from typing import Any, Mapping

import torch
import torch.nn as nn

from .damoyolo_official import official_key_map


class ConversionError(ValueError):
    """An official checkpoint does not fit the model built from the config."""


# What the official trainer's save_ckpt writes besides the weights (damo/apis/detector_trainer.py).
TRAINING_ENTRIES = ('epoch', 'optimizer', 'feature_loss')
LEGACY_CLS = re.compile(r'^head\.gfl_cls\.\d+\.(weight|bias)$')


def _strip_wrappers(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop a DDP ``module.`` prefix."""
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def official_weights(checkpoint: Any) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The model weights of an official checkpoint, and notes on what else it held.

    Accepts what the official code saves and loads: the trainer's ``{'epoch', 'model',
    'optimizer', 'feature_loss'}`` (``model`` is the EMA copy when EMA is on; ``feature_loss``
    holds a distillation run's student-to-teacher projections, which are not part of the
    detector), a released ``{'model': ...}``, or a bare state dict.

    Raises:
        ConversionError: no state dict found, or a re-parameterised (deploy-form) model.
    """
    notes = []
    state = checkpoint
    if isinstance(checkpoint, Mapping) and 'model' in checkpoint:
        state = checkpoint['model']
        other = sorted(k for k in checkpoint if k != 'model')
        if other:
            known = [k for k in other if k in TRAINING_ENTRIES]
            notes.append(f'ignored training state: {", ".join(other)}'
                         + ('' if len(known) == len(other) else ' (not written by the official trainer)'))
    if not isinstance(state, Mapping) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ConversionError('expected a state dict or a dict with a "model" state dict')
    if any(k.startswith('module.') for k in state):
        notes.append('stripped the "module." prefix of a distributed-training save')
    state = _strip_wrappers(state)
    if any('rbr_reparam' in k for k in state):
        raise ConversionError('a re-parameterised (deploy-form) model (rbr_reparam tensors); '
                              'convert the training-form checkpoint the official trainer saves, '
                              'then re-parameterise with detection.export')
    return state, notes


def _legacy_head(official: dict[str, torch.Tensor], own: Mapping[str, torch.Tensor],
                 key_map: Mapping[str, str]) -> list[str]:
    """Official ``legacy=True`` heads (early releases) predict ``num_classes + 1`` channels and
    drop the last at inference; keep the first ``num_classes``, in place."""
    theirs_to_ours = {v: k for k, v in key_map.items()}
    sliced = []
    for key, tensor in official.items():
        ours = theirs_to_ours.get(key)
        if LEGACY_CLS.match(key) and ours is not None and tensor.shape[0] == own[ours].shape[0] + 1 \
                and tensor.shape[1:] == own[ours].shape[1:]:
            official[key] = tensor[:-1]
            sliced.append(key)
    return [f'legacy head: dropped the extra class channel of {len(sliced)} tensors '
            '(as the official code does at inference)'] if sliced else []


def convert_official_state_dict(official: Mapping[str, torch.Tensor], detector: nn.Module,
                                notes: list[str] | None = None) -> dict[str, torch.Tensor]:
    """Official ``Detector`` state dict -> ``state_dict`` loadable into ``detector`` (strict).

    Args:
        official: the official checkpoint's ``'model'`` entry (``module.`` prefixes allowed).
        detector: the model built from the matching config of this package.
        notes: if given, what the conversion adapted is appended (legacy heads).

    Raises:
        ConversionError: official tensors missing, left over, or of a different shape; the
            message names them and suggests the config to check.
    """
    official = _strip_wrappers(official)
    key_map = official_key_map(detector)
    own = detector.state_dict()
    adapted = _legacy_head(official, own, key_map)
    if notes is not None:
        notes.extend(adapted)
    missing = sorted(v for v in key_map.values() if v not in official)
    leftover = sorted(set(official) - set(key_map.values()))
    if missing or leftover:
        raise ConversionError(
            f'the official checkpoint does not match this config: {len(missing)} tensors missing '
            f'(first: {missing[:5]}), {len(leftover)} unused (first: {leftover[:5]}). Check that the '
            'config is the same model size (T/S/M/L/Ns/Nm/Nl) and num_classes as the checkpoint.')
    converted = {}
    for ours, theirs in key_map.items():
        tensor = official[theirs]
        if tensor.shape != own[ours].shape:
            raise ConversionError(f'official {theirs} has shape {tuple(tensor.shape)} but {ours} '
                                  f'has {tuple(own[ours].shape)}: different model size or '
                                  'num_classes in the config?')
        converted[ours] = tensor.clone()
    return converted


def to_official_state_dict(detector: nn.Module) -> dict[str, torch.Tensor]:
    """This implementation's ``state_dict`` renamed to the official layout (the inverse)."""
    state = detector.state_dict()
    return {theirs: state[ours].clone() for ours, theirs in official_key_map(detector).items()}
