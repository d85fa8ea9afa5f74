"""ONNX export of a ReID model's test feature, checked against PyTorch with onnxruntime.

The graph takes ``images [B, 3, H, W]`` as the model does (values in [0, 1]; the model's ``pixel_mean`` /
``pixel_std`` normalisation is inside) and returns ``features [B, D]``: what ``model.eval()(images)`` returns,
the head's test feature, not L2-normalised. The batch dimension is dynamic; ``dynamic_size=True`` also frees
height and width (convolutional backbones only: a ViT's position embedding fixes its input size).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..fileio import atomic_open


@dataclass(frozen=True)
class ExportReport:
    """Where the graph went and the largest |onnxruntime - PyTorch| feature difference per checked input
    shape ``(batch, height, width)``."""

    path: Path
    feature_dim: int
    max_abs_diff: dict[tuple[int, int, int], float]


def export_reid_onnx(model: nn.Module, path: str | Path, input_size: tuple[int, int], *, opset: int = 17,
                     dynamic_size: bool = False, check_shapes: tuple[tuple[int, int, int], ...] | None = None,
                     atol: float = 1e-3, seed: int = 0) -> ExportReport:
    """Export ``model`` (put in eval mode) to ``path`` and compare onnxruntime with PyTorch.

    Args:
        input_size: ``(height, width)`` of the traced input (the model's test size).
        dynamic_size: also make height and width dynamic.
        check_shapes: ``(batch, height, width)`` inputs compared after the export (default: batches 1 and 3
            at ``input_size``, plus a 16-pixel larger size when ``dynamic_size``).
        atol: largest accepted difference, relative to the largest feature magnitude.

    Raises:
        RuntimeError: onnxruntime's features differ from PyTorch's by more than ``atol`` (the file is kept
            for inspection).
    """
    import onnx
    import onnxruntime as ort

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    height, width = input_size
    image = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(seed))
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic_size else {0: "batch"}
    with torch.no_grad(), atomic_open(path, "wb") as f:
        torch.onnx.export(model, (image,), f, input_names=["images"], output_names=["features"],
                          opset_version=opset, dynamo=False,
                          dynamic_axes={"images": axes, "features": {0: "batch"}})
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if check_shapes is None:
        check_shapes = ((1, height, width), (3, height, width))
        if dynamic_size:
            check_shapes += ((2, height + 16, width + 16),)
    diffs, dim = {}, 0
    generator = torch.Generator().manual_seed(seed + 1)
    for batch, h, w in check_shapes:
        images = torch.rand(batch, 3, h, w, generator=generator)
        with torch.no_grad():
            expected = model(images).numpy()
        (features,) = session.run(None, {"images": images.numpy()})
        if features.shape != expected.shape:
            raise RuntimeError(f"{path}: onnxruntime returned features {features.shape} for input "
                               f"{(batch, 3, h, w)}, PyTorch {expected.shape}")
        diff = float(np.abs(features - expected).max())
        if diff > atol * max(float(np.abs(expected).max()), 1.0):
            raise RuntimeError(f"{path}: onnxruntime differs from PyTorch by {diff:.3g} for input {(batch, 3, h, w)}")
        diffs[(batch, h, w)] = diff
        dim = expected.shape[1]
    return ExportReport(path, dim, diffs)
