"""The selection cut-offs, measured: ``python -m reid_gan_filter.ablation <train config> [key=value ...]
[--work-dir DIR]``.

Each cell of the grid ``ablation.consistency`` x ``ablation.diversity`` sets the ``value`` of
``selection.consistency`` and ``selection.diversity`` (their ``rule``, ``scope`` and ``combine`` stay as
configured) and selects again from the scores of the scoring run ``train.score_run`` (no image is encoded
again). With the default percentile rule, 100 keeps every image in that space: the row ``consistency 100``
is E_d alone, the column ``diversity 100`` is E_c alone, and their corner is "real + all generated".

For each cell, in ``<work_dir>/c<value>_d<value>/``: the kept manifest (``kept/manifest.csv``) and, with
``ablation.train``, a comparison run of ``train.setting`` with the real images and the kept ones
(``reid_gan_filter.training_runs``; it resumes, so a rerun continues). In the UDA setting the cells adapt one
source model (``train.uda.source_weights``, else the one the first cell trains).

Written in the work directory: ``tables/ablation.md|json`` (per cell: the number kept, precision / recall of
the good images when the scoring run had ground truth, mAP / R1 / R5 / mINP when trained),
``figures/ablation_heatmap.png`` (one heat-map per measured quantity) and ``ablation.json``.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config

from common.config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from common.device import seed_everything
from common.distributed import DistInfo, barrier, cleanup_distributed, init_distributed
from common.gan.manifest import write_manifest
from common.runlog import RunLogger

from .training_runs import run_comparison
from .defaults import DEFAULTS
from .ground_truth import selection_quality
from .score import KEPT_DIR, read_scores, selection_groups
from .selection import select_generated

#: Heat-map panels, in order, when the cells have them.
PANELS = ("kept", "precision", "recall", "mAP", "R1")


def cell_name(consistency: float, diversity: float) -> str:
    return f"c{consistency:g}_d{diversity:g}"


def _grid(cfg: Config) -> tuple[list[float], list[float]]:
    grid = [[float(v) for v in cfg.ablation[space]] for space in ("consistency", "diversity")]
    for space, values in zip(("consistency", "diversity"), grid):
        if not values or len(set(values)) != len(values):
            raise ValueError(f"ablation.{space} must list distinct cut-off values, got {cfg.ablation[space]}")
    return grid[0], grid[1]


def select_cells(cfg: Config, work_dir: Path) -> list[dict[str, Any]]:
    """Select every cell's images from the scores of ``train.score_run`` and write its kept manifest; returns
    one record per cell (cut-offs, ``kept``, and precision / recall with ground truth)."""
    if not cfg.train.score_run:
        raise ValueError("the ablation selects again from a scoring run's scores: set train.score_run to a run "
                         "directory of python -m reid_gan_filter.score")
    saved = read_scores(cfg.train.score_run)
    groups = selection_groups(saved.rows, cfg.selection.scope)
    consistency_values, diversity_values = _grid(cfg)
    selections = {}
    for c in consistency_values:
        for d in diversity_values:
            settings = {**cfg.selection, "consistency": {**cfg.selection.consistency, "value": c},
                        "diversity": {**cfg.selection.diversity, "value": d}}
            selections[c, d] = select_generated(saved.consistency, saved.diversity, groups, settings).kept
    cells = []  # every cell is checked before anything is written
    for (c, d), kept in selections.items():
        write_manifest([row for row, keep in zip(saved.rows, kept) if keep], work_dir / cell_name(c, d) / KEPT_DIR)
        cell: dict[str, Any] = {"consistency": c, "diversity": d, "kept": int(kept.sum())}
        if saved.qualities is not None:
            quality = selection_quality({"cell": kept}, saved.qualities, cfg.data.positive_quality)[0]
            cell.update(precision=quality["precision"], recall=quality["recall"])
        cells.append(cell)
    return cells


def heatmaps(cells: Sequence[dict[str, Any]], rules: tuple[str, str]):
    """One heat-map per quantity of ``PANELS`` the cells have: consistency cut-off (rows) x diversity (columns)."""
    from matplotlib.figure import Figure

    rows = sorted({cell["consistency"] for cell in cells})
    columns = sorted({cell["diversity"] for cell in cells})
    panels = [p for p in PANELS if all(p in cell for cell in cells)]
    fig = Figure(figsize=(3.4 * len(panels), 3.2))
    for ax, panel in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
        grid = np.full((len(rows), len(columns)), np.nan)
        for cell in cells:
            grid[rows.index(cell["consistency"]), columns.index(cell["diversity"])] = cell[panel]
        image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            ax.text(j, i, f"{value:.0f}" if panel == "kept" else f"{value:.3f}", ha="center", va="center",
                    fontsize=7, color="w" if value < np.nanmean(grid) else "k")
        ax.set_xticks(range(len(columns)), [f"{v:g}" for v in columns], fontsize=7)
        ax.set_yticks(range(len(rows)), [f"{v:g}" for v in rows], fontsize=7)
        ax.set_xlabel(f"diversity cut-off ({rules[1]})", fontsize=8)
        ax.set_ylabel(f"consistency cut-off ({rules[0]})", fontsize=8)
        ax.set_title(panel, fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def run_ablation(cfg: Config, work_dir: str | Path, info: DistInfo) -> list[dict[str, Any]]:
    """Select (and with ``ablation.train`` train and evaluate) every cell; returns the cells' records (rank 0;
    the other ranks return ``[]``)."""
    work_dir = Path(work_dir)
    cells = [] if not info.is_main else select_cells(cfg, work_dir)
    barrier()
    if cfg.ablation.train:
        source = cfg.train.uda.source_weights
        for c, d in itertools.product(*_grid(cfg)):
            cell_dir = work_dir / cell_name(c, d)
            cell_cfg = Config(cfg.to_dict())
            cell_cfg.merge_from_dict({"train.generated": "filtered", "train.score_run": str(cell_dir),
                                      "train.uda.source_weights": source})
            seed_everything(cfg.seed)
            scores = run_comparison(cell_cfg, cell_dir, info)
            if cfg.train.setting == "uda" and source is None:
                source = str(cell_dir / "source")
            for cell in cells:
                if (cell["consistency"], cell["diversity"]) == (c, d):
                    cell.update({k: round(float(scores[k]), 4) for k in ("mAP", "R1", "R5", "mINP")})
    rules = (cfg.selection.consistency.rule, cfg.selection.diversity.rule)
    with RunLogger(work_dir, cfg, rank=info.rank) as run:
        what = f", {cfg.train.setting} training" if cfg.ablation.train else ""
        run.save_table(cells, "ablation", title=f"Selection cut-offs ({' / '.join(rules)}){what}, scores of "
                       f"{cfg.train.score_run}")
        run.save_json({"rules": dict(zip(("consistency", "diversity"), rules)), "score_run": str(cfg.train.score_run),
                       "setting": cfg.train.setting if cfg.ablation.train else None, "cells": cells}, "ablation")
        if cells:
            run.save_figure(heatmaps(cells, rules), "ablation_heatmap")
        run.info(f"ablation: {len(cells)} cells; figure {run.dir / 'figures' / 'ablation_heatmap.png'}")
    return cells


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.ablation", description=__doc__.splitlines()[0])
    return add_config_arguments(parser)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    info = init_distributed(cfg.device)
    try:
        return run_ablation(cfg, work_dir_from_args(args), info)
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
