"""The deployable graph of a detector and its ONNX export with an onnxruntime parity check.

The graph is ``image -> (scores, boxes)`` for every prior, before NMS, as the official export
(``export_with_post``) produces: ``scores (N, P, C)`` in [0, 1] and ``boxes (N, P, 4)`` as
(x1, y1, x2, y2) in input pixels. NMS stays outside (onnxruntime users run their own, or
``mmcv.ops.batched_nms``). A head qualifies when it has ``decode_all(*head_outputs)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor


class DeployModel(nn.Module):
    """``normalise -> backbone -> neck -> head -> decode_all``, without resizing, padding or NMS.

    The data preprocessor's mean/std normalisation is part of the graph when it is not the
    identity (GiraffeDet: ImageNet mean/std; DAMO-YOLO: mean 0, std 1, so nothing is added).

    Args:
        detector: an MMDetection single-stage detector whose head has ``decode_all``.

    Shapes:
        input ``(N, 3, H, W)`` RGB in 0..255, ``H`` and ``W`` multiples of the model's
        ``pad_size_divisor`` -> ``scores (N, P, C)``, ``boxes (N, P, 4)``.
    """

    def __init__(self, detector: nn.Module) -> None:
        super().__init__()
        if not hasattr(detector.bbox_head, 'decode_all'):
            raise TypeError(f'{type(detector.bbox_head).__name__} has no decode_all(): cannot '
                            'build the deployment graph')
        self.detector = detector
        preprocessor = getattr(detector, 'data_preprocessor', None)
        mean, std = getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)
        self.normalize = (getattr(preprocessor, '_enable_normalize', False) and mean is not None
                          and not (bool((mean == 0).all()) and bool((std == 1).all())))

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        if self.normalize:
            preprocessor = self.detector.data_preprocessor
            images = (images - preprocessor.mean) / preprocessor.std
        head = self.detector.bbox_head
        return head.decode_all(*head(self.detector.extract_feat(images)))


@dataclass
class ExportReport:
    """Result of :func:`export_onnx`: the file and the largest absolute output differences."""
    path: Path
    max_score_diff: float
    max_box_diff: float


def export_onnx(model: nn.Module, path: str | Path, input_size: tuple[int, int],
                opset: int = 13, seed: int = 0) -> ExportReport:
    """Export a :class:`DeployModel` (eval mode) to ONNX and compare onnxruntime with PyTorch.

    Args:
        model: the deployable graph (already re-parameterised if wanted).
        path: output ``.onnx`` file.
        input_size: ``(height, width)``; the exported graph has this fixed size and a dynamic
            batch dimension.
        opset: ONNX opset.
        seed: seed of the random test image.

    Returns:
        :class:`ExportReport` with the max |onnxruntime - PyTorch| of scores and boxes on a
        random image.
    """
    import onnx
    import onnxruntime as ort

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    image = torch.rand(1, 3, *input_size, generator=torch.Generator().manual_seed(seed)) * 255
    with torch.no_grad():
        torch.onnx.export(model, (image, ), str(path), input_names=['images'],
                          output_names=['scores', 'boxes'], opset_version=opset, dynamo=False,
                          dynamic_axes={'images': {0: 'batch'}, 'scores': {0: 'batch'},
                                        'boxes': {0: 'batch'}})
        ref_scores, ref_boxes = model(image)
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    scores, boxes = session.run(None, {'images': image.numpy()})
    return ExportReport(path, float(np.abs(scores - ref_scores.numpy()).max()),
                        float(np.abs(boxes - ref_boxes.numpy()).max()))
