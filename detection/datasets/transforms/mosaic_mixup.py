"""DAMO-YOLO's mosaic, random affine and mixup, as its official ``MosaicWrapper`` does them.

MMDetection has its own Mosaic/RandomAffine/MixUp; the official recipe differs in ways that
change the training images, so these are separate transforms (written here, not borrowed from
mmdet, because no library has the official variant):

- every tile is stretched to the canvas size (no keep-ratio) and the partners are drawn from the
  whole dataset (``get_indexes``, used by MMDetection's ``MultiImageMixDataset``), not a cache;
- the affine is composed about the image centre, ``M = T @ S @ R @ C``; with COCO polygons the
  new boxes are the extents of the transformed polygons (official ``segments`` path: 1000
  resampled points, those inside the image), else of the transformed box corners; then the
  official ``box_candidates`` rule filters them;
- mixup's partner is a raw image letterboxed into the canvas, jittered in scale, flipped, and
  blended 50/50 with the mosaic (with uint8 truncation);
- the final filter keeps boxes of area > 4 px^2.

Random draws use Python's ``random`` (MMEngine seeds it per worker) with the official
distributions and, within each transform, the official order; the partners (and whether mixup
happens) are drawn earlier, by ``get_indexes``, and the official ``mosaic_prob`` draw (1.0 in
every config) is not made. Given the same partners and draws, the outputs equal the official
wrapper's (compared in scratch).
Images are ``(H, W, 3)`` uint8 in the loader's channel order; boxes are pixel ``x1, y1, x2, y2``.
"""
from __future__ import annotations

import math
import random

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes

PAD_VALUE = 114  # official canvas and border fill


def _boxes(results: dict) -> tuple[np.ndarray, np.ndarray]:
    """Non-ignored boxes ``(n, 4)`` float64 and their labels ``(n,)`` (the official loader drops
    crowd boxes, which MMDetection flags as ignored)."""
    boxes = results['gt_bboxes'].numpy().astype(np.float64) if 'gt_bboxes' in results \
        else np.zeros((0, 4))
    labels = results.get('gt_bboxes_labels', np.zeros(len(boxes), np.int64))
    keep = ~results.get('gt_ignore_flags', np.zeros(len(boxes), bool)).astype(bool)
    return boxes[keep], labels[keep]


def _loaded_boxes(results: dict) -> tuple[np.ndarray, np.ndarray]:
    """``_boxes`` of a freshly loaded image, clipped to it with empty boxes dropped (the official
    ``pull_item``; it forgets to drop the dropped boxes' classes, which shifts later labels; here
    each box keeps its own)."""
    h, w = results['img'].shape[:2]
    boxes, labels = _boxes(results)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[keep], labels[keep]


def _loaded_segments(results: dict) -> list[np.ndarray]:
    """One ``(k, 2)`` point list per non-ignored object with a polygon annotation, its polygons
    concatenated (official ``pull_item``; objects without polygons have no entry, so the list can
    be shorter than the boxes, which makes the affine use box corners)."""
    segments = []
    for inst in results.get('instances', []):
        polygons = inst.get('mask')
        if inst.get('ignore_flag', 0) or not isinstance(polygons, list):
            continue
        points = [v for polygon in polygons for v in polygon]
        if points:
            segments.append(np.asarray(points, dtype=np.float32).reshape(-1, 2))
    return segments


def _set_boxes(results: dict, boxes: np.ndarray, labels: np.ndarray) -> dict:
    # Stored as float32 (MMDetection's boxes) between the steps; the official wrapper keeps
    # float64 until the end, which can only matter for a box exactly at a filter threshold.
    results['gt_bboxes'] = HorizontalBoxes(boxes.reshape(-1, 4).astype(np.float32))
    results['gt_bboxes_labels'] = labels.astype(np.int64)
    results['gt_ignore_flags'] = np.zeros(len(labels), dtype=bool)
    return results


def _set_image(results: dict, img: np.ndarray) -> dict:
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    return results


def mosaic_tile_placement(index: int, xc: int, yc: int, w: int, h: int, canvas_w: int,
                          canvas_h: int) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Where tile ``index`` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of size
    ``w x h`` goes on a ``canvas_w x canvas_h`` canvas split at ``(xc, yc)``.

    Returns ``(x1, y1, x2, y2)`` on the canvas and the matching ``(x1, y1, x2, y2)`` in the tile.
    """
    if index == 0:
        x1, y1, x2, y2 = max(xc - w, 0), max(yc - h, 0), xc, yc
        return (x1, y1, x2, y2), (w - (x2 - x1), h - (y2 - y1), w, h)
    if index == 1:
        x1, y1, x2, y2 = xc, max(yc - h, 0), min(xc + w, canvas_w), yc
        return (x1, y1, x2, y2), (0, h - (y2 - y1), min(w, x2 - x1), h)
    if index == 2:
        x1, y1, x2, y2 = max(xc - w, 0), yc, xc, min(canvas_h, yc + h)
        return (x1, y1, x2, y2), (w - (x2 - x1), 0, w, min(y2 - y1, h))
    x1, y1, x2, y2 = xc, yc, min(xc + w, canvas_w), min(canvas_h, yc + h)
    return (x1, y1, x2, y2), (0, 0, min(w, x2 - x1), min(y2 - y1, h))


@TRANSFORMS.register_module()
class DAMOMosaic(BaseTransform):
    """Four images stretched to ``img_scale`` each, on a ``2h x 2w`` canvas filled with 114.

    The split point is drawn in ``[0.5, 1.5) x img_scale``; the image itself is the top-left tile
    and three partners are drawn uniformly from the whole dataset. The objects' COCO polygons
    (``results['instances'][i]['mask']``) follow the tiles into ``results['mosaic_segments']``
    for the affine. Use inside
    ``MultiImageMixDataset`` (it calls ``get_indexes``) and follow with ``DAMORandomAffine``,
    which maps the canvas back to ``img_scale``.

    Args:
        img_scale: ``(width, height)`` of one tile (official ``mosaic_size``).
        keep_ratio: official ``keep_ratio``; False (every DAMO-YOLO config) stretches each tile
            to ``img_scale``, True fits it inside keeping its aspect.
    """

    def __init__(self, img_scale: tuple[int, int] = (640, 640), keep_ratio: bool = False) -> None:
        self.img_scale = tuple(img_scale)
        self.keep_ratio = keep_ratio

    def get_indexes(self, dataset) -> list[int]:
        return [random.randint(0, len(dataset) - 1) for _ in range(3)]

    def transform(self, results: dict) -> dict:
        if len(results.get('mix_results', [])) != 3:
            raise ValueError('DAMOMosaic needs 3 partner images in results["mix_results"]: '
                             'put it in a MultiImageMixDataset pipeline')
        input_w, input_h = self.img_scale
        yc = int(random.uniform(0.5 * input_h, 1.5 * input_h))
        xc = int(random.uniform(0.5 * input_w, 1.5 * input_w))
        canvas = np.full((input_h * 2, input_w * 2, 3), PAD_VALUE, dtype=np.uint8)
        all_boxes, all_labels, all_segments = [], [], []
        for i, tile in enumerate([results] + results['mix_results']):
            boxes, labels = _loaded_boxes(tile)
            h0, w0 = tile['img'].shape[:2]
            if self.keep_ratio:
                scale_h = scale_w = min(input_h / h0, input_w / w0)
            else:
                scale_h, scale_w = input_h / h0, input_w / w0
            img = cv2.resize(tile['img'], (int(w0 * scale_w), int(h0 * scale_h)),
                             interpolation=cv2.INTER_LINEAR)
            h, w = img.shape[:2]
            (lx1, ly1, lx2, ly2), (sx1, sy1, sx2, sy2) = mosaic_tile_placement(
                i, xc, yc, w, h, 2 * input_w, 2 * input_h)
            canvas[ly1:ly2, lx1:lx2] = img[sy1:sy2, sx1:sx2]
            padw, padh = lx1 - sx1, ly1 - sy1
            boxes = boxes * [scale_w, scale_h, scale_w, scale_h] + [padw, padh, padw, padh]
            all_boxes.append(boxes)
            all_labels.append(labels)
            all_segments += [seg * [scale_w, scale_h] + [padw, padh] for seg in _loaded_segments(tile)]
        boxes = np.concatenate(all_boxes)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, 2 * input_w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, 2 * input_h)
        results.pop('mix_results')
        results['mosaic_segments'] = [seg.clip(0, [2 * input_w, 2 * input_h]) for seg in all_segments]
        _set_image(results, canvas)
        return _set_boxes(results, boxes, np.concatenate(all_labels))


def box_candidates(box1: np.ndarray, box2: np.ndarray, wh_thr: float = 2, ar_thr: float = 20,
                   area_thr: float = 0.1, eps: float = 1e-16) -> np.ndarray:
    """Official box filter after the affine: ``box1`` ``(4, n)`` before (times the scale),
    ``box2`` ``(4, n)`` after. Keeps sides > ``wh_thr``, area ratio > ``area_thr`` and aspect
    ratio < ``ar_thr``. Returns a bool mask ``(n,)``."""
    w1, h1 = box1[2] - box1[0], box1[3] - box1[1]
    w2, h2 = box2[2] - box2[0], box2[3] - box2[1]
    ar = np.maximum(w2 / (h2 + eps), h2 / (w2 + eps))
    return (w2 > wh_thr) & (h2 > wh_thr) & (w2 * h2 / (w1 * h1 + eps) > area_thr) & (ar < ar_thr)


def affine_matrix(src_shape: tuple[int, int], out_size: tuple[int, int], angle: float, scale: float,
                  shear_x: float, shear_y: float, tx: float, ty: float) -> np.ndarray:
    """The official ``M = T @ S @ R @ C`` (3x3): centre the ``(h, w)`` source at the origin,
    rotate ``angle`` degrees counter-clockwise and scale, shear by ``shear_x``/``shear_y`` degrees,
    move the origin to ``(tx, ty)`` times the ``(width, height)`` output size."""
    C = np.eye(3)
    C[0, 2], C[1, 2] = -src_shape[1] / 2, -src_shape[0] / 2
    R = np.eye(3)
    R[:2] = cv2.getRotationMatrix2D(angle=angle, center=(0, 0), scale=scale)
    S = np.eye(3)
    S[0, 1] = math.tan(shear_x * math.pi / 180)
    S[1, 0] = math.tan(shear_y * math.pi / 180)
    T = np.eye(3)
    T[0, 2], T[1, 2] = tx * out_size[0], ty * out_size[1]
    return T @ S @ R @ C


def transform_points(points: np.ndarray, M: np.ndarray) -> np.ndarray:
    """``(k, 2)`` points through the 3x3 affine ``M``."""
    return points @ M[:2, :2].T + M[:2, 2]


def corner_boxes(boxes: np.ndarray, M: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boxes enclosing the four mapped corners of each of ``boxes (n, 4)``, clipped to the
    ``(width, height)`` output."""
    n = len(boxes)
    if n == 0:
        return np.zeros((0, 4))
    xy = transform_points(boxes[:, [0, 1, 2, 3, 0, 3, 2, 1]].reshape(n * 4, 2), M).reshape(n, 8)
    x, y = xy[:, [0, 2, 4, 6]], xy[:, [1, 3, 5, 7]]
    new = np.stack([x.min(1), y.min(1), x.max(1), y.max(1)], 1)
    new[:, [0, 2]] = new[:, [0, 2]].clip(0, size[0])
    new[:, [1, 3]] = new[:, [1, 3]].clip(0, size[1])
    return new


def resample_segment(points: np.ndarray, n: int = 1000) -> np.ndarray:
    """``n`` points linearly interpolated along the point list (official ``resample_segments``:
    the closing edge back to the first point is not sampled)."""
    t = np.linspace(0, len(points) - 1, n)
    index = np.arange(len(points))
    return np.stack([np.interp(t, index, points[:, 0]), np.interp(t, index, points[:, 1])], 1)


def segment_box(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Extent ``(4,)`` of the points inside ``[0, width] x [0, height]`` (official
    ``segment2box``, zeros when none is inside, or when all inside points have x = 0)."""
    x, y = points[:, 0], points[:, 1]
    inside = (x >= 0) & (y >= 0) & (x <= width) & (y <= height)
    x, y = x[inside], y[inside]
    return np.array([x.min(), y.min(), x.max(), y.max()]) if any(x) else np.zeros(4)


@TRANSFORMS.register_module()
class DAMORandomAffine(BaseTransform):
    """Rotation, scale, shear and translation about the image centre into an ``img_scale`` image.

    Draws, in the official order, ``angle ~ U(-max_rotate_degree, +)``, ``scale ~
    U(scaling_ratio_range)``, ``shear_x, shear_y ~ U(-max_shear_degree, +)`` and ``tx, ty ~
    U(0.5 - max_translate_ratio, 0.5 + max_translate_ratio)``. When the mosaic carried one
    polygon per box (``results['mosaic_segments']``), the new boxes are the extents of the mapped
    polygons inside the output; otherwise the mapped box corners' enclosing boxes, clipped to the
    output. ``box_candidates`` drops the rest.

    Args:
        img_scale: ``(width, height)`` of the output.
        max_rotate_degree, max_translate_ratio, max_shear_degree: official ``degrees``,
            ``translate``, ``shear``.
        scaling_ratio_range: official ``mosaic_scale``.
    """

    def __init__(self, img_scale: tuple[int, int] = (640, 640), max_rotate_degree: float = 10.0,
                 max_translate_ratio: float = 0.2, scaling_ratio_range: tuple[float, float] = (0.1, 2.0),
                 max_shear_degree: float = 2.0) -> None:
        self.img_scale = tuple(img_scale)
        self.max_rotate_degree = max_rotate_degree
        self.max_translate_ratio = max_translate_ratio
        self.scaling_ratio_range = tuple(scaling_ratio_range)
        self.max_shear_degree = max_shear_degree

    def sample(self) -> dict:
        """The random parameters, drawn in the official order."""
        t = self.max_translate_ratio
        return dict(angle=random.uniform(-self.max_rotate_degree, self.max_rotate_degree),
                    scale=random.uniform(*self.scaling_ratio_range),
                    shear_x=random.uniform(-self.max_shear_degree, self.max_shear_degree),
                    shear_y=random.uniform(-self.max_shear_degree, self.max_shear_degree),
                    tx=random.uniform(0.5 - t, 0.5 + t), ty=random.uniform(0.5 - t, 0.5 + t))

    def transform(self, results: dict) -> dict:
        params = self.sample()
        img = results['img']
        M = affine_matrix(img.shape[:2], self.img_scale, **params)
        if (M != np.eye(3)).any():
            img = cv2.warpAffine(img, M[:2], dsize=self.img_scale, borderValue=(PAD_VALUE,) * 3)
        boxes, labels = _boxes(results)
        segments = results.pop('mosaic_segments', [])
        if len(boxes) and len(segments) == len(boxes):
            new = np.stack([segment_box(transform_points(resample_segment(seg), M), *self.img_scale)
                            for seg in segments])
        else:
            new = corner_boxes(boxes, M, self.img_scale)
        keep = box_candidates(boxes.T * params['scale'], new.T)
        _set_image(results, img)
        return _set_boxes(results, new[keep], labels[keep])


@TRANSFORMS.register_module()
class DAMOMixUp(BaseTransform):
    """Blend the image 50/50 with a letterboxed, scale-jittered, maybe flipped partner.

    Applied with probability ``prob`` when the image has boxes; the partner is drawn from the
    whole dataset among images with boxes (``get_indexes``, which also makes the ``prob`` draw,
    so that the 85% of samples without mixup load no partner). The partner is fitted into
    ``img_scale`` keeping its aspect (top-left, padded 114), resized by ``jitter ~
    U(ratio_range)``, flipped with probability 0.5, zero-padded to at least the image size and
    cropped at a random offset. Its boxes are added unfiltered (``DAMOBoxAreaFilter`` follows).

    Args:
        img_scale: ``(width, height)`` of the letterbox (official ``mosaic_size``).
        ratio_range: official ``mixup_scale``.
        prob: official ``mixup_prob``.
        max_draws: how many random draws ``get_indexes`` makes looking for an image with boxes
            before it gives up (no mixup; the official loop would not stop, but it never looks
            when no image has boxes, because the mosaic then has none).
    """

    def __init__(self, img_scale: tuple[int, int] = (640, 640),
                 ratio_range: tuple[float, float] = (0.5, 1.5), prob: float = 1.0,
                 max_draws: int = 1000) -> None:
        self.img_scale = tuple(img_scale)
        self.ratio_range = tuple(ratio_range)
        self.prob = prob
        self.max_draws = max_draws

    def get_indexes(self, dataset) -> list[int]:
        if random.random() >= self.prob:
            return []
        for _ in range(self.max_draws):
            index = random.randint(0, len(dataset) - 1)
            if any(not inst.get('ignore_flag', 0) for inst in dataset.get_data_info(index)['instances']):
                return [index]
        return []

    def transform(self, results: dict) -> dict:
        if 'mix_results' not in results:
            raise ValueError('DAMOMixUp needs results["mix_results"] (empty when not mixing): put '
                             'it in a MultiImageMixDataset pipeline')
        boxes, labels = _boxes(results)
        partners = results.pop('mix_results')
        if len(boxes) == 0 or not partners:
            return results
        partner = partners[0]
        jitter = random.uniform(*self.ratio_range)
        flip = random.uniform(0, 1) > 0.5
        img = partner['img']
        cp_boxes, cp_labels = _loaded_boxes(partner)
        in_w, in_h = self.img_scale
        cp_img = np.full((in_h, in_w, 3), PAD_VALUE, dtype=np.uint8)
        ratio = min(in_h / img.shape[0], in_w / img.shape[1])
        fitted = cv2.resize(img, (int(img.shape[1] * ratio), int(img.shape[0] * ratio)),
                            interpolation=cv2.INTER_LINEAR)
        cp_img[:int(img.shape[0] * ratio), :int(img.shape[1] * ratio)] = fitted
        cp_img = cv2.resize(cp_img, (int(cp_img.shape[1] * jitter), int(cp_img.shape[0] * jitter)))
        ratio *= jitter
        if flip:
            cp_img = cp_img[:, ::-1, :]
        origin_h, origin_w = cp_img.shape[:2]
        target_h, target_w = results['img'].shape[:2]
        padded = np.zeros((max(origin_h, target_h), max(origin_w, target_w), 3), dtype=np.uint8)
        padded[:origin_h, :origin_w] = cp_img
        y_offset = random.randint(0, padded.shape[0] - target_h - 1) if padded.shape[0] > target_h else 0
        x_offset = random.randint(0, padded.shape[1] - target_w - 1) if padded.shape[1] > target_w else 0
        cropped = padded[y_offset:y_offset + target_h, x_offset:x_offset + target_w]

        cp_boxes = cp_boxes * ratio
        cp_boxes[:, 0::2] = cp_boxes[:, 0::2].clip(0, origin_w)
        cp_boxes[:, 1::2] = cp_boxes[:, 1::2].clip(0, origin_h)
        if flip:
            cp_boxes[:, 0::2] = origin_w - cp_boxes[:, 0::2][:, ::-1]
        cp_boxes[:, 0::2] = (cp_boxes[:, 0::2] - x_offset).clip(0, target_w)
        cp_boxes[:, 1::2] = (cp_boxes[:, 1::2] - y_offset).clip(0, target_h)
        blended = 0.5 * results['img'].astype(np.float32) + 0.5 * cropped.astype(np.float32)
        _set_image(results, blended.astype(np.uint8))
        return _set_boxes(results, np.concatenate([boxes, cp_boxes]),
                          np.concatenate([labels, cp_labels]))


@TRANSFORMS.register_module()
class DAMOBoxAreaFilter(BaseTransform):
    """Keep boxes of area > ``min_area`` px^2 (the official mosaic wrapper's last step, 4).
    Images left without boxes are kept, as the official trainer keeps them."""

    def __init__(self, min_area: float = 4.0) -> None:
        self.min_area = min_area

    def transform(self, results: dict) -> dict:
        boxes, labels = _boxes(results)
        keep = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) > self.min_area
        return _set_boxes(results, boxes[keep], labels[keep])
