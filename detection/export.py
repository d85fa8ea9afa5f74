"""Re-parameterise a detector, export it to ONNX and check onnxruntime against PyTorch.

    python -m detection.export <config> [<checkpoint>] [--out model.onnx] [--input-size H W]
                               [--nms] [--opset 13] [--work-dir DIR]

Steps: build the model (and load the checkpoint; without one the weights are random, which is
enough to check the graph), re-parameterise it (RepConv branches fused, BatchNorm folded) and
check that its outputs are unchanged, export ``image -> (scores, boxes)`` before NMS, or with
``--nms`` ``image -> detections (K, 7)`` with the config's multi-class NMS in the graph
(:mod:`detection.deployment`). Batch and image size are dynamic; onnxruntime runs the file at
the input size and at a second size (one more ``pad_size_divisor`` step in height, two in width)
and the largest differences from PyTorch are reported.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from common.runlog import RunLogger
from .deployment import DeployModel, NMSDeployModel, export_onnx
from .models import reparameterize
from .runtime import build_detector_from_config, load_config


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog='python -m detection.export', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='detection config (.py)')
    parser.add_argument('checkpoint', nargs='?', help='trained or converted checkpoint')
    parser.add_argument('--out', help='ONNX file (default: <work-dir>/<config stem>.onnx)')
    parser.add_argument('--input-size', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size (default: the config's img_scale, padded up to a "
                             "multiple of data_preprocessor.pad_size_divisor as the model sees it)")
    parser.add_argument('--nms', action='store_true',
                        help="put the config's multi-class NMS into the graph (ONNX NonMaxSuppression)")
    parser.add_argument('--opset', type=int, default=13)
    parser.add_argument('--work-dir', default=None,
                        help='output folder (default: work_dirs/<config stem>/export)')
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    work_dir = Path(args.work_dir or Path('work_dirs') / Path(args.config).stem / 'export')
    out = Path(args.out or work_dir / f'{Path(args.config).stem}.onnx')
    divisor = cfg.model.get('data_preprocessor', {}).get('pad_size_divisor', 1)
    size = (tuple(args.input_size) if args.input_size else
            tuple(-(-side // divisor) * divisor for side in tuple(cfg.img_scale)[::-1]))
    detector = build_detector_from_config(cfg, args.checkpoint)
    model = DeployModel(detector).eval()
    image = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(1)) * 255
    with torch.no_grad():
        scores, boxes = model(image)
        reparameterize(detector)
        fused_scores, fused_boxes = model(image)
    graph = NMSDeployModel.from_test_cfg(model) if args.nms else model
    second = (size[0] + divisor, size[1] + 2 * divisor)
    report = export_onnx(graph, out, size, args.opset, check_sizes=(second, ))
    row = {
        'input (H, W)': f'{size[0]}x{size[1]} and {second[0]}x{second[1]}',
        'NMS in graph': args.nms,
        'reparam max |d score|': float((fused_scores - scores).abs().max()),
        'reparam max |d box| (px)': float((fused_boxes - boxes).abs().max()),
        'onnxruntime max |d score|': report.max_score_diff,
        'onnxruntime max |d box| (px)': report.max_box_diff,
        'onnx': str(report.path),
    }
    with RunLogger(work_dir, tensorboard=False) as log:
        log.save_table([row], 'export', title='Re-parameterisation and ONNX Runtime parity')
    return row


if __name__ == '__main__':
    main()
