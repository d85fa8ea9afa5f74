"""SADA: DAMO-YOLO's scale-aware, box-level augmentation (official ``damo/augmentations``,
from SA-AutoAug), as an MMDetection transform.

Each image draws one of five searched sub-policies; a sub-policy is a colour operation and then
a geometric one, each applied to the image with probability ``p * progress`` (``progress`` =
training iteration / all training iterations, as the official trainer builds it; off past 1).
Inside an image, each box is picked with a probability that depends on its area, and the
operation is blended in through a Gaussian around the box:

- colour (AutoContrast, Equalize, SolarizeAdd, Color, Contrast, Brightness, Sharpness): the whole
  image is transformed, then mixed in with Gaussians whose width grows for small boxes;
- geometric (hflip, rotate, shearX/Y, translateX/Y): each picked box's crop is transformed and
  pasted back through a Gaussian; translate pastes a shifted copy and adds its box.

No library implements these box-level operations, so they are written here; they follow the
official arithmetic (``torch.histc`` equalisation, reflect-padded sharpening, PIL affine with
bilinear sampling and the official fill, uint8 truncation of crops) on an RGB ``(3, H, W)`` tensor
in [0, 1]. Random draws use Python's ``random`` in the official order.
"""
from __future__ import annotations

import math
import random

import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms.functional as TF
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import HorizontalBoxes
from torchvision.transforms import InterpolationMode

MAX_LEVEL = 10.0
GEOMETRIC_FILL = (102, 115, 122)  # official: int() of its pixel_mean, used as an RGB fill
GAUSSIAN_RATIOS = (0.2, 0.4, 0.6, 0.8, 1.0, 2, 4, 6, 8, 10)  # official ratio_list

# Official augmentations.py: the searched policy (first 4 entries unused) and its settings.
OFFICIAL_AUTOAUG_PARAMS = (6, 9, 5, 3, 3, 4, 2, 4, 4, 4, 5, 2, 4, 1, 4, 2, 6, 4, 2, 2, 2, 6, 2, 2,
                           2, 0, 5, 1, 3, 0, 8, 5, 2, 8, 7, 5, 1, 3, 3, 3)
COLOR_OPS = ('AutoContrast', 'Equalize', 'SolarizeAdd', 'Color', 'Contrast', 'Brightness',
             'Sharpness')
GEOMETRIC_OPS = ('hflip', 'rotate', 'shearX', 'shearY', 'translateX', 'translateY')


# ----------------------------------------------------------------------------- colour operations
def blend(image1: torch.Tensor, image2: torch.Tensor, factor: float) -> torch.Tensor:
    """``image1 + factor * (image2 - image1)``, clamped to [0, 1] when extrapolating."""
    if factor == 0.0:
        return image1
    if factor == 1.0:
        return image2
    out = image1 + factor * (image2 - image1)
    return out if 0.0 < factor < 1.0 else out.clamp(0.0, 1.0)


def grayscale(rgb: torch.Tensor) -> torch.Tensor:
    """``(3, H, W)`` -> ``(3, H, W)`` luma, repeated on the three channels."""
    gray = rgb[0] * 0.2989 + rgb[1] * 0.5870 + rgb[2] * 0.1140
    return gray.unsqueeze(0).repeat(3, 1, 1)


def autocontrast(img: torch.Tensor) -> torch.Tensor:
    """Stretch each channel to [0, 1] (unchanged where the channel is constant)."""
    out = []
    for ch in img:
        lo, hi = ch.min(), ch.max()
        scale = 1.0 / (hi - lo)
        out.append((ch * scale - lo * scale).clamp(0.0, 1.0) if hi > lo else ch)
    return torch.stack(out)


def equalize(img: torch.Tensor) -> torch.Tensor:
    """Histogram equalisation per channel on 256 ``torch.histc`` bins over [0, 255]."""
    out = []
    for ch in img * 255:
        histo = torch.histc(ch, bins=256, min=0, max=255)
        nonzero = histo[histo != 0]
        step = (nonzero.sum() - nonzero[-1]) // 255
        if step == 0:
            out.append(ch)
            continue
        lut = (torch.cumsum(histo, 0) + step // 2) // step
        lut = torch.cat([torch.zeros(1), lut[:-1]]).clamp(0, 255)
        out.append(torch.gather(lut, 0, ch.flatten().long()).reshape_as(ch))
    return torch.stack(out) / 255.0


def solarize_add(img: torch.Tensor, addition: float, threshold: float = 0.5) -> torch.Tensor:
    """Add ``addition`` (clamped to [0, 1]) to the pixels at or below ``threshold``."""
    return torch.where(img <= threshold, (img + addition).clamp(0.0, 1.0), img)


def color(img: torch.Tensor, factor: float) -> torch.Tensor:
    return blend(grayscale(img), img, factor)


def contrast(img: torch.Tensor, factor: float) -> torch.Tensor:
    return blend(grayscale(img).mean(dim=(-3, -2, -1), keepdim=True), img, max(factor, 1e-6))


def brightness(img: torch.Tensor, factor: float) -> torch.Tensor:
    return blend(torch.zeros_like(img), img, factor)


def sharpness(img: torch.Tensor, factor: float) -> torch.Tensor:
    """Blend with a 3x3 smoothing (centre 5, neighbours 1, /13) on a reflect-padded image."""
    kernel = (torch.tensor([[1., 1., 1.], [1., 5., 1.], [1., 1., 1.]]).reshape(1, 1, 3, 3) / 13.0
              ).repeat(3, 1, 1, 1)
    smooth = F.conv2d(F.pad(img[None], (1, 1, 1, 1), mode='reflect'), kernel, groups=3)[0]
    return blend(smooth, img, factor)


def color_op(name: str, img: torch.Tensor, level: float) -> torch.Tensor:
    """The official colour operation ``name`` at magnitude ``level`` (0..10)."""
    factor = level / MAX_LEVEL * 1.8 + 0.1
    ops = {'AutoContrast': lambda: autocontrast(img), 'Equalize': lambda: equalize(img),
           'SolarizeAdd': lambda: solarize_add(img, level / MAX_LEVEL * 0.4296875),
           'Color': lambda: color(img, factor), 'Contrast': lambda: contrast(img, factor),
           'Brightness': lambda: brightness(img, factor), 'Sharpness': lambda: sharpness(img, factor)}
    return ops[name]()


# ----------------------------------------------------------------------------- Gaussian maps
def gaussian_map(height: int, width: int, boxes, scale_splits=None, scale_ratios=None) -> torch.Tensor:
    """Sum over ``boxes`` (``x1, y1, x2, y2``) of unnormalised Gaussians, ``(height, width)``.

    Centre ``(y1 + h // 2, x1 + w // 2)``; standard deviations ``(h / height, w / width) * r`` with
    ``r = sqrt(s * height * width / (2 pi))``. ``s`` is 1 without ``scale_ratios``; otherwise it
    scales the box up to a size-class area (official ``_gaussian_map``; the three size classes are
    split at ``scale_splits`` and ``scale_ratios`` index ``GAUSSIAN_RATIOS``).
    """
    rows = torch.arange(height, dtype=torch.float32)[:, None]
    cols = torch.arange(width, dtype=torch.float32)[None, :]
    maps = torch.zeros(height, width)
    # The arithmetic mirrors the official dtypes (float32 tensors for tensor boxes, Python numbers
    # otherwise): the maps feed crops that are truncated to uint8, where the last bit shows.
    for x1, y1, x2, y2 in boxes:
        h, w = y2 - y1, x2 - x1
        if scale_ratios is None:
            s = 1.0
        elif h * w < scale_splits[0]:
            s = GAUSSIAN_RATIOS[scale_ratios[0]] * scale_splits[0] / (h * w)
        elif h * w < scale_splits[1]:
            s = GAUSSIAN_RATIOS[scale_ratios[1]] * (scale_splits[0] + scale_splits[1]) / 2.0 / (h * w)
        elif h * w < scale_splits[2]:
            s = GAUSSIAN_RATIOS[scale_ratios[2]] * scale_splits[2] / (h * w)
        else:
            s = GAUSSIAN_RATIOS[scale_ratios[2]]
        r = (s * height * width / (2 * math.pi)) ** 0.5
        sigma_r = torch.as_tensor((h / height) * r, dtype=torch.float32).reshape(1)
        sigma_c = torch.as_tensor((w / width) * r, dtype=torch.float32).reshape(1)
        mean_r, mean_c = y1 + h // 2, x1 + w // 2
        maps += torch.exp(-((rows - mean_r) ** 2 / (2.0 * sigma_r ** 2)
                            + (cols - mean_c) ** 2 / (2.0 * sigma_c ** 2)))
    return maps


# ----------------------------------------------------------------------------- geometric operations
def _crop_region(box, height: int, width: int) -> tuple[int, int, int, int]:
    """The official ``scale_area`` at ratio 1: the box clipped to the image, as integer
    ``(x1, y1, x2, y2)`` (truncated)."""
    x1, y1, x2, y2 = box.float()  # float32 arithmetic, as the official code: it decides truncation
    h, w = y2 - y1, x2 - x1
    top, left = (y1 + h / 2 - h / 2).clamp(min=0), (x1 + w / 2 - w / 2).clamp(min=0)
    bottom, right = (top + h).clamp(max=height), (left + w).clamp(max=width)
    return tuple(int(v) for v in torch.stack([left, top, right, bottom]).long())


def _affine_crop(crop: torch.Tensor, angle: float, shear: tuple[float, float]) -> torch.Tensor:
    """PIL affine of a ``(3, h, w)`` [0, 1] crop through uint8, bilinear, official fill."""
    pil = TF.to_pil_image(crop)
    pil = TF.affine(pil, angle, [0, 0], 1, list(shear), interpolation=InterpolationMode.BILINEAR,
                    fill=GEOMETRIC_FILL)
    return TF.to_tensor(pil)


def geometric_op(name: str, img: torch.Tensor, level: float, boxes: torch.Tensor, labels: np.ndarray,
                 box_probs: list[float]) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """The official geometric operation ``name`` on the picked boxes' crops of ``img (3, H, W)``.

    Returns the image, and the boxes ``(n', 4)`` and labels, with translated copies appended.
    """
    angle, translate, shear = 0.0, (0.0, 0.0), (0.0, 0.0)
    magnitude = level / MAX_LEVEL
    if name == 'rotate':
        angle = magnitude * 30
    elif name == 'shearX':
        shear = (magnitude * 15, 0.0)
    elif name == 'shearY':
        shear = (0.0, magnitude * 15)
    elif name == 'translateX':
        translate = (magnitude * 120.0, 0.0)
    elif name == 'translateY':
        translate = (0.0, magnitude * 120.0)
    picked = [i for i in range(len(boxes)) if random.random() < box_probs[i]]
    if random.random() < 0.5:
        angle, translate, shear = -angle, (-translate[0], -translate[1]), (-shear[0], -shear[1])
    height, width = img.shape[1:]
    shifted = translate[0] + translate[1] != 0
    crops, regions, new_boxes, new_labels = [], [], [], []
    for i in picked:
        x1, y1, x2, y2 = _crop_region(boxes[i], height, width)
        crop = img[:, y1:y2, x1:x2]
        regions.append((x1, y1, x2, y2))
        if y1 >= y2 or x1 >= x2:
            crops.append(crop)
            continue
        if name == 'hflip':
            crop = crop.flip(-1)
        elif shifted:
            dx = int(min(max(x2 + translate[0], 0), width)) - x2
            dy = int(min(max(y2 + translate[1], 0), height)) - y2
            if dx != 0 or dy != 0:
                new_boxes.append(boxes[i] + torch.tensor([dx, dy, dx, dy], dtype=boxes.dtype))
                new_labels.append(labels[i])
        else:
            crop = _affine_crop(crop, angle, shear)
        crops.append(crop)
    out = img.clone()
    for crop, (x1, y1, x2, y2) in zip(crops, regions):
        tx, ty = translate
        dx1, dx2 = (int(min(max(x + tx, 0), width)) for x in (x1, x2))
        dy1, dy2 = (int(min(max(y + ty, 0), height)) for y in (y1, y2))
        target = out[:, dy1:dy2, dx1:dx2].clone()
        if target.shape[1] * target.shape[2] == 0:
            continue
        crop = crop[:, :target.shape[1], :target.shape[2]]
        ch, cw = crop.shape[1:]
        g = gaussian_map(ch, cw, [[0, 0, target.shape[2], target.shape[1]]])
        out[:, dy1:dy1 + ch, dx1:dx1 + cw] = g * crop + (1 - g) * target[:, :ch, :cw]
    if new_boxes:
        boxes = torch.cat([boxes, torch.stack(new_boxes)])
        labels = np.concatenate([labels, np.asarray(new_labels, dtype=labels.dtype)])
    return out, boxes, labels


# ----------------------------------------------------------------------------- the policy
def decode_policy(autoaug_params, num_subpolicies: int = 5) -> tuple[list, dict]:
    """The official decoding of a searched ``autoaug_params`` tuple.

    Returns ``num_subpolicies`` sub-policies ``((colour_op, prob, level), (geometric_op, prob,
    level))`` and the per-size-class ``{'area': [3 indices], 'prob': [3 weights]}``.
    """
    params = list(autoaug_params)[4:]
    if len(params) != num_subpolicies * 6 + 6:
        raise ValueError(f'autoaug_params: expected {4 + num_subpolicies * 6 + 6} numbers for '
                         f'{num_subpolicies} sub-policies, got {len(autoaug_params)}')
    policies = []
    for i in range(num_subpolicies):
        p = params[i * 6:i * 6 + 6]
        policies.append(((COLOR_OPS[p[0] % len(COLOR_OPS)], p[1] * 0.1, p[2]),
                         (GEOMETRIC_OPS[p[3] % len(GEOMETRIC_OPS)], p[4] * 0.1, p[5])))
    tail = params[num_subpolicies * 6:]
    return policies, {'area': tail[:3], 'prob': tail[3:]}


def box_pick_probability(box, weights, scale_splits, box_prob: float) -> float:
    """``box_prob`` times the normalised weight of the box's size class (0 for an empty box)."""
    ratios = np.asarray(weights, dtype=np.float64)
    ratios = ratios / ratios.sum()
    area = float((box[2] - box[0]) * (box[3] - box[1]))
    if area == 0:
        return 0
    size_class = 0 if area < scale_splits[0] else 1 if area < scale_splits[1] else 2
    return box_prob * ratios[size_class]


@TRANSFORMS.register_module()
class SADA(BaseTransform):
    """Scale-aware box-level augmentation with the official searched policy.

    Place after the flip; outputs a float32 image. ``progress`` (0 at the start of training, 1
    at its end) is written by ``DAMOAugmentScheduleHook`` into shared
    memory that the loader workers read, so persistent workers follow it. The official loader
    estimates the same number from each worker's image count; the two agree to within the
    prefetched batches. Without the hook ``progress`` stays at ``initial_progress``.

    Args:
        autoaug_params: the searched policy (official ``SADA['autoaug_params']``).
        num_subpolicies: official ``num_subpolicies`` (5).
        scale_splits: box areas splitting small/medium/large at an 800-pixel short side; scaled
            by ``min(H, W) / 800`` (a linear factor on areas, as the official code does).
        box_prob: official ``box_prob``, the base probability of picking a box.
        initial_progress: ``progress`` before any hook sets it (1.0: full strength, e.g. to view
            the augmentation; training configs run the hook).
        bgr: the image is in the loader's BGR order (MMCV's default); the operations and the
            fill colour are defined on RGB, so the channels are swapped around them.
    """

    def __init__(self, autoaug_params=OFFICIAL_AUTOAUG_PARAMS, num_subpolicies: int = 5,
                 scale_splits=(2048, 10240, 51200), box_prob: float = 0.3,
                 initial_progress: float = 1.0, bgr: bool = True) -> None:
        self.policies, self.scale_ratios = decode_policy(autoaug_params, num_subpolicies)
        self.scale_splits = tuple(scale_splits)
        self.box_prob = box_prob
        self.bgr = bgr
        self.progress = torch.full((), float(initial_progress), dtype=torch.float64).share_memory_()

    def set_progress(self, value: float) -> None:
        self.progress.fill_(value)

    def _apply(self, op, img, boxes, labels, scale_splits, img_prob):
        """One operation of a sub-policy on ``img (3, H, W)`` in 0..255 with probability
        ``img_prob`` (computed in [0, 1], as the official code, which divides and multiplies by 255
        around each applied operation)."""
        name, _, level = op
        if random.random() > img_prob:
            return img, boxes, labels
        img = img / 255.0
        weights = self.scale_ratios['prob' if name in GEOMETRIC_OPS else 'area']
        probs = [box_pick_probability(b, weights, scale_splits, self.box_prob) for b in boxes]
        if name in GEOMETRIC_OPS:
            img, boxes, labels = geometric_op(name, img, level, boxes, labels, probs)
            return img * 255.0, boxes, labels
        augmented = color_op(name, img, level)
        picked = [boxes[i] for i in range(len(boxes)) if random.random() < probs[i]]
        g = gaussian_map(img.shape[1], img.shape[2], picked, scale_splits, self.scale_ratios['area'])
        g = g.clamp(0, 1.0)
        return (img * (1 - g) + augmented * g) * 255.0, boxes, labels

    def transform(self, results: dict) -> dict:
        progress = float(self.progress)
        policy = random.choice(self.policies)
        if progress > 1:
            return results
        img = torch.from_numpy(np.ascontiguousarray(results['img'], dtype=np.float32))
        img = img.permute(2, 0, 1)
        if self.bgr:
            img = img.flip(0)
        height, width = img.shape[1:]
        splits = [a * min(height, width) / 800 for a in self.scale_splits]
        all_boxes = results['gt_bboxes'].tensor if 'gt_bboxes' in results else torch.zeros(0, 4)
        all_labels = results.get('gt_bboxes_labels', np.zeros(0, np.int64))
        flags = results.get('gt_ignore_flags', np.zeros(len(all_boxes), bool)).astype(bool)
        # The official loader drops crowd boxes; here they stay, ignored, and are never augmented.
        boxes, labels = all_boxes[torch.from_numpy(~flags)].clone(), all_labels[~flags]
        n_before = len(boxes)
        for op in policy:
            img, boxes, labels = self._apply(op, img, boxes, labels, splits, op[1] * progress)
        if self.bgr:
            img = img.flip(0)
        results['img'] = img.permute(1, 2, 0).contiguous().numpy()
        if len(boxes) > n_before:  # translate's shifted copies are added after the loaded boxes
            results['gt_bboxes'] = HorizontalBoxes(torch.cat([all_boxes, boxes[n_before:]]))
            results['gt_bboxes_labels'] = np.concatenate([all_labels, labels[n_before:]])
            results['gt_ignore_flags'] = np.concatenate([flags, np.zeros(len(boxes) - n_before, bool)])
        return results
