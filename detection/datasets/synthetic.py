"""A small synthetic detection dataset in real COCO format: coloured shapes on textured backgrounds.

Layout written under ``root``::

    train/000000.png ...   val/000000.png ...
    annotations/instances_train.json   annotations/instances_val.json
    meta.json                          (the generation settings, to reuse an existing copy)

Each image holds 1..``max_objects`` filled shapes (circle, square, triangle), each of a random
colour and size, placed with little overlap on a background of smooth noise and stripes, so the
classes differ by shape only and a detector has to learn localisation and shape. Boxes are the
tight pixel extents of the shapes. Category ids are 1..3 in the file.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from common.fileio import write_json

CLASSES = ('circle', 'square', 'triangle')


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A ``(size, size, 3)`` uint8 texture: upsampled colour noise plus faint stripes."""
    coarse = rng.uniform(60, 200, size=(6, 6, 3)).astype(np.float32)
    img = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:size, 0:size]
    angle, period = rng.uniform(0, np.pi), rng.uniform(6, 20)
    stripes = 18 * np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    img = img + stripes[..., None] + rng.normal(0, 6, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _draw(img: np.ndarray, shape: str, cx: float, cy: float, r: float, color: tuple) -> list[float]:
    """Draw a filled shape of half-extent ``r`` centred at ``(cx, cy)``; return its COCO box."""
    if shape == 'circle':
        cv2.circle(img, (int(round(cx)), int(round(cy))), int(round(r)), color, -1, cv2.LINE_AA)
    elif shape == 'square':
        cv2.rectangle(img, (int(round(cx - r)), int(round(cy - r))),
                      (int(round(cx + r)), int(round(cy + r))), color, -1)
    else:
        pts = np.array([[cx, cy - r], [cx - r, cy + r], [cx + r, cy + r]]).round().astype(np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
    x1, y1 = max(cx - r, 0.0), max(cy - r, 0.0)
    x2, y2 = min(cx + r, img.shape[1] - 1.0), min(cy + r, img.shape[0] - 1.0)
    return [round(x1, 2), round(y1, 2), round(x2 - x1 + 1, 2), round(y2 - y1 + 1, 2)]


def _iou(a: list[float], b: list[float]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _make_split(root: Path, split: str, num_images: int, size: int, max_objects: int,
                rng: np.random.Generator) -> Path:
    (root / split).mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(num_images):
        img = _background(rng, size)
        boxes: list[list[float]] = []
        for _ in range(int(rng.integers(1, max_objects + 1))):
            for _attempt in range(20):
                r = rng.uniform(0.08, 0.22) * size
                cx, cy = rng.uniform(r, size - r, size=2)
                label = int(rng.integers(len(CLASSES)))
                box = [cx - r, cy - r, 2 * r, 2 * r]
                if all(_iou(box, b) < 0.1 for b in boxes):
                    break
            else:
                continue
            color = tuple(int(c) for c in rng.choice([20, 235], size=3) + rng.integers(-15, 16, size=3))
            coco_box = _draw(img, CLASSES[label], cx, cy, r, color)
            boxes.append(box)
            annotations.append(dict(id=len(annotations) + 1, image_id=i + 1, category_id=label + 1,
                                    bbox=coco_box, area=round(coco_box[2] * coco_box[3], 2),
                                    iscrowd=0))
        name = f'{i:06d}.png'
        cv2.imwrite(str(root / split / name), img)
        images.append(dict(id=i + 1, file_name=name, width=size, height=size))
    ann_file = root / 'annotations' / f'instances_{split}.json'
    write_json(ann_file, dict(images=images, annotations=annotations,
                              categories=[dict(id=k + 1, name=n) for k, n in enumerate(CLASSES)]))
    return ann_file


def make_synthetic_coco(root: str | Path, num_train: int = 256, num_val: int = 64,
                        image_size: int = 128, max_objects: int = 4, seed: int = 0) -> Path:
    """Write the dataset under ``root`` (reused when a copy with the same settings exists).

    Args:
        root: output folder.
        num_train, num_val: images per split.
        image_size: square image side in pixels.
        max_objects: most shapes per image.
        seed: random seed; the same settings give the same files.

    Returns:
        ``root`` as a ``Path``.
    """
    root = Path(root)
    settings = dict(num_train=num_train, num_val=num_val, image_size=image_size,
                    max_objects=max_objects, seed=seed, classes=list(CLASSES))
    meta = root / 'meta.json'
    if meta.is_file() and json.loads(meta.read_text()) == settings:
        return root
    rng = np.random.default_rng(seed)
    _make_split(root, 'train', num_train, image_size, max_objects, rng)
    _make_split(root, 'val', num_val, image_size, max_objects, rng)
    write_json(meta, settings)
    return root


def point_config_at(cfg, root: str | Path) -> None:
    """Point a config built on ``_base_/datasets/synthetic_shapes.py`` at a generated copy.

    Sets ``data_root`` of the train/val/test datasets (inside wrappers) and the evaluators'
    ``ann_file``.

    Args:
        cfg: an mmengine ``Config`` (modified in place).
        root: the folder passed to :func:`make_synthetic_coco`.
    """
    from ..runtime import source_dataset_cfg

    root = str(Path(root)) + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(loader) is not None:
            source_dataset_cfg(cfg[loader]['dataset'])['data_root'] = root
    for evaluator, split in (('val_evaluator', 'val'), ('test_evaluator', 'val')):
        if cfg.get(evaluator) is not None:
            cfg[evaluator]['ann_file'] = root + f'annotations/instances_{split}.json'


def train_on_synthetic(cfg, root: str | Path) -> None:
    """Point the training set of any detection config (a COCO one included) at the training
    split of a generated copy, with its class names; the model's head is left as it is.

    Args:
        cfg: an mmengine ``Config`` (modified in place).
        root: the folder passed to :func:`make_synthetic_coco`.
    """
    from ..runtime import source_dataset_cfg

    source_dataset_cfg(cfg.train_dataloader['dataset']).update(
        data_root=str(Path(root)) + '/', ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'), metainfo=dict(classes=CLASSES))
