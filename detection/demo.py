"""The detection pipeline end to end, or a model on one image.

    python -m detection.demo --work-dir DIR [--config SYNTHETIC_CONFIG]
        generates the embedded synthetic shapes dataset, trains the reduced DAMO-YOLO-T
        (damoyolo_tinynas-l20-t-slim_1xb8-15e_synthetic.py, or another ``*_synthetic.py`` config
        such as the reduced GiraffeDet-D7, giraffedet_s2d-gfpn-d7-slim_1xb8-20e_synthetic.py) on
        the CPU, evaluates it (COCO mAP), draws its predictions on a validation image and prints
        the mAP. It also draws a batch of augmented training images: the full DAMO-YOLO-T recipe
        (mosaic, affine, mixup, SADA) for the default, the config's own pipeline otherwise.

    python -m detection.demo --config C --checkpoint K --image IMG [--work-dir DIR]
        runs a trained (or converted official) model on an image and draws the detections.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common.runlog import RunLogger
from .runtime import CONFIG_DIR, init_mmdet, load_config, release_loader_workers

DEMO_CONFIG = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t-slim_1xb8-15e_synthetic.py'
RECIPE_CONFIG = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t_8xb32-300e_coco.py'
NUM_TRAIN, NUM_VAL = 160, 48


def draw_detections(config, checkpoint: str | Path, image: str | Path, out_file: str | Path,
                    score_thr: float = 0.3) -> int:
    """Run a detector on ``image`` and save the image with its detections to ``out_file``.

    Returns:
        The number of detections drawn (score >= ``score_thr``).
    """
    import mmcv
    from mmdet.apis import inference_detector, init_detector
    from mmdet.registry import VISUALIZERS

    init_mmdet()
    model = init_detector(config, str(checkpoint), device='cpu')
    result = inference_detector(model, str(image))
    visualizer = VISUALIZERS.build(dict(type='DetLocalVisualizer', name=f'demo_{time.time_ns()}'))
    visualizer.dataset_meta = model.dataset_meta
    img = mmcv.imread(str(image), channel_order='rgb')
    Path(out_file).parent.mkdir(parents=True, exist_ok=True)
    visualizer.add_datasample('prediction', img, result, draw_gt=False, pred_score_thr=score_thr,
                              out_file=str(out_file))
    return int((result.pred_instances.scores >= score_thr).sum())


def run_default(work_dir: Path, config: str | Path = DEMO_CONFIG) -> dict[str, float]:
    """Synthetic data -> CPU training -> COCO evaluation -> drawn predictions; returns metrics.

    Args:
        work_dir: output folder (data, training run, figures, tables).
        config: a config trained on the synthetic shapes (``*_synthetic.py``).
    """
    from mmengine.runner import Runner

    from .browse_dataset import augmented_grid
    from .datasets import make_synthetic_coco, point_config_at, train_on_synthetic
    from .evaluate import METRIC_NAMES

    start = time.time()
    data_root = make_synthetic_coco(work_dir / 'data', num_train=NUM_TRAIN, num_val=NUM_VAL)
    recipe = load_config(RECIPE_CONFIG if Path(config) == DEMO_CONFIG else config)
    train_on_synthetic(recipe, data_root)
    grid = augmented_grid(recipe, work_dir / 'figures' / 'augmented_batch.png', num=8)
    cfg = load_config(config)
    point_config_at(cfg, data_root)
    cfg.work_dir = str(work_dir / 'train')
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    runner.train()
    train_seconds = time.time() - start
    metrics = runner.test()
    release_loader_workers(runner)
    checkpoint = Path(cfg.work_dir) / f'epoch_{cfg.train_cfg.max_epochs}.pth'
    image = data_root / 'val' / '000000.png'
    figure = work_dir / 'figures' / 'prediction.png'
    drawn = draw_detections(cfg, checkpoint, image, figure, score_thr=0.5)
    results = {name: float(metrics[f'coco/{name}']) for name in METRIC_NAMES if f'coco/{name}' in metrics}
    with RunLogger(work_dir, tensorboard=False) as log:
        log.save_table([{'metric': k, 'value': round(v, 4)} for k, v in results.items()],
                       'evaluation', title=f'{Path(config).stem} on the synthetic shapes (val)')
        log.save_json(dict(config=str(config), metrics=results, train_seconds=round(train_seconds, 1),
                           checkpoint=str(checkpoint), figure=str(figure),
                           augmented_batch=str(grid)), 'results')
        log.info(f'mAP@0.5 = {results["bbox_mAP_50"]:.3f}, mAP@[.5:.95] = {results["bbox_mAP"]:.3f} '
                 f'after {train_seconds:.0f} s of data generation and training; {drawn} detections '
                 f'drawn on {image.name} -> {figure}; augmented training batch -> {grid}')
    return results


def main(argv: list[str] | None = None) -> dict[str, float] | int:
    parser = argparse.ArgumentParser(prog='python -m detection.demo', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/demo/detection', help='output folder')
    parser.add_argument('--config', help='config of the model to run on --image; alone: the '
                        'synthetic-data config to train (default: the reduced DAMO-YOLO-T)')
    parser.add_argument('--checkpoint', help='checkpoint of that model')
    parser.add_argument('--image', help='image to run the model on')
    parser.add_argument('--score-thr', type=float, default=0.3, help='smallest score drawn')
    args = parser.parse_args(argv)
    work_dir = Path(args.work_dir)
    if args.checkpoint is None and args.image is None:
        return run_default(work_dir, args.config or DEMO_CONFIG)
    if not all([args.config, args.checkpoint, args.image]):
        parser.error('--checkpoint and --image go together, with --config')
    out = work_dir / f'{Path(args.image).stem}_detections.png'
    n = draw_detections(load_config(args.config), args.checkpoint, args.image, out, args.score_thr)
    print(f'{n} detections with score >= {args.score_thr} drawn to {out}')
    return n


if __name__ == '__main__':
    main()
