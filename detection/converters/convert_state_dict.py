"""Rename official DAMO-YOLO and GiraffeDet state dicts to this implementation's layout, and back."""
from __future__ import annotations

import re
from typing import Any, Mapping

import torch
import torch.nn as nn

from ..models.backbones import SpaceToDepthChain
from .damoyolo_official import damoyolo_key_map
from .giraffedet_official import giraffedet_key_map


class ConversionError(ValueError):
    """An official checkpoint does not fit the model built from the config."""


# What the official trainers write besides the weights: DAMO-YOLO's save_ckpt
# (damo/apis/detector_trainer.py) and MMDetection 2's (GiraffeDet).
TRAINING_ENTRIES = ('epoch', 'optimizer', 'feature_loss', 'meta')
# Classifiers with an extra (background) channel: early DAMO-YOLO heads (legacy=True) and
# GiraffeDet's GFocalHead (QFL with use_sigmoid=False in MMDetection 2).
EXTRA_CLASS_CHANNEL = re.compile(r'^(head\.gfl_cls\.\d+|bbox_head\.gfl_cls)\.(weight|bias)$')


def official_key_map(detector: nn.Module) -> dict[str, str]:
    """``{our key: official key}`` for a DAMO-YOLO or GiraffeDet detector built here."""
    if isinstance(detector.backbone, SpaceToDepthChain):
        return giraffedet_key_map(detector)
    return damoyolo_key_map(detector)


def _strip_wrappers(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop a DDP ``module.`` prefix."""
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def official_weights(checkpoint: Any) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The model weights of an official checkpoint, and notes on what else it held.

    Accepts what the official code saves and loads: DAMO-YOLO's trainer's ``{'epoch', 'model',
    'optimizer', 'feature_loss'}`` (``model`` is the EMA copy when EMA is on; ``feature_loss``
    holds a distillation run's student-to-teacher projections, which are not part of the
    detector), a released ``{'model': ...}``, MMDetection 2's ``{'meta', 'state_dict',
    'optimizer'}`` (GiraffeDet), or a bare state dict.

    Raises:
        ConversionError: no state dict found, or a re-parameterised (deploy-form) model.
    """
    notes = []
    state = checkpoint
    weights_key = next((k for k in ('model', 'state_dict') if isinstance(checkpoint, Mapping)
                        and isinstance(checkpoint.get(k), Mapping)), None)
    if weights_key is not None:
        state = checkpoint[weights_key]
        other = sorted(k for k in checkpoint if k != weights_key)
        if other:
            known = [k for k in other if k in TRAINING_ENTRIES]
            notes.append(f'ignored training state: {", ".join(other)}'
                         + ('' if len(known) == len(other) else ' (not written by the official trainer)'))
    if not isinstance(state, Mapping) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ConversionError('expected a state dict or a dict with a "model" or "state_dict" one')
    if any(k.startswith('module.') for k in state):
        notes.append('stripped the "module." prefix of a distributed-training save')
    state = _strip_wrappers(state)
    if any('rbr_reparam' in k for k in state):
        raise ConversionError('a re-parameterised (deploy-form) model (rbr_reparam tensors); '
                              'convert the training-form checkpoint the official trainer saves, '
                              'then re-parameterise with detection.export')
    return state, notes


def _extra_class_channel(official: dict[str, torch.Tensor], own: Mapping[str, torch.Tensor],
                         key_map: Mapping[str, str]) -> list[str]:
    """Classifiers with ``num_classes + 1`` channels (early DAMO-YOLO ``legacy=True`` heads drop
    the last at inference; GiraffeDet's is MMDetection 2's background channel, trained towards
    0): keep the first ``num_classes``, in place."""
    theirs_to_ours = {v: k for k, v in key_map.items()}
    sliced = []
    for key, tensor in official.items():
        ours = theirs_to_ours.get(key)
        if EXTRA_CLASS_CHANNEL.match(key) and ours is not None and tensor.shape[0] == own[ours].shape[0] + 1 \
                and tensor.shape[1:] == own[ours].shape[1:]:
            official[key] = tensor[:-1]
            sliced.append(key)
    return [f'dropped the extra (background / legacy) class channel of {len(sliced)} classifier '
            'tensors, as the official inference does'] if sliced else []


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
    adapted = _extra_class_channel(official, own, key_map)
    if notes is not None:
        notes.extend(adapted)
    missing = sorted(v for v in key_map.values() if v not in official)
    leftover = sorted(set(official) - set(key_map.values()))
    if missing or leftover:
        raise ConversionError(
            f'the official checkpoint does not match this config: {len(missing)} tensors missing '
            f'(first: {missing[:5]}), {len(leftover)} unused (first: {leftover[:5]}). Check that the '
            'config has the checkpoint\'s model size (DAMO-YOLO T/S/M/L/N/Ns/Nm/Nl, GiraffeDet '
            'D7/D11/...) and num_classes.')
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
