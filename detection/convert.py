"""Convert an official DAMO-YOLO checkpoint (tinyvision/damo-yolo) to this implementation.

    python -m detection.convert <config> <official.pth> <out.pth>

The config must describe the same model as the checkpoint (e.g. the T config for
``damoyolo_tinynasL20_T.pth``). The output is an MMEngine checkpoint (``state_dict`` + ``meta``)
for ``detection.evaluate``, ``detection.demo --checkpoint``, ``load_from=`` in a config for
fine-tuning, or a teacher's ``teacher_ckpt``; the converted model's outputs equal the official
model's on the same input.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from common.checkpoint import load_checkpoint, save_checkpoint
from .converters import convert_official_state_dict
from .runtime import build_detector_from_config


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog='python -m detection.convert', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='detection config of the same model size')
    parser.add_argument('official', help='official checkpoint (.pth with a "model" entry)')
    parser.add_argument('out', help='output checkpoint path')
    args = parser.parse_args(argv)
    checkpoint = load_checkpoint(args.official)
    state = checkpoint.get('model', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SystemExit(f'{args.official}: expected a state dict or a dict with a "model" state dict')
    detector = build_detector_from_config(args.config)
    converted = convert_official_state_dict(state, detector)
    detector.load_state_dict(converted, strict=True)
    out = save_checkpoint(args.out, dict(state_dict=converted, meta=dict(
        source=str(args.official), config=str(args.config), converted_by='detection.convert')))
    print(f'converted {len(converted)} tensors from {args.official} -> {out}')
    return out


if __name__ == '__main__':
    main()
