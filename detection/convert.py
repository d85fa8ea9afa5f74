"""Convert an official DAMO-YOLO checkpoint (tinyvision/damo-yolo) to this implementation.

    python -m detection.convert <config> <official.pth> <out.pth>

The config must describe the same model as the checkpoint (e.g. the T config for
``damoyolo_tinynasL20_T.pth``). Accepted: the official trainer's saves (``epoch``/``model``/
``optimizer``/``feature_loss``; ``model`` is the EMA copy), released ``{'model': ...}`` files,
bare state dicts, ``module.`` prefixes and early releases' legacy 81-channel heads; what is
ignored or adapted is printed. Re-parameterised (deploy-form) files are refused. The output is an MMEngine checkpoint (``state_dict`` + ``meta``)
for ``detection.evaluate``, ``detection.demo --checkpoint``, ``load_from=`` in a config for
fine-tuning, or a teacher's ``teacher_ckpt``; the converted model's outputs equal the official
model's on the same input.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common.checkpoint import load_checkpoint, save_checkpoint
from .converters import ConversionError, convert_official_state_dict, official_weights
from .runtime import build_detector_from_config, load_config, source_dataset_cfg


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog='python -m detection.convert', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='detection config of the same model size')
    parser.add_argument('official', help='official checkpoint (.pth with a "model" entry)')
    parser.add_argument('out', help='output checkpoint path')
    args = parser.parse_args(argv)
    try:
        state, notes = official_weights(load_checkpoint(args.official))
        detector = build_detector_from_config(args.config)
        converted = convert_official_state_dict(state, detector, notes)
    except ConversionError as e:
        raise SystemExit(f'{args.official}: {e}') from e
    detector.load_state_dict(converted, strict=True)
    for note in notes:
        print(f'note: {note}')
    classes = source_dataset_cfg(load_config(args.config).test_dataloader.dataset).metainfo['classes']
    out = save_checkpoint(args.out, dict(state_dict=converted, meta=dict(
        source=str(args.official), config=str(args.config), converted_by='detection.convert',
        dataset_meta=dict(classes=list(classes)))))
    print(f'converted {len(converted)} tensors from {args.official} -> {out}')
    return out


if __name__ == '__main__':
    main()
