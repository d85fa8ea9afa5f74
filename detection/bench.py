"""CPU latency of DAMO-YOLO-T and GiraffeDet-D7 before/after re-parameterisation and in ONNX
Runtime, against MMDetection's RTMDet-tiny at the same input size, in one process.

    python -m detection.bench [--input-size 640] [--iters 5] [--warmup 2] [--threads N]
                              [--work-dir DIR]

All models run backbone + neck + head on one image (DAMO-YOLO-T and GiraffeDet-D7 also decode
their boxes; none runs NMS), with random weights (latency does not depend on them).
"re-parameterised" is RepConv fusion plus BatchNorm folding for T, BatchNorm folding for
RTMDet-tiny and GiraffeDet-D7 (its head's GroupNorm stays). Reported: median milliseconds over
``--iters`` runs of each model in each form, DAMO-YOLO-T's latency relative to RTMDet-tiny,
GiraffeDet-D7's relative to DAMO-YOLO-T in the same form, and T relative to its own training
form in PyTorch. The input size must be a multiple of 128 (GiraffeDet's coarsest stride).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn

from common.runlog import RunLogger
from .deployment import DeployModel
from .models import reparameterize
from .runtime import CONFIG_DIR, build_detector_from_config, init_mmdet

DAMO_T = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t_8xb32-300e_coco.py'
GIRAFFEDET_D7 = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'
RTMDET_TINY = 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py'


class TensorModel(nn.Module):
    """A detector's ``mode='tensor'`` forward (backbone, neck, head outputs) as a plain module."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor) -> tuple:
        return self.detector._forward(images)


def _median_ms(fn: Callable[[], object], iters: int, warmup: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _torch_ms(model: nn.Module, image: torch.Tensor, iters: int, warmup: int) -> float:
    with torch.inference_mode():
        return _median_ms(lambda: model(image), iters, warmup)


def _onnx_ms(model: nn.Module, image: torch.Tensor, iters: int, warmup: int, threads: int) -> float:
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / 'model.onnx')
        with torch.no_grad():
            torch.onnx.export(model, (image, ), path, opset_version=13, dynamo=False)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        feed = {session.get_inputs()[0].name: image.numpy()}
        return _median_ms(lambda: session.run(None, feed), iters, warmup)


def _rtmdet_tiny() -> nn.Module:
    from mmengine.config import Config
    from mmdet.registry import MODELS
    import mmdet

    cfg = Config.fromfile(str(Path(mmdet.__file__).parent / '.mim' / 'configs' / RTMDET_TINY))
    return MODELS.build(cfg.model).eval()


def run(input_size: int, iters: int, warmup: int, threads: int) -> list[dict]:
    """Time the three models in three forms; one row per form with the latencies and ratios."""
    if input_size % 128:
        raise ValueError(f'--input-size must be a multiple of 128 (GiraffeDet); got {input_size}')
    init_mmdet()
    torch.set_num_threads(threads)
    # Random weights can drive activations into subnormal floats, which x86 CPUs compute
    # orders of magnitude slower; trained models rarely do. Flush them to zero.
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    image = torch.rand(1, 3, input_size, input_size, generator=torch.Generator().manual_seed(0)) * 255
    models = {'RTMDet-tiny': TensorModel(_rtmdet_tiny()).eval(),
              'DAMO-YOLO-T': DeployModel(build_detector_from_config(DAMO_T)).eval(),
              'GiraffeDet-D7': DeployModel(build_detector_from_config(GIRAFFEDET_D7)).eval()}
    for model in models.values():  # first calls in a process pay one-off kernel set-up costs
        _torch_ms(model, image, 1, warmup)
    timings = {'PyTorch': {n: _torch_ms(m, image, iters, warmup) for n, m in models.items()}}
    for model in models.values():
        reparameterize(model)
    timings['PyTorch, re-parameterised'] = {n: _torch_ms(m, image, iters, warmup)
                                            for n, m in models.items()}
    timings['ONNX Runtime, re-parameterised'] = {n: _onnx_ms(m, image, iters, warmup, threads)
                                                 for n, m in models.items()}
    damo_pytorch = timings['PyTorch']['DAMO-YOLO-T']
    return [{'runtime': runtime, 'input': f'{input_size}x{input_size}', 'threads': threads,
             'RTMDet-tiny ms': round(ms['RTMDet-tiny'], 1), 'DAMO-YOLO-T ms': round(ms['DAMO-YOLO-T'], 1),
             'GiraffeDet-D7 ms': round(ms['GiraffeDet-D7'], 1),
             'T / RTMDet-tiny': round(ms['DAMO-YOLO-T'] / ms['RTMDet-tiny'], 3),
             'D7 / T': round(ms['GiraffeDet-D7'] / ms['DAMO-YOLO-T'], 3),
             'T / T in PyTorch': round(ms['DAMO-YOLO-T'] / damo_pytorch, 3)}
            for runtime, ms in timings.items()]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog='python -m detection.bench', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--input-size', type=int, default=640)
    parser.add_argument('--iters', type=int, default=5, help='timed runs per variant')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs first')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--work-dir', default='work_dirs/bench', help='output folder')
    args = parser.parse_args(argv)
    rows = run(args.input_size, args.iters, args.warmup, args.threads)
    with RunLogger(args.work_dir, tensorboard=False) as log:
        log.save_table(rows, 'bench', title='CPU latency, median ms (lower is better)')
    return rows


if __name__ == '__main__':
    main()
