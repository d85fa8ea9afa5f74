"""The images of a comparison run: the real training set, the generated images added to it, the labelled
source domain of the UDA setting, and the real query / gallery it is evaluated on.

``train.generated`` picks the generated images: ``"none"``, ``"all"`` (every row of ``data.generated`` that
passes the checks of ``generated_set``) or ``"filtered"`` (the kept rows of the scoring run
``train.score_run``, checked again). A generated image takes the label of its source image.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from mmengine.config import Config

from common.gan.manifest import ManifestRow
from common.person import PersonSplits, load_dukemtmc, load_market1501, load_personx
from common.reid.dataset import ReIDItem

from .generated_set import check_rows, load_generated_set, resolve_path
from .real_set import load_real_training_set, real_training_folder
from .score import read_kept_manifest

GENERATED_MODES = ("none", "all", "filtered")
SOURCE_LAYOUTS = ("personx", "market1501", "dukemtmc")


def real_items(cfg: Config) -> list[ReIDItem]:
    """The real training images with the pids of their file names."""
    return load_real_training_set(cfg.data.real.root, cfg.data.real.layout)


def generated_rows(cfg: Config, real: Sequence[ReIDItem]) -> list[ManifestRow]:
    """The generated images of ``train.generated`` (checked against the real set), absolute paths."""
    mode = cfg.train.generated
    if mode not in GENERATED_MODES:
        raise ValueError(f"unknown train.generated '{mode}': choose one of {', '.join(GENERATED_MODES)}")
    if mode == "none":
        return []
    folder = real_training_folder(cfg.data.real.root, cfg.data.real.layout)
    if mode == "all":
        return load_generated_set(cfg.data.generated, real, folder, cfg.data.skip_missing).rows
    if not cfg.train.score_run:
        raise ValueError("train.generated='filtered' reads the kept images of a scoring run: set train.score_run to "
                         "a run directory of python -m reid_gan_filter.score")
    kept = read_kept_manifest(cfg.train.score_run)
    if not kept:
        return []
    return check_rows(kept, real, where=f"kept manifest of {cfg.train.score_run}", skip_missing=False).rows


def labelled_items(real: Sequence[ReIDItem], rows: Sequence[ManifestRow], labels: Mapping[str, int]
                   ) -> list[ReIDItem]:
    """Training items: the real images with a label in ``labels`` (real path -> label; absent or -1: left
    out) and the generated images whose source has one, each with its source's label and camera."""
    by_path = {resolve_path(item.img_path): item for item in real}
    items = [item._replace(pid=labels[resolve_path(item.img_path)]) for item in real
             if labels.get(resolve_path(item.img_path), -1) >= 0]
    for row in rows:
        source = by_path[resolve_path(row.source_path)]
        label = labels.get(resolve_path(source.img_path), -1)
        if label >= 0:
            items.append(ReIDItem(resolve_path(row.generated_path), label, source.camid, None))
    return items


def evaluation_split(cfg: Config) -> PersonSplits:
    """The real data set's query and gallery (``data.real``)."""
    loaders = {"market1501": load_market1501, "dukemtmc": load_dukemtmc}
    if cfg.data.real.layout not in loaders:
        raise ValueError(f"unknown data.real.layout '{cfg.data.real.layout}': choose one of {', '.join(loaders)}")
    return loaders[cfg.data.real.layout](cfg.data.real.root)


def source_items(cfg: Config) -> list[ReIDItem]:
    """The labelled source domain of the UDA setting (``train.uda.source``), pids as loaded."""
    source = cfg.train.uda.source
    if not source.root:
        raise ValueError("the UDA setting needs a labelled source domain: set train.uda.source.root")
    if source.layout == "personx":
        return load_personx(source.root)
    if source.layout == "market1501":
        return load_market1501(source.root).train
    if source.layout == "dukemtmc":
        return load_dukemtmc(source.root).train
    raise ValueError(f"unknown train.uda.source.layout '{source.layout}': choose one of {', '.join(SOURCE_LAYOUTS)}")


def source_path_labels(real: Sequence[ReIDItem]) -> dict[str, int]:
    """``{real image path: label 0..C-1}`` from the real pids, in sorted pid order (the supervised labels)."""
    pids = sorted({item.pid for item in real if item.pid >= 0})
    index = {pid: label for label, pid in enumerate(pids)}
    return {resolve_path(item.img_path): index[item.pid] for item in real if item.pid >= 0}

