"""Latency of DAMO-YOLO-T and GiraffeDet-D7 before/after re-parameterisation and in ONNX
Runtime, against MMDetection's RTMDet-tiny at the same input size, in one process, on the CPU
or a GPU.

    python -m detection.bench [--input-size 640] [--batch-size 1 [32 ...]] [--device cpu|cuda]
                              [--iters 5] [--warmup 2] [--threads N] [--work-dir DIR]

All models run backbone + neck + head on a batch of images (DAMO-YOLO-T and GiraffeDet-D7 also
decode their boxes; none runs NMS), with random weights (latency does not depend on them).
"re-parameterised" is RepConv fusion plus BatchNorm folding for T, BatchNorm folding for
RTMDet-tiny and GiraffeDet-D7 (its head's GroupNorm stays). ONNX Runtime runs the exported
re-parameterised graph with the CPU provider, or the CUDA provider for ``--device cuda`` (that row
is reported as unavailable when the installed onnxruntime has no working CUDA provider); inputs
and outputs stay on the device (I/O binding), as the PyTorch rows' do. GPU timings wait for the
device to finish each call.

Reported per batch size and form: median milliseconds over ``--iters`` runs of each model,
DAMO-YOLO-T's latency relative to RTMDet-tiny, GiraffeDet-D7's relative to DAMO-YOLO-T in the same
form, T relative to its own training form in PyTorch, and for ONNX Runtime the largest relative
difference of its outputs from PyTorch's (``max |ORT - PyTorch| / max |PyTorch|`` per output). The
input size must be a multiple of 128 (GiraffeDet's coarsest stride). On a GPU, cuDNN's algorithm
search is on (``cudnn.benchmark``), as ONNX Runtime's CUDA provider searches by default.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from common.device import resolve_device
from common.runlog import RunLogger
from .deployment import DeployModel
from .models import reparameterize
from .runtime import CONFIG_DIR, build_detector_from_config, init_mmdet

DAMO_T = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t_8xb32-300e_coco.py'
GIRAFFEDET_D7 = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7_8xb2-73e_coco.py'
RTMDET_TINY = 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py'
MODEL_NAMES = ('RTMDet-tiny', 'DAMO-YOLO-T', 'GiraffeDet-D7')


class TensorModel(nn.Module):
    """A detector's ``mode='tensor'`` forward (backbone, neck, head outputs) as a plain module."""

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        self.detector = detector

    def forward(self, images: torch.Tensor) -> tuple:
        return self.detector._forward(images)


def flat_tensors(outputs) -> list[torch.Tensor]:
    """The tensors of nested tuples/lists in depth-first order (the order ONNX export gives them)."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    return [t for item in outputs for t in flat_tensors(item)]


def _median_ms(fn: Callable[[], object], iters: int, warmup: int, device: torch.device) -> float:
    def call() -> None:
        fn()
        if device.type == 'cuda':  # kernels run asynchronously: time them to completion
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        call()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _torch_ms(model: nn.Module, images: torch.Tensor, iters: int, warmup: int) -> float:
    with torch.inference_mode():
        return _median_ms(lambda: model(images), iters, warmup, images.device)


class OnnxRuntimeModel:
    """A module exported to ONNX and run by ONNX Runtime on ``images.device`` with I/O binding.

    Raises ``RuntimeError`` when the device's execution provider is not available.
    """

    def __init__(self, model: nn.Module, images: torch.Tensor, threads: int, path: Path) -> None:
        import onnxruntime as ort

        with torch.no_grad():
            torch.onnx.export(model, (images, ), str(path), opset_version=13, dynamo=False)
        self.device = images.device
        provider = 'CUDAExecutionProvider' if self.device.type == 'cuda' else 'CPUExecutionProvider'
        if provider not in ort.get_available_providers():
            raise RuntimeError(f'onnxruntime {ort.__version__} has no {provider} (install onnxruntime-gpu)')
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        provider_options = [{'device_id': self.device.index or 0}] if self.device.type == 'cuda' else [{}]
        self.session = ort.InferenceSession(str(path), options, providers=[provider],
                                            provider_options=provider_options)
        if self.session.get_providers()[0] != provider:  # e.g. CUDA libraries missing: ORT falls back
            raise RuntimeError(f'onnxruntime could not start its {provider} (it runs '
                               f'{self.session.get_providers()})')
        self.images = images.contiguous()
        self.binding = self.session.io_binding()
        kind, index = self.device.type, self.device.index or 0
        self.binding.bind_input(self.session.get_inputs()[0].name, kind, index, np.float32,
                                tuple(self.images.shape), self.images.data_ptr())
        for output in self.session.get_outputs():
            self.binding.bind_output(output.name, kind, index)

    def __call__(self) -> list:
        self.session.run_with_iobinding(self.binding)
        return self.binding.get_outputs()

    def max_difference(self, reference: list[torch.Tensor]) -> float:
        """Largest relative difference over the outputs, ``max |ORT - PyTorch| / max |PyTorch|`` per output
        (outputs are boxes in pixels and probabilities; GPU convolutions in TF32 differ by ~1e-3 relative)."""
        outputs = [torch.from_numpy(o.numpy()) for o in self()]
        if len(outputs) != len(reference):
            raise RuntimeError(f'ONNX graph has {len(outputs)} outputs, PyTorch {len(reference)}')
        return max(float((o - r.detach().cpu()).abs().max() / r.detach().abs().max().clamp_min(1e-12).cpu())
                   for o, r in zip(outputs, reference))


def _rtmdet_tiny() -> nn.Module:
    from mmengine.config import Config
    from mmdet.registry import MODELS
    import mmdet

    cfg = Config.fromfile(str(Path(mmdet.__file__).parent / '.mim' / 'configs' / RTMDET_TINY))
    return MODELS.build(cfg.model).eval()


def _ratios(ms: dict[str, float | None], damo_pytorch: float) -> dict[str, float | None]:
    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else round(a / b, 3)

    return {**{f'{name} ms': None if ms[name] is None else round(ms[name], 1) for name in MODEL_NAMES},
            'T / RTMDet-tiny': ratio(ms['DAMO-YOLO-T'], ms['RTMDet-tiny']),
            'D7 / T': ratio(ms['GiraffeDet-D7'], ms['DAMO-YOLO-T']),
            'T / T in PyTorch': ratio(ms['DAMO-YOLO-T'], damo_pytorch)}


def _onnx_timings(models: dict[str, nn.Module], images: torch.Tensor, iters: int, warmup: int, threads: int
                  ) -> tuple[dict[str, float | None], float | None, str]:
    """ONNX Runtime medians per model, the largest output difference from PyTorch, and why the row
    is missing when the provider is not available."""
    ms: dict[str, float | None] = dict.fromkeys(models)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in models.items():
            try:
                session = OnnxRuntimeModel(model, images, threads, Path(tmp) / f'{name}.onnx')
            except RuntimeError as exc:
                return ms, None, str(exc)
            with torch.inference_mode():
                worst = max(worst, session.max_difference(flat_tensors(model(images))))
            ms[name] = _median_ms(session, iters, warmup, images.device)
    return ms, worst, ''


def run(input_size: int, iters: int, warmup: int, threads: int, batch_sizes: tuple[int, ...] = (1, ),
        device: str = 'cpu') -> list[dict]:
    """Time the three models in three forms at each batch size; one row per (batch, form)."""
    if input_size % 128:
        raise ValueError(f'--input-size must be a multiple of 128 (GiraffeDet); got {input_size}')
    if not batch_sizes or min(batch_sizes) < 1:
        raise ValueError(f'--batch-size must be positive integers; got {list(batch_sizes)}')
    target = resolve_device(device)
    # fixed shapes: let cuDNN pick its fastest algorithms, as ONNX Runtime's CUDA provider searches for them
    torch.backends.cudnn.benchmark = target.type == 'cuda'
    init_mmdet()
    torch.set_num_threads(threads)
    # Random weights can drive activations into subnormal floats, which x86 CPUs compute
    # orders of magnitude slower; trained models rarely do. Flush them to zero.
    torch.set_flush_denormal(True)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    batches = {b: (torch.rand(b, 3, input_size, input_size, generator=generator) * 255).to(target)
               for b in batch_sizes}
    models = {'RTMDet-tiny': TensorModel(_rtmdet_tiny()),
              'DAMO-YOLO-T': DeployModel(build_detector_from_config(DAMO_T)),
              'GiraffeDet-D7': DeployModel(build_detector_from_config(GIRAFFEDET_D7))}
    models = {name: model.to(target).eval() for name, model in models.items()}
    for model in models.values():  # first calls in a process pay one-off kernel set-up costs
        _torch_ms(model, batches[batch_sizes[0]], 1, warmup)
    timings = {b: {'PyTorch': {n: _torch_ms(m, x, iters, warmup) for n, m in models.items()}}
               for b, x in batches.items()}
    for model in models.values():
        reparameterize(model)
    rows = []
    for b, images in batches.items():
        timings[b]['PyTorch, re-parameterised'] = {n: _torch_ms(m, images, iters, warmup) for n, m in models.items()}
        onnx_ms, difference, missing = _onnx_timings(models, images, iters, warmup, threads)
        timings[b]['ONNX Runtime, re-parameterised'] = onnx_ms
        for runtime, ms in timings[b].items():
            onnx = runtime.startswith('ONNX')
            rows.append({'runtime': runtime, 'device': target.type, 'batch': b,
                         'input': f'{input_size}x{input_size}', 'threads': threads,
                         **_ratios(ms, timings[b]['PyTorch']['DAMO-YOLO-T']),
                         'ORT max rel. diff': (None if difference is None else float(f'{difference:.3g}')) if onnx
                         else None, 'note': missing if onnx else ''})
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog='python -m detection.bench', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--input-size', type=int, default=640)
    parser.add_argument('--batch-size', type=int, nargs='+', default=[1], help='images per call (several: a row each)')
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument('--iters', type=int, default=5, help='timed runs per variant')
    parser.add_argument('--warmup', type=int, default=2, help='untimed runs first')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--work-dir', default='work_dirs/bench', help='output folder')
    args = parser.parse_args(argv)
    rows = run(args.input_size, args.iters, args.warmup, args.threads, tuple(args.batch_size), args.device)
    with RunLogger(args.work_dir, tensorboard=False) as log:
        log.save_table(rows, 'bench', title=f'{rows[0]["device"].upper()} latency, median ms (lower is better)')
    return rows


if __name__ == '__main__':
    main()
