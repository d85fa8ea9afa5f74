"""Parameter names of the official GiraffeDet code (damo-cv/GiraffeDet, MMDetection 2) for this
implementation.

The official model is MMDetection 2's ``GFL(backbone, neck, bbox_head)``:

- ``Space2DepthChain``: ``conv1``, ``conv2`` (each ``conv``/``bn``), then ``focus_8x`` ...
  ``focus_128x``, each a ``Focus`` holding one such ``Conv`` as ``conv``;
- ``GiraffeNeck``: one ``GiraffeLayer`` at ``cell.giraffeNeck`` whose ``fnode[i]`` holds
  ``after_combine.conv1x1`` (no bias) and ``after_combine.conv`` (``conv``/``bn``); the nodes are
  numbered as this package's ``GFPN.nodes`` (both follow the same generated graph);
- ``GFocalHead``: ``cls_convs``/``reg_convs`` (``ConvModule``: ``conv``/``gn``), ``gfl_cls``,
  ``gfl_reg``, ``scales``, ``reg_conf`` (the DGQP: conv, ReLU, conv, Sigmoid) and
  ``integral.project``. Its ``gfl_cls`` has 81 channels: QFL with ``use_sigmoid=False`` makes
  MMDetection 2 add a background channel, trained towards 0 and dropped by the converter.
"""
from __future__ import annotations

import torch.nn as nn

from ..models.backbones import SpaceToDepthChain
from ..models.necks import GFPN

KeyMap = dict[str, str]

FOCUS_NAMES = ('focus_8x', 'focus_16x', 'focus_32x', 'focus_64x', 'focus_128x')
NODE_PARTS = {'conv1x1': 'after_combine.conv1x1', 'conv3x3': 'after_combine.conv.conv',
              'norm': 'after_combine.conv.bn'}


def _rename(state_keys, ours_prefix: str, rules: dict[str, str]) -> KeyMap:
    """``{our key: official key}`` for the keys under ``ours_prefix``, by prefix substitution."""
    out = {}
    for key in state_keys:
        for mine, theirs in rules.items():
            if key.startswith(mine + '.'):
                out[f'{ours_prefix}.{key}'] = f'{ours_prefix}.{theirs}{key[len(mine):]}'
                break
        else:
            out[f'{ours_prefix}.{key}'] = f'{ours_prefix}.{key}'
    return out


def giraffedet_key_map(detector: nn.Module) -> KeyMap:
    """Map every ``state_dict`` key of a GiraffeDet built here to the official key.

    Raises:
        TypeError: not a ``SpaceToDepthChain`` + ``GFPN`` model.
    """
    if not isinstance(detector.backbone, SpaceToDepthChain) or not isinstance(detector.neck, GFPN):
        raise TypeError('no official GiraffeDet layout for a '
                        f'{type(detector.backbone).__name__} + {type(detector.neck).__name__} model')
    backbone = {'stem.0': 'conv1', 'stem.1': 'conv2'}
    backbone.update({f'blocks.{i}.conv': f'{name}.conv' for i, name in enumerate(FOCUS_NAMES)})
    neck = {f'nodes.{i}.{part}': f'cell.giraffeNeck.fnode.{i}.{theirs}'
            for i in range(len(detector.neck.nodes)) for part, theirs in NODE_PARTS.items()}
    out = _rename(detector.backbone.state_dict(), 'backbone', backbone)
    out.update(_rename(detector.neck.state_dict(), 'neck', neck))
    out.update(_rename(detector.bbox_head.state_dict(), 'bbox_head', {'dgqp.mlp': 'reg_conf'}))
    return out
