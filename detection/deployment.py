"""The deployable graph of a detector and its ONNX export with an onnxruntime parity check.

:class:`DeployModel` is ``image -> (scores, boxes)`` for every prior, before NMS, as the official
export (``export_with_post``) produces: ``scores (N, P, C)`` in [0, 1] and ``boxes (N, P, 4)``
as (x1, y1, x2, y2) in input pixels. :class:`NMSDeployModel` adds the multi-class NMS of the
config's ``test_cfg`` to the graph (ONNX ``NonMaxSuppression``). Batch size and image size are
dynamic. A head qualifies when it has ``decode_all(*head_outputs)``.
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


class _NonMaxSuppression(torch.autograd.Function):
    """Per image and class NMS of ``boxes (N, P, 4)`` with ``scores (N, C, P)``: the selected
    ``(batch, class, prior)`` triples ``(K, 3)``, each class's in descending score order.

    Exported as ONNX ``NonMaxSuppression`` (no library op maps to it directly from PyTorch);
    eager mode runs ``torchvision.ops.nms`` with the same rules: scores above
    ``score_threshold``, suppression above ``iou_threshold``, at most ``max_per_class``.
    """

    @staticmethod
    def forward(ctx, boxes: Tensor, scores: Tensor, max_per_class: int, iou_threshold: float,
                score_threshold: float) -> Tensor:
        from torchvision.ops import nms

        selected = []
        for b in range(scores.shape[0]):
            for c in range(scores.shape[1]):
                keep = (scores[b, c] > score_threshold).nonzero().flatten()
                kept = keep[nms(boxes[b, keep], scores[b, c, keep], iou_threshold)][:max_per_class]
                selected.append(torch.stack([torch.full_like(kept, b), torch.full_like(kept, c), kept], 1))
        return torch.cat(selected) if selected else boxes.new_zeros((0, 3), dtype=torch.long)

    @staticmethod
    def symbolic(g, boxes, scores, max_per_class, iou_threshold, score_threshold):
        def const(value, dtype):
            return g.op('Constant', value_t=torch.tensor([value], dtype=dtype))
        return g.op('NonMaxSuppression', boxes, scores, const(max_per_class, torch.long),
                    const(iou_threshold, torch.float), const(score_threshold, torch.float))


class NMSDeployModel(nn.Module):
    """:class:`DeployModel` followed by multi-class NMS inside the graph.

    Every (prior, class) pair scoring above ``score_thr`` is a candidate; NMS runs per image
    and class (as MMDetection's ``batched_nms``); at most ``max_per_class`` boxes survive per
    image and class. Unlike ``test_cfg.max_per_img``, survivors are not capped per image.

    Args:
        deploy: the pre-NMS graph.
        score_thr, iou_thr: ``test_cfg.score_thr`` and ``test_cfg.nms.iou_threshold``.
        max_per_class: per image and class.

    Shapes:
        ``(N, 3, H, W)`` -> ``detections (K, 7)``: batch index, x1, y1, x2, y2, score, label.
    """

    def __init__(self, deploy: DeployModel, score_thr: float, iou_thr: float,
                 max_per_class: int = 500) -> None:
        super().__init__()
        self.deploy = deploy
        self.score_thr, self.iou_thr, self.max_per_class = score_thr, iou_thr, max_per_class

    @classmethod
    def from_test_cfg(cls, deploy: DeployModel) -> 'NMSDeployModel':
        cfg = deploy.detector.bbox_head.test_cfg
        return cls(deploy, cfg.get('score_thr', 0.0), cfg.nms.iou_threshold, cfg.get('max_per_img', 500))

    def forward(self, images: Tensor) -> Tensor:
        scores, boxes = self.deploy(images)
        selected = _NonMaxSuppression.apply(boxes, scores.transpose(1, 2).contiguous(),
                                            self.max_per_class, self.iou_thr, self.score_thr)
        batch, label, prior = selected[:, 0], selected[:, 1], selected[:, 2]
        flat = batch * boxes.shape[1] + prior  # one gather index (exports as ONNX Gather)
        det_scores = scores.reshape(-1)[flat * scores.shape[2] + label]
        return torch.cat([batch[:, None].float(), boxes.reshape(-1, 4)[flat],
                          det_scores[:, None], label[:, None].float()], 1)


@dataclass
class ExportReport:
    """Result of :func:`export_onnx`: the file and the largest absolute output differences."""
    path: Path
    max_score_diff: float
    max_box_diff: float


def export_onnx(model: nn.Module, path: str | Path, input_size: tuple[int, int],
                opset: int = 13, seed: int = 0,
                check_sizes: tuple[tuple[int, int], ...] = ()) -> ExportReport:
    """Export a :class:`DeployModel` or :class:`NMSDeployModel` (eval mode) to ONNX with
    dynamic batch and image size, and compare onnxruntime with PyTorch.

    Args:
        model: the graph (already re-parameterised if wanted).
        path: output ``.onnx`` file.
        input_size: ``(height, width)`` of the traced example.
        opset: ONNX opset (NMS needs 11 or later).
        seed: seed of the random test images.
        check_sizes: further ``(height, width)`` sizes run through both (the dynamic axes).

    Returns:
        :class:`ExportReport`: max |onnxruntime - PyTorch| of scores and boxes over the sizes
        (for NMS outputs, the detections must match one to one, in PyTorch's order per class).
    """
    import onnx
    import onnxruntime as ort

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    with_nms = isinstance(model, NMSDeployModel)
    outputs = ['detections'] if with_nms else ['scores', 'boxes']
    axes = {'images': {0: 'batch', 2: 'height', 3: 'width'}}
    axes.update({'detections': {0: 'detections'}} if with_nms else
                {'scores': {0: 'batch', 1: 'priors'}, 'boxes': {0: 'batch', 1: 'priors'}})
    generator = torch.Generator().manual_seed(seed)
    image = torch.rand(1, 3, *input_size, generator=generator) * 255
    with torch.no_grad():
        torch.onnx.export(model, (image, ), str(path), input_names=['images'], output_names=outputs,
                          opset_version=opset, dynamo=False, dynamic_axes=axes)
    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])
    score_diff = box_diff = 0.0
    for size in (tuple(input_size), *check_sizes):
        image = torch.rand(2, 3, *size, generator=generator) * 255
        with torch.no_grad():
            ref = model(image)
        got = session.run(None, {'images': image.numpy()})
        if with_nms:
            ref, got = _sorted(ref.numpy()), _sorted(got[0])
            if ref.shape != got.shape or (ref[:, [0, 6]] != got[:, [0, 6]]).any():
                raise AssertionError(f'{path}: onnxruntime kept {len(got)} detections at {size}, '
                                     f'PyTorch {len(ref)}')
            score_diff = max(score_diff, float(np.abs(ref[:, 5] - got[:, 5]).max(initial=0)))
            box_diff = max(box_diff, float(np.abs(ref[:, 1:5] - got[:, 1:5]).max(initial=0)))
        else:
            score_diff = max(score_diff, float(np.abs(got[0] - ref[0].numpy()).max()))
            box_diff = max(box_diff, float(np.abs(got[1] - ref[1].numpy()).max()))
    return ExportReport(path, score_diff, box_diff)


def _sorted(dets: np.ndarray) -> np.ndarray:
    """Detections ``(K, 7)`` ordered by batch, label, then descending score."""
    return dets[np.lexsort((-dets[:, 5], dets[:, 6], dets[:, 0]))]
