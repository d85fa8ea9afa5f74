"""Rename official DAMO-YOLO state dicts to this implementation's layout, and back."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn

from .damoyolo_official import official_key_map


class ConversionError(ValueError):
    """An official checkpoint does not fit the model built from the config."""


def _strip_wrappers(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop a DDP ``module.`` prefix."""
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def convert_official_state_dict(official: Mapping[str, torch.Tensor],
                                detector: nn.Module) -> dict[str, torch.Tensor]:
    """Official ``Detector`` state dict -> ``state_dict`` loadable into ``detector`` (strict).

    Args:
        official: the official checkpoint's ``'model'`` entry (``module.`` prefixes allowed).
        detector: the model built from the matching config of this package.

    Raises:
        ConversionError: official tensors missing, left over, or of a different shape; the
            message names them and suggests the config to check.
    """
    official = _strip_wrappers(official)
    key_map = official_key_map(detector)
    own = detector.state_dict()
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
