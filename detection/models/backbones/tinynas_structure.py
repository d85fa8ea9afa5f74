"""TinyNAS (MAE-NAS) structure definitions: parsing and validation.

A structure is the list that MAE-NAS writes (``nas_backbones/*.txt`` in the official repository),
held in the configs as data (``configs/_base_/tinynas/``) with readable key names::

    [dict(block='ConvKXBNRELU', in_channels=3, out_channels=24, kernel_size=3, stride=1),
     dict(block='SuperResConvK1KX', in_channels=24, out_channels=64, mid_channels=24,
          kernel_size=3, stride=2, num_blocks=2), ...]

(MAE-NAS names: ``class``, ``in``, ``out``, ``btn``, ``k``, ``s``, ``L``; ``class`` and ``in`` are
Python keywords, which MMEngine cannot write back into a config file.) Entry 0 is the stem; every
later entry is a stage of ``num_blocks`` residual blocks of bottleneck width ``mid_channels``
whose first block has the stride.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

STEM_CLASS = 'ConvKXBNRELU'
BLOCK_CLASSES = {'SuperResConvK1KX': 'k1kx', 'SuperResConvKXKX': 'kxkx'}
_STEM_KEYS = {'block', 'in_channels', 'out_channels', 'kernel_size', 'stride'}
_STAGE_KEYS = _STEM_KEYS | {'mid_channels', 'num_blocks'}


@dataclass(frozen=True)
class StageSpec:
    """One entry of a structure, with channel counts after ``widen_factor``.

    Attributes:
        block_type: ``'stem'``, ``'k1kx'`` or ``'kxkx'``.
        in_channels, out_channels, mid_channels: widths (the stem has no ``mid_channels``: 0).
        kernel_size: k of the kxk convolutions.
        stride: stride of the first block.
        num_blocks: blocks in the stage (1 for the stem).
    """
    block_type: str
    in_channels: int
    out_channels: int
    mid_channels: int
    kernel_size: int
    stride: int
    num_blocks: int


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round ``value`` to a multiple of ``divisor`` without going below 90% of it (official rule)."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _scale(channels: int, widen_factor: float) -> int:
    return channels if widen_factor == 1.0 else make_divisible(channels * widen_factor)


def parse_structure(structure: Sequence[Mapping], widen_factor: float = 1.0) -> list[StageSpec]:
    """Validate a structure and turn it into :class:`StageSpec` entries.

    Args:
        structure: the list described in the module docstring.
        widen_factor: multiplies every width except the 3 image channels (rounded to multiples
            of 8); 1.0 reproduces the structure exactly. Used for reduced models on small data.

    Raises:
        ValueError: an unknown class or key, a missing key, or a stage whose input width differs
            from the previous stage's output width; the message names the entry.
    """
    if not structure:
        raise ValueError('TinyNAS structure is empty')
    specs: list[StageSpec] = []
    for idx, entry in enumerate(structure):
        cls = entry.get('block')
        keys = set(entry)
        if idx == 0:
            if cls != STEM_CLASS:
                raise ValueError(f"TinyNAS structure entry 0 must be the '{STEM_CLASS}' stem, got '{cls}'")
            expected = _STEM_KEYS
        elif cls in BLOCK_CLASSES:
            expected = _STAGE_KEYS
        else:
            raise ValueError(f"TinyNAS structure entry {idx}: unknown class '{cls}' "
                             f"(known: {sorted(BLOCK_CLASSES)})")
        if keys != expected:
            raise ValueError(f'TinyNAS structure entry {idx} ({cls}): missing keys '
                             f'{sorted(expected - keys)}, unknown keys {sorted(keys - expected)}')
        if specs and entry['in_channels'] != structure[idx - 1]['out_channels']:
            raise ValueError(f"TinyNAS structure entry {idx}: in_channels={entry['in_channels']} "
                             f"differs from the previous out_channels={structure[idx - 1]['out_channels']}")
        in_channels = entry['in_channels'] if idx == 0 else _scale(entry['in_channels'], widen_factor)
        specs.append(StageSpec(
            block_type='stem' if idx == 0 else BLOCK_CLASSES[cls],
            in_channels=in_channels,
            out_channels=_scale(entry['out_channels'], widen_factor),
            mid_channels=0 if idx == 0 else _scale(entry['mid_channels'], widen_factor),
            kernel_size=entry['kernel_size'],
            stride=entry['stride'],
            num_blocks=1 if idx == 0 else entry['num_blocks']))
    return specs
