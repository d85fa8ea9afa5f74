"""What the training pipeline feeds the model: a grid of augmented training images with their
boxes (MMDetection's browse_dataset, as one figure), to see mosaic, affine, mixup and SADA at work.

    python -m detection.browse_dataset <config> [key=value ...] [--num 16] [--seed 0]
                                       [--synthetic] [--work-dir DIR]

``--synthetic`` generates the embedded shapes dataset under the work dir and points the
config's training set at it (any config, COCO ones included). SADA is shown at full strength
(the training hook ramps it up over the run). Writes ``figures/augmented_batch.png``.
"""
from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from common.config import add_config_arguments, parse_config_args, work_dir_from_args
from .runtime import load_config


def augmented_grid(cfg, out_file: str | Path, num: int = 16, seed: int = 0, cols: int = 4) -> Path:
    """Draw ``num`` training samples of ``cfg`` (as the loader serves them) in a grid.

    Returns:
        ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from mmdet.registry import DATASETS

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    classes = dataset.metainfo['classes']
    random.seed(seed)
    np.random.seed(seed)
    rows = (num + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis('off')
        if i >= num:
            continue
        sample = dataset[i % len(dataset)]
        img = sample['inputs'].permute(1, 2, 0).float().numpy()[..., ::-1]  # BGR -> RGB
        ax.imshow(np.clip(img, 0, 255).astype(np.uint8))
        gt = sample['data_samples'].gt_instances
        for (x1, y1, x2, y2), label in zip(gt.bboxes.tensor.tolist(), gt.labels.tolist()):
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, lw=1, color='lime'))
            ax.text(x1, y1, classes[label], fontsize=6, color='black',
                    bbox=dict(facecolor='lime', pad=0.5, lw=0))
        ax.set_title(f'{img.shape[1]}x{img.shape[0]}, {len(gt)} boxes', fontsize=7)
    fig.tight_layout()
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog='python -m detection.browse_dataset', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser)
    parser.add_argument('--num', type=int, default=16, help='training samples to draw')
    parser.add_argument('--seed', type=int, default=0, help='random seed of the augmentation')
    parser.add_argument('--synthetic', action='store_true',
                        help='train split of the generated shapes dataset instead of the config\'s')
    args = parse_config_args(parser, argv)
    cfg = load_config(args.config, {**(args.overrides or {}), **(args.cfg_options or {})})
    work_dir = work_dir_from_args(args)
    if args.synthetic:
        from .datasets import make_synthetic_coco, train_on_synthetic
        train_on_synthetic(cfg, make_synthetic_coco(work_dir / 'data', num_train=32, num_val=4))
    out = augmented_grid(cfg, work_dir / 'figures' / 'augmented_batch.png', args.num, args.seed)
    print(f'{args.num} augmented training samples of {Path(args.config).name} -> {out}')
    return out


if __name__ == '__main__':
    main()
