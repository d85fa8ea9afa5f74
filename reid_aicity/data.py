"""From a config to training items, the retrieval target, and their data loaders.

* ``training_items``: stage 1's training set, the union of ``data.train_sets`` (paper Table 1):
  ``aic`` (CityFlowV2 images), ``aic_crop`` (the same images cropped to detector boxes, CVF2-C, same
  labels) and ``sim`` (VehicleX, identities numbered after the real ones, DMT ``aic_sim``).
* ``load_target``: the query / gallery set that stage 2 adapts to and that evaluation scores:
  the AI City test set or the Split-Test (``split_test``).
* ``train_loader`` (P x K ``IdentitySampler`` or shuffled batches, DDP-aware) and ``test_loader``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from mmengine.config import Config
from torch.utils.data import DataLoader, DistributedSampler

from common.distributed import DistInfo
from common.reid.dataset import ReIDDataset, ReIDItem, check_items
from common.reid.evaluation_files import folder_items
from common.reid.sampler import IdentitySampler
from common.reid.transforms import build_test_transform, build_train_transform

from .datasets import load_aic21_track2, load_aic_split, load_vehiclex, load_veri776
from .split_test import carve_split_test
from .track_files import NO_TRACK

TRAIN_SETS = ("aic", "aic_crop", "sim")


def aic_dir(cfg: Config) -> Path:
    return Path(cfg.data.root) / cfg.data.aic_dir


@dataclass
class TargetSet:
    """Queries and gallery of a retrieval task (``extra`` of each item: its track ID, -1 for none).

    ``labelled``: every query and gallery item has a vehicle ID (the synthetic data, a Split-Test), so
    the ranking can be scored.
    """

    query: list[ReIDItem]
    gallery: list[ReIDItem]
    name: str

    @property
    def labelled(self) -> bool:
        return all(item.pid >= 0 for item in self.query + self.gallery)

    def arrays(self) -> dict[str, np.ndarray]:
        """``q_pids``, ``g_pids``, ``q_cams``, ``g_cams``, ``g_tracks`` as int64 arrays."""
        def col(items, field):
            return np.asarray([getattr(item, field) for item in items], dtype=np.int64)
        return {"q_pids": col(self.query, "pid"), "g_pids": col(self.gallery, "pid"),
                "q_cams": col(self.query, "camid"), "g_cams": col(self.gallery, "camid"),
                "g_tracks": np.asarray([NO_TRACK if item.extra is None else item.extra for item in self.gallery],
                                       dtype=np.int64)}


def training_items(cfg: Config) -> tuple[list[ReIDItem], int]:
    """Stage 1's training items (track IDs as ``extra``, -1 for synthetic images) and their class count."""
    unknown = sorted(set(cfg.data.train_sets) - set(TRAIN_SETS))
    if unknown or not cfg.data.train_sets:
        raise ValueError(f"data.train_sets must be a non-empty subset of {list(TRAIN_SETS)}, got "
                         f"{list(cfg.data.train_sets)}")
    splits = load_aic21_track2(cfg.data.root, cfg.data.aic_dir)
    real = splits.train
    if cfg.data.target == "split_test":
        real = carve_split_test(real, **cfg.data.split_test).train
    items: list[ReIDItem] = []
    if "aic" in cfg.data.train_sets:
        items += real
    if "aic_crop" in cfg.data.train_sets:
        crop_dir = aic_dir(cfg) / cfg.data.crop_train_dir
        if not crop_dir.is_dir():
            raise FileNotFoundError(f"CVF2-C crop folder not found: {crop_dir}. Make it with python -m "
                                    "reid_aicity.crop_detections, or drop 'aic_crop' from data.train_sets")
        items += check_items([(str(crop_dir / Path(item.img_path).name), *item[1:]) for item in real],
                             name=f"CVF2-C crops ({crop_dir})")
    num_real = len({item.pid for item in real})
    if "sim" in cfg.data.train_sets:
        items += load_vehiclex(Path(cfg.data.root) / cfg.data.sim_dir, cfg.data.sim_image_dir,
                               pid_offset=num_real if {"aic", "aic_crop"} & set(cfg.data.train_sets) else 0).items
    num_classes = len({item.pid for item in items})
    if sorted({item.pid for item in items}) != list(range(num_classes)):
        raise ValueError("training identities must be numbered 0..C-1 (internal error in the data sets' relabelling)")
    return items, num_classes


TARGETS = ("test", "split_test", "veri776", "folders")


def load_target(cfg: Config) -> TargetSet:
    """The retrieval set of ``data.target``: the AI City test set, the Split-Test carved from the training
    set, VeRi-776's query / test split (``data.veri_dir``), or a query / gallery folder pair
    (``data.folders``)."""
    target = cfg.data.target
    if target in ("test", "split_test"):
        splits = load_aic21_track2(cfg.data.root, cfg.data.aic_dir)
        if target == "test":
            return TargetSet(splits.query, splits.gallery, "test")
        split = carve_split_test(splits.train, **cfg.data.split_test)
        return TargetSet(split.query, split.gallery, "split_test")
    if target == "veri776":
        splits = load_veri776(Path(cfg.data.root) / cfg.data.veri_dir)
        return TargetSet(splits.query, splits.gallery, "veri776")
    if target == "folders":
        if not (cfg.data.folders.query and cfg.data.folders.gallery):
            raise ValueError("data.target='folders' needs data.folders.query and data.folders.gallery")
        return TargetSet(folder_items(cfg.data.folders.query, "data.folders.query"),
                         folder_items(cfg.data.folders.gallery, "data.folders.gallery"), "folders")
    raise ValueError(f"data.target must be one of {', '.join(TARGETS)}, got {target!r}")


def detector_crops(cfg: Config, target: TargetSet) -> TargetSet:
    """The target's images as cropped by ``crop_detections``, for the augmentation test: the test set's
    crops in ``data.crop_test_dir``, a Split-Test's in ``data.crop_train_dir`` (CVF2-C, same file names).
    The gallery is cropped only with ``test.crop_gallery`` (see the schema)."""
    if target.name == "test":
        base = aic_dir(cfg) / cfg.data.crop_test_dir
        query = load_aic_split(aic_dir(cfg), "query", base / "image_query")
        gallery = load_aic_split(aic_dir(cfg), "test", base / "image_test") if cfg.test.crop_gallery else None
    elif target.name == "split_test":
        crop_dir = aic_dir(cfg) / cfg.data.crop_train_dir

        def cropped(items: list[ReIDItem], what: str) -> list[ReIDItem]:
            return check_items([(str(crop_dir / Path(it.img_path).name), *it[1:]) for it in items],
                               name=f"Split-Test {what} crops ({crop_dir})")
        query = cropped(target.query, "query")
        gallery = cropped(target.gallery, "gallery") if cfg.test.crop_gallery else None
    else:
        raise ValueError(f"test.crop_test='detector' reads the detector crops of the AI City test set or the "
                         f"Split-Test; the target '{target.name}' has none: set test.crop_test=None or 'center'")
    return TargetSet(query, gallery if gallery is not None else target.gallery, f"{target.name}_crops")


def train_transform(cfg: Config):
    inp = cfg.input
    return build_train_transform(inp.size_train, flip_prob=inp.flip_prob, padding=inp.padding,
                                 erasing_prob=inp.erasing_prob, erasing_value=inp.pixel_mean,
                                 resized_crop_scale=inp.resized_crop_scale, interpolation=inp.interpolation)


def train_loader(cfg: Config, items: Sequence[Sequence[Any]], num_classes: int, info: DistInfo,
                 seed: int) -> DataLoader:
    """Training batches of ``solver.ims_per_batch`` images in all (split over the processes)."""
    dataset = ReIDDataset(items, train_transform(cfg), num_classes=num_classes, name="training set")
    batch = cfg.solver.ims_per_batch
    workers = dict(num_workers=cfg.data.num_workers, persistent_workers=cfg.data.num_workers > 0)
    if cfg.sampler.type == "identity":
        k = cfg.sampler.num_instances
        if batch % k:
            raise ValueError(f"solver.ims_per_batch={batch} is not a multiple of sampler.num_instances={k}")
        sampler = IdentitySampler(dataset.pids, batch // k, k, seed=seed, rank=info.rank,
                                  world_size=info.world_size)
        return DataLoader(dataset, batch_sampler=sampler, **workers)
    if cfg.sampler.type == "random":
        if batch % info.world_size:
            raise ValueError(f"solver.ims_per_batch={batch} cannot be split over {info.world_size} processes")
        sampler = DistributedSampler(dataset, num_replicas=info.world_size, rank=info.rank, shuffle=True,
                                     seed=seed, drop_last=True)
        return DataLoader(dataset, batch_size=batch // info.world_size, sampler=sampler, drop_last=True, **workers)
    raise ValueError(f"sampler.type must be 'identity' or 'random', got {cfg.sampler.type!r}")


def test_loader(cfg: Config, items: Sequence[Sequence[Any]], name: str = "test set",
                transform=None) -> DataLoader:
    """Batches of ``test.ims_per_batch`` images in item order, resized to ``input.size_test``."""
    transform = transform or build_test_transform(cfg.input.size_test, interpolation=cfg.input.interpolation)
    dataset = ReIDDataset(items, transform, name=name)
    return DataLoader(dataset, batch_size=cfg.test.ims_per_batch, shuffle=False,
                      num_workers=min(cfg.data.num_workers, 2))
