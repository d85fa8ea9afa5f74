"""The record every run leaves: one run directory with the resolved config, a log file, metrics as
JSON lines, TensorBoard events, figures (PNG), tables and JSON results.

Only the main process (rank 0) writes; other ranks get a logger whose file methods do nothing, so
training code calls it unconditionally.
"""
from __future__ import annotations

import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from mmengine.config import Config
from tqdm.auto import tqdm

from .fileio import atomic_open, write_json

LOGGER_NAME = "reprozoo"


class NonFiniteError(FloatingPointError):
    """A loss or metric became NaN or infinite."""


def check_finite(value: float, name: str, step: int, hint: str = "") -> None:
    """Stop with a clear message when ``value`` is NaN/inf (e.g. a diverging loss)."""
    if not math.isfinite(float(value)):
        raise NonFiniteError(
            f"{name} is {float(value)} at step {step}. Checkpoints already written are intact; "
            f"try a lower learning rate or gradient clipping, then resume.{(' ' + hint) if hint else ''}")


def get_logger() -> logging.Logger:
    """The project's console logger (configured by the first ``RunLogger``)."""
    return logging.getLogger(LOGGER_NAME)


def _configure_console(logger: logging.Logger) -> None:
    if not any(getattr(h, "_reprozoo_console", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        handler._reprozoo_console = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def read_metrics(path: str | Path) -> list[dict]:
    """Parse a ``metrics.jsonl`` file, ignoring a torn last line left by a killed process."""
    rows = []
    lines = Path(path).read_text().splitlines()
    for i, line in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if i != len(lines) - 1:
                raise ValueError(f"{path}: malformed JSON on line {i + 1}") from None
    return rows


class RunLogger:
    """Run directory and every output of one run.

    Args:
        work_dir: the run directory (created).
        cfg: resolved config, dumped to ``work_dir/config.py``.
        rank: process rank; only rank 0 writes anything.
        tensorboard: also write TensorBoard events under ``work_dir/tensorboard``.
        resume_step: when resuming, drop metrics logged after this step (they will be logged again),
            so the record of a resumed run equals that of an uninterrupted one.
    """

    def __init__(self, work_dir: str | Path, cfg: Config | None = None, rank: int = 0,
                 tensorboard: bool = True, resume_step: int | None = None) -> None:
        self.dir = Path(work_dir)
        self.is_main = rank == 0
        self.logger = get_logger()
        _configure_console(self.logger)
        self._tb = None
        self.metrics_path = self.dir / "metrics.jsonl"
        if not self.is_main:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(self.dir / "run.log")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        self.logger.addHandler(file_handler)
        self._file_handler = file_handler
        if cfg is not None:
            cfg.dump(str(self.dir / "config.py"))
        if resume_step is not None and self.metrics_path.exists():
            kept = [r for r in read_metrics(self.metrics_path) if r.get("step", 0) <= resume_step]
            with atomic_open(self.metrics_path, "w") as f:
                f.writelines(json.dumps(r) + "\n" for r in kept)
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter
            self._tb = SummaryWriter(str(self.dir / "tensorboard"),
                                     purge_step=None if resume_step is None else resume_step + 1)

    def info(self, msg: str) -> None:
        if self.is_main:
            self.logger.info(msg)

    def log_metrics(self, step: int, **metrics: Any) -> None:
        """Append ``{"step": step, **metrics}`` to metrics.jsonl and numeric values to TensorBoard."""
        if not self.is_main:
            return
        row = {"step": int(step), "time": round(time.time(), 3), **metrics}
        with open(self.metrics_path, "a") as f:
            f.write(json.dumps(row, default=float) + "\n")
        if self._tb is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._tb.add_scalar(key, value, step)

    def progress(self, iterable: Iterable | None = None, **kwargs: Any) -> tqdm:
        """A tqdm progress bar, shown on the main process only."""
        disable = kwargs.pop("disable", False) or not self.is_main
        return tqdm(iterable, disable=disable, dynamic_ncols=True, **kwargs)

    def save_figure(self, fig: Any, name: str, dpi: int = 120) -> Path:
        """Save a matplotlib figure as ``figures/<name>.png`` and close it."""
        import matplotlib.pyplot as plt
        path = self.dir / "figures" / f"{name}.png"
        if self.is_main:
            with atomic_open(path, "wb") as f:
                fig.savefig(f, format="png", dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        return path

    def save_json(self, obj: Any, name: str) -> Path:
        """Write ``obj`` to ``<name>.json`` in the run directory."""
        path = self.dir / f"{name}.json"
        if self.is_main:
            write_json(path, obj)
        return path

    def save_table(self, rows: Sequence[Mapping[str, Any]], name: str, title: str | None = None) -> Path:
        """Print ``rows`` as a table and save it as ``tables/<name>.md`` and ``tables/<name>.json``."""
        path = self.dir / "tables" / f"{name}.md"
        if not self.is_main or not rows:
            return path
        columns = list(dict.fromkeys(k for r in rows for k in r))
        cells = [[_fmt(r.get(c, "")) for c in columns] for r in rows]
        _print_rich_table(title or name, columns, cells)
        lines = [f"| {' | '.join(columns)} |", f"|{'|'.join('---' for _ in columns)}|"]
        lines += [f"| {' | '.join(row)} |" for row in cells]
        with atomic_open(path, "w") as f:
            f.write((f"# {title}\n\n" if title else "") + "\n".join(lines) + "\n")
        write_json(path.with_suffix(".json"), list(rows))
        return path

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None
        handler = getattr(self, "_file_handler", None)
        if handler is not None:
            self.logger.removeHandler(handler)
            handler.close()
            self._file_handler = None

    def __enter__(self) -> "RunLogger":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_rich_table(title: str, columns: list[str], cells: list[list[str]]) -> None:
    """Print a table with every cell in full: on a terminal narrower than the table a cell folds onto more
    lines instead of ending in "…"; elsewhere (CI logs, ``| tee``) the table is printed at its own width,
    not rich's default 80 columns."""
    from rich.console import Console
    from rich.table import Table
    table = Table(title=title, min_width=len(title))  # the title on one line when there is room
    for c in columns:
        table.add_column(c, overflow="fold")
    for row in cells:
        table.add_row(*row)
    console = Console()
    if not console.is_terminal:
        natural = Console(width=100_000).measure(table).maximum
        console = Console(width=natural)
    console.print(table)
