"""Train a detector from an MMDetection-style config with MMEngine's Runner.

    python -m detection.train <config> [key=value ...] [--cfg-options key=value ...]
                              [--work-dir DIR] [--resume] [--auto-scale-lr] [--amp]

Multi-GPU / multi-node: ``torchrun --nproc_per_node=K -m detection.train <config>`` (the
launcher is detected from torchrun's environment). The run directory holds the resolved config,
logs, ``vis_data/scalars.json`` (metrics as JSON lines), TensorBoard events and checkpoints;
``--resume`` continues from the latest checkpoint in it. ``--amp`` trains with automatic mixed
precision (MMEngine's ``AmpOptimWrapper``, dynamic loss scale), as MMDetection's ``tools/train.py``.
"""
from __future__ import annotations

import argparse

from mmengine.config import Config
from mmengine.runner import Runner

from common.config import add_config_arguments, parse_config_args, work_dir_from_args
from .runtime import load_config, release_loader_workers, set_launcher, source_dataset_cfg


def check_num_classes(cfg: Config) -> None:
    """The head's ``num_classes`` must equal the number of class names the data declares."""
    head = cfg.model.get('bbox_head', {})
    classes = source_dataset_cfg(cfg.train_dataloader.dataset).get('metainfo', {}).get('classes')
    if classes is not None and head.get('num_classes') not in (None, len(classes)):
        raise ValueError(f'model.bbox_head.num_classes={head["num_classes"]} but '
                         f'train_dataloader.dataset.metainfo.classes has {len(classes)} names; '
                         'set both to the classes of your annotation file')


def enable_amp(cfg: Config) -> None:
    """Mixed precision: ``optim_wrapper.type`` ``OptimWrapper`` -> ``AmpOptimWrapper`` with a dynamic loss
    scale (left as it is when the config already asks for AMP)."""
    kind = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if kind == 'AmpOptimWrapper':
        return
    if kind != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type=OptimWrapper; the config has {kind}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def build_runner(args: argparse.Namespace) -> Runner:
    """The MMEngine runner for the parsed command line."""
    cfg = load_config(args.config, {**(args.overrides or {}), **(args.cfg_options or {})})
    cfg.work_dir = str(work_dir_from_args(args))
    set_launcher(cfg)
    if args.resume:
        cfg.resume = True
        cfg.load_from = None
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.amp:
        enable_amp(cfg)
    check_num_classes(cfg)
    return Runner.from_cfg(cfg)


def main(argv: list[str] | None = None) -> Runner:
    parser = argparse.ArgumentParser(prog='python -m detection.train', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser)
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by (GPUs x batch) / auto_scale_lr.base_batch_size')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    runner = build_runner(parse_config_args(parser, argv))
    runner.train()
    release_loader_workers(runner)
    return runner


if __name__ == '__main__':
    main()
