"""Parameters and GFLOPs of every model config next to the numbers its paper/README reports.

    python -m detection.complexity [config ...] [--work-dir DIR]

Counts are taken the way each official table counts: on the re-parameterised model (RepConv
branches fused, BatchNorm kept) with MMEngine's FlopAnalyzer, at the input size the config's
``official_complexity`` names, as ``flops_per_mac`` x multiply-accumulates: 2 for DAMO-YOLO
(thop MACs x 2, at 640x640; 416x416 for Nano), 1 for GiraffeDet (its README's "FLOPs" at
1280x768 are mmcv's get_model_complexity_info count, i.e. MACs). The graph is backbone + neck +
head + box decoding, without NMS. Configs without ``official_complexity`` are skipped unless
named; official numbers given as ``None`` (not published) leave only ours in the row.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count

from common.runlog import RunLogger
from .deployment import DeployModel
from .models import reparameterize
from .runtime import all_configs, build_detector_from_config, load_config


DEFAULT_FLOPS_PER_MAC = 2  # DAMO-YOLO's convention (thop MACs x 2)


def count(config: str | Path, input_shape: Optional[tuple[int, int]] = None) -> dict[str, float]:
    """``{'params_m', 'gflops'}`` of the re-parameterised model of ``config``.

    Args:
        config: config file.
        input_shape: ``(H, W)``; default: the config's ``official_complexity.input_shape``.

    GFLOPs are ``official_complexity.flops_per_mac`` (default 2) x multiply-accumulates.
    """
    cfg = load_config(config)
    official = cfg.get('official_complexity') or {}
    if input_shape is None:
        input_shape = tuple(official['input_shape'])
    flops_per_mac = official.get('flops_per_mac', DEFAULT_FLOPS_PER_MAC)
    detector = reparameterize(build_detector_from_config(cfg), fold_bn=False)
    model = DeployModel(detector).eval()
    analyzer = FlopAnalyzer(model, (torch.zeros(1, 3, *input_shape), ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return dict(params_m=parameter_count(model)[''] / 1e6,
                gflops=flops_per_mac * analyzer.total() / 1e9)


def table(configs: list[Path]) -> list[dict]:
    """One row per config: ours vs official params and GFLOPs, with relative differences."""
    rows = []
    for config in configs:
        official = load_config(config).get('official_complexity')
        ours = count(config, None if official else (640, 640))
        shape = official['input_shape'] if official else (640, 640)
        row = {'config': config.stem, 'input': 'x'.join(map(str, shape)),
               'flops_per_mac': (official or {}).get('flops_per_mac', DEFAULT_FLOPS_PER_MAC),
               'params_m': round(ours['params_m'], 3), 'gflops': round(ours['gflops'], 2)}
        for key, diff in (('params_m', 'params_diff_pct'), ('gflops', 'gflops_diff_pct')):
            if official and official.get(key) is not None:
                row[f'official_{key}'] = official[key]
                row[diff] = round(100 * (ours[key] / official[key] - 1), 2)
        rows.append(row)
    return rows


def _printable(row: dict) -> dict:
    """A narrow rendering of a :func:`table` row (the JSON keeps the numbers)."""
    out = {'model': row['config'].split('_')[1], 'input': row['input'],
           'FLOPs per MAC': row['flops_per_mac']}
    for key, diff, label in (('params_m', 'params_diff_pct', 'params (M)'),
                             ('gflops', 'gflops_diff_pct', 'GFLOPs')):
        official = row.get(f'official_{key}')
        out[label] = (f'{row[key]} vs {official} ({row[diff]:+.2f}%)' if official is not None
                      else str(row[key]))
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog='python -m detection.complexity', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='*', help='configs (default: every config with an official_complexity entry)')
    parser.add_argument('--work-dir', default='work_dirs/complexity', help='output folder')
    args = parser.parse_args(argv)
    configs = [Path(c) for c in args.configs] or [
        c for c in all_configs() if load_config(c).get('official_complexity')]
    rows = table(configs)
    with RunLogger(args.work_dir, tensorboard=False) as log:
        log.save_json(rows, 'complexity')
        log.save_table([_printable(r) for r in rows], 'complexity',
                       title='Params and GFLOPs, ours vs official (re-parameterised)')
    return rows


if __name__ == '__main__':
    main()
