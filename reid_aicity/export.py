"""Export a trained model's test feature to ONNX: ``python -m reid_aicity.export RUN_DIR [--out FILE]
[--opset N] [--dynamic-size]``.

The graph (``common.reid.export``) takes ``images [B, 3, H, W]`` at the run's ``input.size_test`` (values in
[0, 1], as the test transform gives them; the normalisation is inside) and returns the un-normalised ``features
[B, D]`` of one view; the test-time flip and L2 normalisation stay with the caller. onnxruntime is checked
against PyTorch at two batch sizes before the command returns. Default output: ``RUN_DIR/model.onnx``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from common.reid.export import ExportReport, export_reid_onnx

from .models import model_from_run


def main(argv: list[str] | None = None) -> ExportReport:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.export", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="a training run directory (its config and latest checkpoint)")
    parser.add_argument("--out", help="the .onnx file (default RUN_DIR/model.onnx)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--dynamic-size", action="store_true", help="dynamic height and width (CNN backbones)")
    args = parser.parse_args(argv)
    model, cfg = model_from_run(args.run_dir)
    out = Path(args.out) if args.out else Path(args.run_dir) / "model.onnx"
    report = export_reid_onnx(model, out, tuple(cfg.input.size_test), opset=args.opset,
                              dynamic_size=args.dynamic_size)
    print(f"{report.path}: features [B, {report.feature_dim}]; max |onnxruntime - PyTorch| "
          + ", ".join(f"{d:.2e} at {shape}" for shape, d in report.max_abs_diff.items()))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
