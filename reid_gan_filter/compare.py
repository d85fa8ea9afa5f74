"""One table comparing training runs: ``python -m reid_gan_filter.compare RUN_DIR [RUN_DIR ...] --out DIR``.

Each ``RUN_DIR`` is a finished run of ``python -m reid_gan_filter.train`` (its ``results.json``). The rows, in
setting order (supervised, UDA) and then real only / real + all generated / real + filtered, hold mAP, R1, R5
and mINP; they are printed and written to ``DIR/tables/comparison.md|json`` with a bar chart,
``DIR/figures/comparison.png``. The demo makes its table the same way.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from common.retrieval import metric_bars
from common.runlog import RunLogger

SETTINGS = ("supervised", "uda")
#: The table's name of each ``train.generated`` mode.
TRAINING_SETS = {"none": "real only", "all": "real + all generated", "filtered": "real + filtered"}
COLUMNS = ("mAP", "R1", "R5", "mINP")


def comparison_row(results: Mapping[str, Any], run: str | None = None) -> dict[str, Any]:
    """A table row from a run's results (``setting``, ``generated`` and the ``COLUMNS``)."""
    row = {"setting": results["setting"], "training set": TRAINING_SETS[results["generated"]],
           **{k: round(float(results[k]), 4) for k in COLUMNS}}
    return {**row, "run": run} if run is not None else row


def read_results(run_dir: str | Path) -> dict[str, Any]:
    """The ``results.json`` of a finished ``reid_gan_filter.train`` run."""
    path = Path(run_dir) / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {run_dir} is not a finished run of python -m reid_gan_filter.train")
    results = json.loads(path.read_text())
    missing = [k for k in ("setting", "generated", *COLUMNS) if k not in results]
    if missing or results["generated"] not in TRAINING_SETS:
        raise ValueError(f"{path}: not a reid_gan_filter.train result (missing {missing or 'a known generated mode'})")
    return results


def sort_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    order = list(TRAINING_SETS.values())
    return sorted(rows, key=lambda r: (SETTINGS.index(r["setting"]), order.index(r["training set"])))


def comparison_figure(rows: Sequence[dict[str, Any]], title: str):
    """mAP and R1 of every (setting, training set) row."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(max(5, 1.4 * len(rows)), 4))
    metric_bars(fig.subplots(), [f"{r['setting']}\n{r['training set']}" for r in rows],
                {k: [r[k] for r in rows] for k in ("mAP", "R1")}, title, rotation=0, tick_size=7)
    fig.tight_layout()
    return fig


def save_comparison(run: RunLogger, rows: Sequence[dict[str, Any]], name: str, title: str) -> None:
    """Print ``rows`` and write them as ``tables/<name>.md|json`` and ``figures/<name>.png``."""
    run.save_table(list(rows), name, title=title)
    run.save_figure(comparison_figure(rows, title), name)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.compare", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run directories of python -m reid_gan_filter.train")
    parser.add_argument("--out", default="work_dirs/comparison", help="where the table and the figure go")
    args = parser.parse_args(argv)
    rows = sort_rows([comparison_row(read_results(r), run=str(r)) for r in args.runs])
    with RunLogger(args.out, tensorboard=False) as run:
        save_comparison(run, rows, "comparison", "Training with real only / all / filtered generated images")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
