"""Run a detector on an image, a folder of images or a video: drawn outputs and COCO results.

    python -m detection.infer <config> <checkpoint> <image|folder|video> [key=value ...]
                              [--out-dir DIR] [--batch-size 8] [--score-thr 0.3] [--device cuda:0]
                              [--ann-file instances_val.json] [--cfg-options key=value ...]

Uses MMDetection's ``DetInferencer`` (batched, with a progress bar; the device defaults to the
GPU when there is one). Writes ``<out-dir>/vis/<image>`` (detections scoring at least
``--score-thr`` drawn) or ``<out-dir>/<video>.mp4``, and ``<out-dir>/results.bbox.json``: every
detection the model keeps, in the COCO results format. Image ids and category ids come from
``--ann-file`` when given (so ``pycocotools`` can score the file against it), otherwise they are
the image's position in sorted order (a video's frame index) and the class index + 1. Config
overrides (e.g. ``model.test_cfg.score_thr=0.01``) apply before the model is built.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from mmengine.config import DictAction

from common.fileio import write_json
from .runtime import init_mmdet, load_config

VIDEO_SUFFIXES = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def coco_results(samples, image_ids: list[int], category_ids: list[int]) -> list[dict]:
    """COCO results (``image_id``, ``category_id``, ``bbox`` as x, y, w, h, ``score``) of
    ``DetDataSample`` predictions in original-image pixels."""
    results = []
    for sample, image_id in zip(samples, image_ids):
        pred = sample.pred_instances
        for (x1, y1, x2, y2), score, label in zip(pred.bboxes.tolist(), pred.scores.tolist(),
                                                  pred.labels.tolist()):
            results.append(dict(image_id=image_id, category_id=category_ids[label],
                                bbox=[x1, y1, x2 - x1, y2 - y1], score=score))
    return results


def _ids_from_annotations(ann_file: Path, classes, names: list[str]) -> tuple[list[int], list[int]]:
    from .datasets import ordered_category_ids

    ann = json.loads(Path(ann_file).read_text())
    by_name = {Path(im['file_name']).name: im['id'] for im in ann['images']}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise SystemExit(f'{ann_file}: no image entry for {unknown[:5]} ({len(unknown)} files)')
    return [by_name[n] for n in names], ordered_category_ids(ann['categories'], classes, str(ann_file))


def _video_frames(path: Path, batch_size: int):
    import mmcv
    video = mmcv.VideoReader(str(path))
    batch = []
    for frame in video:
        batch.append(frame)
        if len(batch) == batch_size:
            yield video, batch
            batch = []
    if batch:
        yield video, batch


def infer(config, checkpoint: str | Path, source: str | Path, out_dir: str | Path,
          batch_size: int = 8, score_thr: float = 0.3, device: str | None = None,
          ann_file: str | Path | None = None, overrides: dict | None = None) -> Path:
    """Detect objects in ``source`` (image, folder or video); returns the results JSON path."""
    from mmdet.apis import DetInferencer

    init_mmdet()
    source, out_dir = Path(source), Path(out_dir)
    if not source.exists():
        raise SystemExit(f'{source}: no such image, folder or video')
    cfg = config if not isinstance(config, (str, Path)) else load_config(config, overrides)
    inferencer = DetInferencer(model=cfg, weights=str(checkpoint), device=device)
    classes = inferencer.model.dataset_meta['classes']
    out_dir.mkdir(parents=True, exist_ok=True)
    is_video = source.suffix.lower() in VIDEO_SUFFIXES
    if is_video and ann_file is not None:
        raise SystemExit('--ann-file maps image file names to ids; a video has none')
    if is_video:
        import cv2
        samples, writer = [], None
        for video, frames in _video_frames(source, batch_size):
            out = inferencer(frames, batch_size=batch_size, return_datasamples=True, return_vis=True,
                             pred_score_thr=score_thr, no_save_vis=True)
            samples += out['predictions']
            if writer is None:
                writer = cv2.VideoWriter(str(out_dir / f'{source.stem}.mp4'),
                                         cv2.VideoWriter_fourcc(*'mp4v'), video.fps,
                                         (video.width, video.height))
            for vis in out['visualization']:
                writer.write(np.ascontiguousarray(vis[..., ::-1]))  # RGB drawing -> BGR frame
        if writer is None:
            raise SystemExit(f'{source}: no frames could be read')
        writer.release()
    else:
        out = inferencer(str(source), batch_size=batch_size, return_datasamples=True,
                         pred_score_thr=score_thr, out_dir=str(out_dir), no_save_pred=True)
        samples = out['predictions']
        names = [Path(s.img_path).name for s in samples]
    if is_video:
        image_ids, category_ids = list(range(len(samples))), list(range(1, len(classes) + 1))
    elif ann_file is not None:
        image_ids, category_ids = _ids_from_annotations(Path(ann_file), classes, names)
    else:
        order = {n: i for i, n in enumerate(sorted(names))}
        image_ids, category_ids = [order[n] for n in names], list(range(1, len(classes) + 1))
    return write_json(out_dir / 'results.bbox.json', coco_results(samples, image_ids, category_ids))


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog='python -m detection.infer', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='detection config (.py)')
    parser.add_argument('checkpoint', help='MMEngine checkpoint (a training run or detection.convert)')
    parser.add_argument('source', help='an image, a folder of images or a video')
    parser.add_argument('overrides', nargs='*', action=DictAction, default={},
                        help='config overrides as key.sub=value')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides, MMDetection style')
    parser.add_argument('--out-dir', default='work_dirs/infer', help='output folder')
    parser.add_argument('--batch-size', type=int, default=8, help='images per forward pass')
    parser.add_argument('--score-thr', type=float, default=0.3, help='smallest score drawn')
    parser.add_argument('--device', default=None, help='e.g. cpu, cuda:0 (default: GPU if any)')
    parser.add_argument('--ann-file', default=None,
                        help='COCO annotation file of the images, for its image and category ids')
    args = parser.parse_args(argv)
    out = infer(args.config, args.checkpoint, args.source, args.out_dir, args.batch_size,
                args.score_thr, args.device, args.ann_file, {**args.overrides, **args.cfg_options})
    print(f'detections of {args.source} -> {out} (drawn: {args.out_dir})')
    return out


if __name__ == '__main__':
    main()
