"""From a config to the training sets, the retrieval sets and their loaders.

Data come from the official re-organised trees (``common.person.load_bias_eliminate_tree``):
the source (``data.source_dir``: PersonX, original or SPGAN-translated, with CamStyle copies), the
unlabelled target training set (``data.target_dir``, with CamStyle copies) and the labelled validation
/ anonymous test sets (``test_probe`` / ``test_gallery``).

Loaders (the code's ``data/build.py``):

* ``baseline_loader``: per step, a P x K batch of original source images and one of their CamStyle
  copies (48 + 48), as two aligned loaders (``PairedLoader``); the CamStyle stream cycles. P x K batches
  are composed as the code's ``RandomIdentitySampler_ImgUniform`` does (``sampler.kind``) and an epoch
  has as many steps as the code's DataLoader counts; each epoch restarts the samplers' passes (the code's
  ``cycle()`` carries a pass over into the next epoch, and ``Sampler_All`` never serves the last chunk
  of a pass).
* ``adaptation_loader``: per step, 24 original and 72 CamStyle images; each of the two chunks comes
  from the source or the target with ``adaptation.domain_probs`` (``DomainMixingBatchSampler``, the
  code's ``Sampler_All``), so one chunk never mixes domains.
* ``CamStyleMeanDataset``: a target image averaged pixel-wise with its CamStyle copies (the input of
  the pseudo-labelling).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
from mmengine.config import Config
from PIL import Image
from torch.utils.data import DataLoader, Dataset, Sampler

from common.distributed import DistInfo
from common.person import PERSON_DATASETS, BiasEliminateTree, load_bias_eliminate_tree
from common.reid.dataset import ReIDDataset, ReIDItem, load_image
from common.reid.evaluation_files import folder_items
from common.reid.sampler import CyclingBatchSampler, IdentitySampler, RandomIdentitySampler, estimated_images
from common.reid.transforms import build_test_transform, build_train_transform

SOURCE, TARGET = 0, 1


def tree_dir(cfg: Config, key: str) -> Path:
    """``data.root / data.<key>`` (``key`` one of source_dir, target_dir, val_dir, test_dir)."""
    sub = cfg.data[key]
    if not sub:
        raise ValueError(f"data.{key} is not set")
    return Path(cfg.data.root) / sub


def load_source(cfg: Config, camstyle: bool = True) -> BiasEliminateTree:
    """The source tree (``data.source_transferred`` images; with CamStyle copies if ``camstyle``)."""
    return load_bias_eliminate_tree(tree_dir(cfg, "source_dir"), transferred=cfg.data.source_transferred,
                                    require_camstyle=camstyle, group_sizes=tuple(cfg.data.camstyle_group_sizes))


def load_target(cfg: Config, camstyle: bool = True) -> BiasEliminateTree:
    """The target training tree (original images; with CamStyle copies if ``camstyle``)."""
    return load_bias_eliminate_tree(tree_dir(cfg, "target_dir"), transferred="original", require_camstyle=camstyle,
                                    group_sizes=tuple(cfg.data.camstyle_group_sizes))


@dataclass
class RetrievalSet:
    """Queries and gallery of a split (``val``: labelled; ``test``: anonymous, pid 0 everywhere)."""

    query: list[ReIDItem]
    gallery: list[ReIDItem]
    name: str

    def arrays(self) -> dict[str, np.ndarray]:
        """``q_pids``, ``g_pids``, ``q_cams``, ``g_cams`` as int64 arrays."""
        def col(items, field):
            return np.asarray([getattr(item, field) for item in items], dtype=np.int64)
        return {"q_pids": col(self.query, "pid"), "g_pids": col(self.gallery, "pid"),
                "q_cams": col(self.query, "camid"), "g_cams": col(self.gallery, "camid")}


#: Evaluation splits: VisDA-2020's validation and test trees, person data sets, a folder pair.
SPLITS = ("val", "test", *PERSON_DATASETS, "folders")


def load_retrieval_set(cfg: Config, split: str) -> RetrievalSet:
    """``split``: ``"val"`` (``data.val_dir``), ``"test"`` (``data.test_dir``), the query / gallery of
    ``"market1501"``, ``"dukemtmc"`` or ``"msmt17"`` under ``data.person_root``, or ``"folders"``
    (``data.folders``)."""
    if split in ("val", "test"):
        tree = load_bias_eliminate_tree(eval_root=tree_dir(cfg, f"{split}_dir"))
        return RetrievalSet(tree.query, tree.gallery, split)
    if split in PERSON_DATASETS:
        splits = PERSON_DATASETS[split](cfg.data.person_root)
        return RetrievalSet(splits.query, splits.gallery, split)
    if split == "folders":
        if not (cfg.data.folders.query and cfg.data.folders.gallery):
            raise ValueError("split 'folders' needs data.folders.query and data.folders.gallery")
        return RetrievalSet(folder_items(cfg.data.folders.query, "data.folders.query"),
                            folder_items(cfg.data.folders.gallery, "data.folders.gallery"), split)
    raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")


def train_transform(cfg: Config):
    i = cfg.input
    return build_train_transform(i.size_train, flip_prob=i.flip_prob, padding=i.padding, erasing_prob=i.erasing_prob,
                                 erasing_value=i.pixel_mean, erasing_sampling=i.erasing_sampling,
                                 erasing_scale=i.erasing_scale, erasing_ratio=i.erasing_ratio,
                                 interpolation=i.interpolation)


def test_transform(cfg: Config):
    return build_test_transform(cfg.input.size_test, interpolation=cfg.input.interpolation)


def test_loader(cfg: Config, items: Sequence[ReIDItem] | Dataset, transform=None) -> DataLoader:
    dataset = items if isinstance(items, Dataset) else ReIDDataset(items, transform or test_transform(cfg),
                                                                   name="evaluation images")
    return DataLoader(dataset, batch_size=cfg.test.ims_per_batch, shuffle=False, num_workers=cfg.data.num_workers)


class CamStyleMeanDataset(Dataset):
    """Each image averaged pixel-wise with its CamStyle copies (``CamStyleImageDataset``): all are resized
    (bilinear) to ``size`` = (H, W), averaged in uint8 and passed through ``transform``.

    ``dataset[i]`` is a dict like ``ReIDDataset``'s (``img``, ``pid``, ``camid``, ``index``, ``path``).
    """

    def __init__(self, items: Sequence[ReIDItem], camstyle: Sequence[ReIDItem], groups: Sequence[Sequence[int]],
                 size: Sequence[int], transform=None) -> None:
        if len(groups) != len(items):
            raise ValueError(f"{len(items)} images but {len(groups)} CamStyle groups")
        self.items, self.camstyle, self.groups = list(items), list(camstyle), list(groups)
        self.size, self.transform = (int(size[1]), int(size[0])), transform

    def __len__(self) -> int:
        return len(self.items)

    def _pixels(self, path: str) -> np.ndarray:
        return np.asarray(load_image(path).resize(self.size, Image.BILINEAR), dtype=np.float64)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        stack = [self._pixels(item.img_path)] + [self._pixels(self.camstyle[j].img_path) for j in self.groups[index]]
        img = Image.fromarray(np.mean(stack, axis=0).astype(np.uint8))
        if self.transform is not None:
            img = self.transform(img)
        return {"img": img, "pid": item.pid, "camid": item.camid, "index": index, "path": item.img_path}


class PairedLoader:
    """Two loaders read in lock-step: yields ``{"original": batch, "camstyle": batch}``; its length is
    the first loader's, and ``set_epoch`` reaches both batch samplers."""

    def __init__(self, original: DataLoader, camstyle: DataLoader) -> None:
        self.original, self.camstyle = original, camstyle

    def set_epoch(self, epoch: int) -> None:
        for loader in (self.original, self.camstyle):
            loader.batch_sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.original)

    def __iter__(self) -> Iterator[dict[str, dict]]:
        for original, camstyle in zip(self.original, self.camstyle):
            yield {"original": original, "camstyle": camstyle}


def training_loader(cfg: Config, dataset: Dataset, batch_sampler: Sampler) -> DataLoader:
    workers = cfg.data.num_workers
    return DataLoader(dataset, batch_sampler=batch_sampler, num_workers=workers, persistent_workers=workers > 0)


SAMPLER_KINDS = ("official", "balanced")


def identity_batch_sampler(pids: Sequence[int], batch: int, cfg: Config, info: DistInfo, seed: int) -> IdentitySampler:
    """P x K batches of ``batch`` images: ``sampler.kind`` "official" (reid-strong-baseline's composition,
    ``RandomIdentitySampler``) or "balanced" (``IdentitySampler``)."""
    k = cfg.sampler.num_instances
    if batch % k:
        raise ValueError(f"a batch of {batch} images cannot hold whole identities of sampler.num_instances={k}")
    if cfg.sampler.kind not in SAMPLER_KINDS:
        raise ValueError(f"unknown sampler.kind '{cfg.sampler.kind}': choose one of {', '.join(SAMPLER_KINDS)}")
    kind = RandomIdentitySampler if cfg.sampler.kind == "official" else IdentitySampler
    return kind(pids, batch // k, k, seed=seed, rank=info.rank, world_size=info.world_size)


def epoch_images(pids: Sequence[int], cfg: Config) -> int:
    """Images per epoch of a training set: the official loaders' estimate (``estimated_images``) or, for
    the balanced sampler, every image."""
    return estimated_images(pids, cfg.sampler.num_instances) if cfg.sampler.kind == "official" else len(pids)


def epoch_batch_sampler(pids: Sequence[int], batch: int, cfg: Config, info: DistInfo, seed: int,
                        num_batches: int | None = None) -> CyclingBatchSampler:
    """``identity_batch_sampler`` cycled to ``num_batches`` steps per epoch (default: the epoch's images over
    ``batch``, rounded up, as the official DataLoader counts them)."""
    if num_batches is None:
        num_batches = -(-epoch_images(pids, cfg) // batch)
    return CyclingBatchSampler(identity_batch_sampler(pids, batch, cfg, info, seed), num_batches)


def baseline_loader(cfg: Config, tree: BiasEliminateTree, info: DistInfo) -> PairedLoader | DataLoader:
    """The baseline's batches: ``ims_per_batch / 2`` original + as many CamStyle images
    (``data.camstyle``), or ``ims_per_batch`` original images. An epoch is one pass over the original
    images (their estimated count, see ``epoch_images``); the CamStyle stream follows it."""
    transform = train_transform(cfg)
    total = cfg.solver.ims_per_batch
    original = ReIDDataset(tree.train, transform, num_classes=tree.num_train_pids, name="source images")
    if not cfg.data.camstyle:
        return training_loader(cfg, original, epoch_batch_sampler(original.pids, total, cfg, info, cfg.seed))
    camstyle = ReIDDataset(tree.camstyle, transform, num_classes=tree.num_train_pids, name="source CamStyle images")
    first = epoch_batch_sampler(original.pids, total // 2, cfg, info, cfg.seed)
    second = epoch_batch_sampler(camstyle.pids, total - total // 2, cfg, info, cfg.seed + 1, len(first))
    return PairedLoader(training_loader(cfg, original, first), training_loader(cfg, camstyle, second))


class DomainMixingBatchSampler(Sampler[list[int]]):
    """Batches drawn chunk by chunk from several domains (the code's ``Sampler_All``).

    Before each step a domain ``d`` is drawn with ``probs`` (the same draw on every process), and the
    batch is the next batch of domain ``d``'s identity sampler (which cycles through its own epochs),
    its indices shifted by ``offsets[d]`` (the domain's first index in the concatenated dataset).

    Args:
        samplers: one ``IdentitySampler`` per domain (each already splits its batches over processes).
        offsets: first dataset index of each domain.
        probs: probability of each domain per step.
        num_batches: steps per epoch.
        seed: base seed of the domain draws (epoch ``e`` uses ``(seed, e)``).
    """

    def __init__(self, samplers: Sequence[IdentitySampler], offsets: Sequence[int], probs: Sequence[float],
                 num_batches: int, seed: int = 0) -> None:
        if not len(samplers) == len(offsets) == len(probs):
            raise ValueError("samplers, offsets and probs need one entry per domain")
        probs = np.asarray(probs, dtype=np.float64)
        if (probs < 0).any() or not np.isclose(probs.sum(), 1.0):
            raise ValueError(f"domain probabilities must be >= 0 and sum to 1, got {probs.tolist()}")
        if num_batches < 1:
            raise ValueError(f"num_batches must be >= 1, got {num_batches}")
        self.samplers, self.offsets, self.probs = list(samplers), list(offsets), probs
        self.num_batches, self.seed, self.epoch = num_batches, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_batches

    def domains(self) -> np.ndarray:
        """``[num_batches]`` the domain of each step of the current epoch."""
        return np.random.default_rng([self.seed, self.epoch]).choice(len(self.probs), self.num_batches, p=self.probs)

    def _stream(self, d: int) -> Iterator[list[int]]:
        cycle = 0
        while True:
            self.samplers[d].set_epoch(self.epoch * 1000 + cycle)
            yield from self.samplers[d]
            cycle += 1

    def __iter__(self) -> Iterator[list[int]]:
        streams = [self._stream(d) for d in range(len(self.samplers))]
        for d in self.domains():
            yield [self.offsets[d] + i for i in next(streams[d])]


@dataclass
class DomainItems:
    """The labelled training items of one domain: originals and CamStyle copies (pids ``0..C-1``)."""

    original: list[ReIDItem]
    camstyle: list[ReIDItem]


def adaptation_loader(cfg: Config, domains: Sequence[DomainItems], info: DistInfo) -> PairedLoader:
    """The adaptation batches: ``original_fraction`` of ``ims_per_batch`` original images and the rest
    CamStyle copies, each chunk from one domain; ``extra`` of every item is its domain index. An epoch has
    as many steps as the larger domain's original images (``epoch_images``) fill original chunks
    (``Sampler_All`` with ``drop_last``)."""
    a = cfg.adaptation
    total = cfg.solver.ims_per_batch
    sizes = {"original": int(round(total * a.original_fraction))}
    sizes["camstyle"] = total - sizes["original"]
    largest = max(epoch_images([item.pid for item in dom.original], cfg) for dom in domains)
    num_batches = max(1, largest // sizes["original"])
    transform = train_transform(cfg)
    loaders = {}
    for n, part in enumerate(("original", "camstyle")):
        items, offsets, samplers = [], [], []
        for d, dom in enumerate(domains):
            part_items = getattr(dom, part)
            offsets.append(len(items))
            items += [item._replace(extra=d) for item in part_items]
            samplers.append(identity_batch_sampler([item.pid for item in part_items], sizes[part], cfg, info,
                                              cfg.seed + 10 * d + n))
        dataset = ReIDDataset(items, transform, name=f"adaptation {part} images")
        sampler = DomainMixingBatchSampler(samplers, offsets, a.domain_probs, num_batches, seed=cfg.seed + n)
        loaders[part] = training_loader(cfg, dataset, sampler)
    return PairedLoader(loaders["original"], loaders["camstyle"])


def batch_domain(batch: dict) -> int:
    """The domain of a batch built by ``adaptation_loader`` (every item carries the same one)."""
    domains = torch.as_tensor(batch["extra"])
    if not bool((domains == domains[0]).all()):
        raise ValueError("a training batch mixes domains; batches must come from DomainMixingBatchSampler")
    return int(domains[0])
