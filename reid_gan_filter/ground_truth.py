"""Known quality of generated images, and how well a selection finds the good ones.

A ground-truth file is a CSV with the columns ``generated_path`` and ``quality`` (further columns are
ignored), e.g. the synthetic set's ``quality_synthetic.csv`` (``good``, ``copy``, ``break``) or labels made
by hand for a real GAN set. Paths are matched to the scored rows after the same resolution
(``generated_set.resolve_path``).

``selection_quality`` tables, for each selection (E_c alone, E_d alone, the combined kept set), how many rows
it keeps, its precision and recall for the positive quality (``good``: kept good / kept, kept good / good),
F1, and the fraction of each quality it keeps.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from common.gan.manifest import ManifestRow

from .generated_set import GeneratedSetError, resolve_path

REQUIRED_COLUMNS = ("generated_path", "quality")


def read_ground_truth(path: str | Path, path_root: str | Path | None = None) -> dict[str, str]:
    """``{resolved generated path: quality}`` of a ground-truth CSV.

    Raises:
        FileNotFoundError: no such file. ValueError: missing columns or an empty quality (naming the row).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ground-truth file not found: {path}")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}; a ground-truth file has the columns "
                             f"{list(REQUIRED_COLUMNS)}")
        truth = {}
        for number, record in enumerate(reader, 1):
            if not record["quality"]:
                raise ValueError(f"{path}, row {number} ({record['generated_path']}): empty quality")
            truth[resolve_path(record["generated_path"], path_root)] = record["quality"]
    return truth


def row_qualities(rows: Sequence[ManifestRow], truth: Mapping[str, str], where: str) -> np.ndarray:
    """``(N,)`` quality label of each checked row (absolute paths).

    Raises:
        GeneratedSetError: a row without a label (naming it).
    """
    labels = []
    for number, row in enumerate(rows, 1):
        if row.generated_path not in truth:
            raise GeneratedSetError(f"{where} has no quality for scored row {number} ({row.generated_path})")
        labels.append(truth[row.generated_path])
    return np.asarray(labels, dtype=str)


def selection_quality(selections: Mapping[str, np.ndarray], qualities: np.ndarray,
                      positive: str = "good") -> list[dict[str, object]]:
    """One table row per selection: kept count, precision / recall / F1 for ``positive``, kept fraction per quality.

    Args:
        selections: ``{name: (N,) bool}``.
        qualities: ``(N,)`` labels.
        positive: the label of the images that should be kept.

    Raises:
        ValueError: no row has the ``positive`` label.
    """
    qualities = np.asarray(qualities)
    good = qualities == positive
    if not good.any():
        raise ValueError(f"no scored image has the quality '{positive}' (qualities: {sorted(set(qualities))})")
    table = []
    for name, kept in selections.items():
        kept = np.asarray(kept, dtype=bool)
        hits = int((kept & good).sum())
        precision = hits / kept.sum() if kept.any() else 0.0
        recall = hits / good.sum()
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        row: dict[str, object] = {"selection": name, "kept": int(kept.sum()), "precision": round(float(precision), 4),
                                  "recall": round(float(recall), 4), "F1": round(float(f1), 4)}
        for quality in sorted(set(qualities.tolist())):
            of = qualities == quality
            row[f"kept {quality}"] = f"{int((kept & of).sum())}/{int(of.sum())}"
        table.append(row)
    return table
