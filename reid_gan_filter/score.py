"""Score every GAN-generated image of a ReID training set and keep the good ones.

``python -m reid_gan_filter.score <config> [key=value ...] [--work-dir DIR]``:

1. the real training set (``data.real``) and the generated images (``data.generated``: a ``common.gan``
   manifest or a folder pair), checked row by row (``generated_set``);
2. the encoders of the two spaces (``encoders``); a ReID E_c without weights is first trained on the real
   training set (``consistency_training``, reused when already trained);
3. every image's features, in batches with a progress bar, cached in chunks (``feature_cache``: a rerun
   reuses finished chunks), and each generated image's distance to its source in both spaces (``scoring``);
4. the selection (``selection``): small consistency distance and large diversity distance, combined.

The run directory (``--work-dir``, default ``work_dirs/<config stem>``) receives ``config.py``, ``run.log``,
``metrics.jsonl`` and

* ``kept/manifest.csv`` and ``kept/manifest.json``: the kept rows in the ``common.gan`` manifest format, with
  absolute paths (``read_kept_manifest(run_dir)``, or ``common.gan.read_manifest``);
* ``scores.json``: every scored row with both distances, its cut-offs and the decisions (and its quality
  when ground truth is given); ``skipped.json``: the rows left out with ``data.skip_missing``;
* ``figures/score_histograms.png`` (both scores, with the cut-offs), ``figures/score_scatter.png``
  (consistency vs diversity, kept / rejected) and ``figures/grid_<generator>.png`` (the best kept and the
  worst rejected images of each generator, beside their sources);
* ``tables/generators.md|json`` (kept per generator) and, with ``data.ground_truth``,
  ``tables/selection_quality.md|json``: precision and recall of the good class for E_c alone, E_d alone
  and the combined selection (also printed);
* ``consistency_encoder/`` (E_c's training run, when trained here) and ``feature_cache/``.

Every file is written atomically and only once scoring has finished, so a failed run leaves no half-written
result.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config, DictAction

from common.config import config_from_args, parse_config_args, work_dir_from_args
from common.device import resolve_device, seed_everything
from common.gan.manifest import ManifestRow, read_manifest, write_manifest
from common.reid.dataset import ReIDItem
from common.runlog import RunLogger

from .consistency_training import train_consistency_encoder
from .defaults import DEFAULTS
from .encoders import ENCODER_TYPES, ImageEncoder, build_encoder
from .figures import joint_rank, pair_grid, score_histograms, score_scatter
from .generated_set import SkippedRow, load_generated_set
from .ground_truth import read_ground_truth, row_qualities, selection_quality
from .real_set import load_real_training_set, real_training_folder
from .scoring import METRICS, SPACES, score_rows
from .selection import Selection, check_selection, scope_groups, select_generated

KEPT_DIR = "kept"


@dataclass
class ScoreResult:
    """What a scoring run found: the scored rows, their ``(N,)`` distances, the selection, where the kept
    manifest is, the precision/recall table (``None`` without ground truth) and the rows left out."""

    rows: list[ManifestRow]
    consistency: np.ndarray
    diversity: np.ndarray
    selection: Selection
    kept_manifest: Path
    quality: list[dict[str, Any]] | None
    skipped: list[SkippedRow]


def read_kept_manifest(run_dir: str | Path) -> list[ManifestRow]:
    """The kept rows of a scoring run directory (``kept/manifest.csv``)."""
    return read_manifest(Path(run_dir) / KEPT_DIR / "manifest.csv")


@dataclass
class SavedScores:
    """The ``scores.json`` of a scoring run: its rows, their ``(N,)`` distances, and their ``(N,)`` qualities
    when it had ground truth (else ``None``)."""

    rows: list[ManifestRow]
    consistency: np.ndarray
    diversity: np.ndarray
    qualities: np.ndarray | None


def read_scores(run_dir: str | Path) -> SavedScores:
    """Read back the scores of a finished scoring run directory."""
    path = Path(run_dir) / "scores.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {run_dir} is not a finished run of python -m reid_gan_filter.score")
    records = json.loads(path.read_text())
    rows = [ManifestRow(*(record[f] for f in ManifestRow._fields)) for record in records]
    values = lambda key: np.asarray([record[key] for record in records], dtype=np.float64)  # noqa: E731
    qualities = None
    if records and all("quality" in record for record in records):
        qualities = np.asarray([record["quality"] for record in records], dtype=str)
    return SavedScores(rows, values("consistency"), values("diversity"), qualities)


def selection_groups(rows: Sequence[ManifestRow], scope: str) -> np.ndarray:
    """``(N,)`` group labels of ``rows`` under the selection ``scope``."""
    _, source_index = np.unique([row.source_path for row in rows], return_inverse=True)
    return scope_groups(scope, source_index, np.asarray([row.pid for row in rows]))


def check_config(cfg: Config) -> None:
    """Stop on an unknown encoder type, metric or selection setting before anything is read or trained."""
    for space in SPACES:
        kind, metric = cfg.encoders[space].type, cfg.encoders[space].metric
        if kind not in ENCODER_TYPES:
            raise ValueError(f"encoders.{space}.type must be one of {', '.join(ENCODER_TYPES)}, got '{kind}'")
        if metric not in METRICS:
            raise ValueError(f"encoders.{space}.metric must be one of {', '.join(METRICS)}, got '{metric}'")
    check_selection(cfg.selection)


def build_encoders(cfg: Config, real_items: Sequence[ReIDItem], work_dir: Path, device: str, run: RunLogger
                   ) -> dict[str, ImageEncoder]:
    """The encoder of each space; a ReID encoder without weights is trained on ``real_items`` first."""
    built: dict[str, ImageEncoder] = {}
    for space in SPACES:
        kind, metric = cfg.encoders[space].type, cfg.encoders[space].metric
        if kind not in built:
            settings = dict(cfg.encoders[kind])
            if kind == "reid" and not settings.get("weights"):
                train_dir = Path(settings["train_dir"] or work_dir / "consistency_encoder")
                run.info(f"encoders.reid.weights is not set: training E_c on the real training set in {train_dir}")
                settings["weights"] = train_consistency_encoder(real_items, train_dir, settings,
                                                                cfg.consistency_training, device=device, seed=cfg.seed)
            built[kind] = build_encoder(kind, settings)
        run.info(f"{space} space: {kind} encoder, {metric} distance")
    return {space: built[cfg.encoders[space].type] for space in SPACES}


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "generator"


def _generator_table(rows: list[ManifestRow], consistency: np.ndarray, diversity: np.ndarray,
                     kept: np.ndarray) -> list[dict[str, Any]]:
    generators = np.asarray([row.generator for row in rows])
    table = []
    for name in sorted(set(generators.tolist())):
        of = generators == name
        table.append({"generator": name, "images": int(of.sum()), "kept": int(kept[of].sum()),
                      "kept %": round(100 * float(kept[of].mean()), 1),
                      "median consistency": round(float(np.median(consistency[of])), 4),
                      "median diversity": round(float(np.median(diversity[of])), 4)})
    return table


def _score_records(rows: list[ManifestRow], consistency: np.ndarray, diversity: np.ndarray, selection: Selection,
                   qualities: np.ndarray | None) -> list[dict[str, Any]]:
    records = []
    for i, row in enumerate(rows):
        record = {**row._asdict(), "consistency": float(consistency[i]), "diversity": float(diversity[i]),
                  "cutoff_consistency": float(selection.cutoff_consistency[i]),
                  "cutoff_diversity": float(selection.cutoff_diversity[i]),
                  "keep_consistency": bool(selection.keep_consistency[i]),
                  "keep_diversity": bool(selection.keep_diversity[i]), "kept": bool(selection.kept[i])}
        if qualities is not None:
            record["quality"] = str(qualities[i])
        records.append(record)
    return records


def _save_figures(run: RunLogger, cfg: Config, rows: list[ManifestRow], consistency: np.ndarray,
                  diversity: np.ndarray, selection: Selection, qualities: np.ndarray | None) -> None:
    report = cfg.report
    run.save_figure(score_histograms(consistency, diversity, selection, qualities, report.histogram_bins),
                    "score_histograms")
    run.save_figure(score_scatter(consistency, diversity, selection, qualities, report.scatter_max_points,
                                  cfg.seed), "score_scatter")
    rank = joint_rank(consistency, diversity)
    generators = np.asarray([row.generator for row in rows])
    for name in sorted(set(generators.tolist())):
        of = generators == name
        kept, rejected = np.flatnonzero(of & selection.kept), np.flatnonzero(of & ~selection.kept)
        best = kept[np.argsort(-rank[kept], kind="stable")][:report.grid_images]
        worst = rejected[np.argsort(rank[rejected], kind="stable")][:report.grid_images]
        run.save_figure(pair_grid(rows, best.tolist(), worst.tolist(), consistency, diversity, name),
                        f"grid_{_safe_name(name)}")


def run_scoring(cfg: Config, work_dir: str | Path) -> ScoreResult:
    """Score, select and report into ``work_dir`` (see the module docstring)."""
    check_config(cfg)
    work_dir = Path(work_dir)
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    data = cfg.data
    with RunLogger(work_dir, cfg) as run:
        real_items = load_real_training_set(data.real.root, data.real.layout)
        generated = load_generated_set(data.generated, real_items, real_training_folder(data.real.root,
                                                                                        data.real.layout),
                                       data.skip_missing)
        rows = generated.rows
        run.info(f"{len(rows)} generated images of {len({r.source_path for r in rows})} real images from "
                 f"{generated.origin}; real training set: {len(real_items)} images")
        if generated.skipped:
            counts = ", ".join(f"{n} {kind}" for kind, n in generated.skipped_counts().items() if n)
            run.info(f"data.skip_missing: {len(generated.skipped)} rows left out ({counts}); see skipped.json")
        qualities = None
        if data.ground_truth:
            truth = read_ground_truth(data.ground_truth, data.generated.path_root)
            qualities = row_qualities(rows, truth, f"ground truth {data.ground_truth}")
        encoders = build_encoders(cfg, real_items, work_dir, str(device), run)
        features = cfg.features
        scores = score_rows(rows, encoders, {s: cfg.encoders[s].metric for s in SPACES},
                            features.cache_dir or work_dir / "feature_cache", chunk_size=features.chunk_size,
                            batch_size=features.batch_size, num_workers=data.num_workers, device=device,
                            progress=run.progress)
        for space, result in scores.items():
            run.info(f"{space} features: {result.reused_chunks} cached chunk(s) reused, "
                     f"{result.computed_chunks} computed")
        consistency, diversity = scores["consistency"].distances, scores["diversity"].distances
        selection = select_generated(consistency, diversity, selection_groups(rows, cfg.selection.scope),
                                     cfg.selection)
        quality = None
        if qualities is not None:
            quality = selection_quality({"E_c alone": selection.keep_consistency,
                                         "E_d alone": selection.keep_diversity,
                                         cfg.selection.combine: selection.kept}, qualities, data.positive_quality)
        run.save_json(_score_records(rows, consistency, diversity, selection, qualities), "scores")
        if generated.skipped:
            run.save_json([dataclasses.asdict(s) for s in generated.skipped], "skipped")
        _save_figures(run, cfg, rows, consistency, diversity, selection, qualities)
        run.save_table(_generator_table(rows, consistency, diversity, selection.kept), "generators",
                       title="Kept generated images per generator")
        if quality is not None:
            run.save_table(quality, "selection_quality",
                           title=f"Precision / recall of the kept set for '{data.positive_quality}' images")
        kept_rows = [row for row, keep in zip(rows, selection.kept) if keep]
        manifest, _ = write_manifest(kept_rows, work_dir / KEPT_DIR)
        run.log_metrics(0, scored=len(rows), kept=len(kept_rows), skipped=len(generated.skipped),
                        **{f"{r['selection']}/{k}": r[k] for r in quality or [] for k in ("precision", "recall")})
        run.info(f"kept {len(kept_rows)} of {len(rows)} generated images -> {manifest}")
    return ScoreResult(rows, consistency, diversity, selection, manifest, quality, generated.skipped)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reid_gan_filter.score", description=__doc__.splitlines()[0])
    parser.add_argument("config", help="path to an mmengine config file (.py)")
    parser.add_argument("--work-dir", default=None, help="run directory (default: work_dirs/<config file stem>)")
    parser.add_argument("overrides", nargs="*", action=DictAction, default={},
                        help="overrides as key.sub=value (lists: key=1,2,3 or key='[1,2]')")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={},
                        help="overrides, MMDetection style (same syntax as the positional ones)")
    return parser


def main(argv: list[str] | None = None) -> ScoreResult:
    import matplotlib

    matplotlib.use("Agg")
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    return run_scoring(cfg, work_dir_from_args(args))


if __name__ == "__main__":
    main(sys.argv[1:])
