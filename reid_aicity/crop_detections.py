"""Crop images to detector boxes: DMT's weakly supervised "CVF2-C" training crops (and the cropped
query/test images of the augmentation test).

``python -m reid_aicity.crop_detections --images DIR --detections DET.json --image-list COCO.json
--out DIR [--min-score 0.3] [--category 3] [--margin 0.0]``

The AI City vehicle crops are loose; DMT adds a second, tighter crop of every training image
(``training_part_seg/cropped_patch/image_train``, same file names), which the paper credits with
+2.9 mAP (Table 1). Here the boxes come from any detector as a **COCO results** file (a JSON list
of ``{"image_id", "category_id", "bbox": [x, y, w, h], "score"}``) together with the COCO image list
that defines the ``image_id`` s (a JSON object with ``"images": [{"id", "file_name"}, ...]``, e.g.
the annotation file the detector was run on). For each image the highest-scoring box of the wanted
categories with a score of at least ``min_score`` is cropped (grown by ``margin`` of its size on each
side, clipped to the image); an image without such a box is copied unchanged, so the crop folder
always mirrors the image folder.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from common.reid.dataset import load_image


class DetectionFileError(ValueError):
    """A detections or image-list file is malformed (the message names the file and entry)."""


@dataclass
class CropSummary:
    """How many images were cropped, and how many were copied for lack of a box."""

    cropped: int
    copied: int
    out_dir: Path


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DetectionFileError(f"{path}: malformed JSON at line {e.lineno}, column {e.colno} ({e.msg})") from None


def read_image_list(path: str | Path) -> dict[int, str]:
    """``{image_id: file_name}`` from a COCO-style ``{"images": [...]}`` file."""
    path = Path(path)
    data = _read_json(path)
    images = data.get("images") if isinstance(data, dict) else None
    if not isinstance(images, list):
        raise DetectionFileError(f"{path}: expected a COCO object with an 'images' list")
    out = {}
    for i, entry in enumerate(images):
        if not isinstance(entry, dict) or "id" not in entry or "file_name" not in entry:
            raise DetectionFileError(f"{path}: images[{i}] needs 'id' and 'file_name', got {entry!r}")
        out[int(entry["id"])] = str(entry["file_name"])
    return out


def best_boxes(detections: Iterable[dict], known_ids: set[int], min_score: float = 0.3,
               categories: set[int] | None = None, source: str = "detections"
               ) -> dict[int, tuple[float, float, float, float]]:
    """The highest-scoring ``[x, y, w, h]`` box per image among those kept.

    Raises:
        DetectionFileError: an entry without image_id/bbox/score, a bbox that is not 4 numbers with
            positive size, or an image_id missing from the image list.
    """
    best: dict[int, tuple[float, tuple[float, float, float, float]]] = {}
    for i, det in enumerate(detections):
        try:
            image_id, score = int(det["image_id"]), float(det["score"])
            x, y, w, h = (float(v) for v in det["bbox"])
        except (KeyError, TypeError, ValueError):
            raise DetectionFileError(f"{source}: entry {i} must have image_id, bbox [x, y, w, h] and score, "
                                     f"got {det!r}") from None
        if w <= 0 or h <= 0:
            raise DetectionFileError(f"{source}: entry {i} has a box of non-positive size {det['bbox']}")
        if image_id not in known_ids:
            raise DetectionFileError(f"{source}: entry {i} refers to image_id {image_id}, which the image "
                                     "list does not define")
        if categories is not None and int(det.get("category_id", -1)) not in categories:
            continue
        if score >= min_score and (image_id not in best or score > best[image_id][0]):
            best[image_id] = (score, (x, y, w, h))
    return {image_id: box for image_id, (_, box) in best.items()}


def crop_box(width: int, height: int, box: tuple[float, float, float, float], margin: float
             ) -> tuple[int, int, int, int]:
    """Integer ``(left, top, right, bottom)`` of ``box`` grown by ``margin`` and clipped to the image."""
    x, y, w, h = box
    left, top = max(0, int(round(x - margin * w))), max(0, int(round(y - margin * h)))
    right, bottom = min(width, int(round(x + w + margin * w))), min(height, int(round(y + h + margin * h)))
    if right - left < 1 or bottom - top < 1:
        return 0, 0, width, height
    return left, top, right, bottom


def crop_detections(images_dir: str | Path, detections_path: str | Path, image_list_path: str | Path,
                    out_dir: str | Path, *, min_score: float = 0.3, categories: Iterable[int] | None = None,
                    margin: float = 0.0) -> CropSummary:
    """Write a crop of every listed image to ``out_dir`` under its file name (see the module docstring)."""
    images_dir, out_dir = Path(images_dir), Path(out_dir)
    names = read_image_list(image_list_path)
    detections = _read_json(Path(detections_path))
    if not isinstance(detections, list):
        raise DetectionFileError(f"{detections_path}: a COCO results file is a JSON list of detections")
    boxes = best_boxes(detections, set(names), min_score, None if categories is None else set(categories),
                       str(detections_path))
    missing = [name for name in names.values() if not (images_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} image(s) of {image_list_path} not found in {images_dir}, "
                                f"e.g. {missing[0]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    cropped = copied = 0
    for image_id, name in names.items():
        source, target = images_dir / name, out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if image_id not in boxes:
            shutil.copyfile(source, target)
            copied += 1
            continue
        image = load_image(source)
        image.crop(crop_box(image.width, image.height, boxes[image_id], margin)).save(target, quality=95)
        cropped += 1
    return CropSummary(cropped, copied, out_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_aicity.crop_detections",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="folder of the images (e.g. image_train)")
    parser.add_argument("--detections", required=True, help="COCO results JSON with the detector boxes")
    parser.add_argument("--image-list", required=True, help="COCO JSON whose 'images' define the image_ids")
    parser.add_argument("--out", required=True, help="output folder (e.g. training_part_seg/cropped_patch/image_train)")
    parser.add_argument("--min-score", type=float, default=0.3, help="lowest detector score kept")
    parser.add_argument("--category", type=int, action="append", default=None,
                        help="COCO category id to keep (repeatable; default: all)")
    parser.add_argument("--margin", type=float, default=0.0, help="grow each box by this fraction per side")
    return parser


def main(argv: list[str] | None = None) -> CropSummary:
    args = build_parser().parse_args(argv)
    summary = crop_detections(args.images, args.detections, args.image_list, args.out, min_score=args.min_score,
                              categories=args.category, margin=args.margin)
    print(f"{summary.cropped} images cropped, {summary.copied} copied without a box, into {summary.out_dir}")
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
