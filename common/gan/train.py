"""Train an image translator: ``python -m common.gan.train <config> [key=value ...] [--work-dir DIR] [--resume]``.

``method=spgan`` learns source <-> target translation (SPGAN, for domain adaptation: translated source
images keep their labels); ``method=stargan`` learns one generator over the cameras of ``data.train``
(CamStyle). The run directory receives the resolved ``config.py``, ``run.log``, ``metrics.jsonl``,
TensorBoard events, ``samples/iter_*.png`` (inputs and their translations), ``checkpoints/`` and, after
training, the Fréchet domain distances (``tables/domain_distance.md|json``) and ``results.json``.
``python -m common.gan.generate <run dir>`` then writes the translated image set. Multi-process training:
``torchrun --nproc_per_node=K -m common.gan.train <config>`` (``train.batch_size`` images per process and
iteration; gradients averaged over the processes, see ``common.gan.data_parallel``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterator

import torch
from mmengine.config import Config
from torch import nn

from ..checkpoint import CheckpointManager
from ..config import add_config_arguments, config_from_args, parse_config_args, work_dir_from_args
from ..device import seed_everything
from ..distributed import DistInfo, barrier, cleanup_distributed, init_distributed
from ..runlog import RunLogger, read_metrics
from .colour_texture import ColourTextureDescriptor
from .data_parallel import GradientAveraging
from .datasets import GANImageDataset, eval_loader, step_loader
from .defaults import DEFAULTS, METHODS
from .domain_distance import spgan_domain_distances, stargan_domain_distances
from .folders import ImageRecord, scan_image_folder
from .frechet import FeatureEncoder
from .lr_schedule import lr_factor
from .spgan import SPGAN
from .stargan import StarGAN
from .trainer import Schedule, TranslatorTrainer

#: The image folders each method reads (the others must stay unset).
METHOD_FOLDERS = {"spgan": ("source", "target"), "stargan": ("train",)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m common.gan.train", description=__doc__.splitlines()[0],
                                     epilog=f"methods: {', '.join(METHODS)}")
    return add_config_arguments(parser)


def check_config(cfg: Config) -> None:
    """Stop on a config that cannot train, naming the key: unknown method, a folder of the other method."""
    if cfg.method not in METHODS:
        raise ValueError(f"method='{cfg.method}' is unknown: choose one of {', '.join(METHODS)}")
    for name in ("source", "target", "train"):
        if name not in METHOD_FOLDERS[cfg.method] and cfg.data[name].root is not None:
            raise ValueError(f"data.{name} is not read by method '{cfg.method}' (it reads "
                             f"{', '.join('data.' + f for f in METHOD_FOLDERS[cfg.method])}); remove data.{name}.root")


def scan_folders(cfg: Config) -> dict[str, list[ImageRecord]]:
    """The records of the method's image folders, by folder name; errors name the config key and file."""
    return {name: scan_image_folder(cfg.data[name], key=f"data.{name}") for name in METHOD_FOLDERS[cfg.method]}


def build_translator(cfg: Config, camera_ids: list[int] | None = None) -> SPGAN | StarGAN:
    """The ``cfg.method`` network from its config section (StarGAN needs the cameras)."""
    size = cfg.data.size
    if cfg.method == "spgan":
        c = cfg.spgan
        return SPGAN(size, c.generator.ngf, c.generator.num_blocks, c.discriminator.ndf, c.discriminator.num_layers,
                     c.sianet.channels, c.sianet.embed_dims, c.sianet.dropout, c.lambda_cycle, c.lambda_identity,
                     c.lambda_contrastive, c.margin, c.contrastive_pairs, c.sianet_start_epoch,
                     c.contrastive_start_epoch, c.generator_every, c.pool_size, c.init_gain, seed=cfg.seed)
    c = cfg.stargan
    return StarGAN(size, camera_ids or [], c.generator.ngf, c.generator.num_blocks, c.discriminator.ndf,
                   c.discriminator.num_layers, c.lambda_cls, c.lambda_rec, c.lambda_gp, c.n_critic, c.target_label)


def _iters_per_epoch(cfg: Config, folders: dict[str, list[ImageRecord]], world_size: int = 1) -> int:
    """``train.iters_per_epoch``, or one pass over the smallest image set (``world_size`` processes each
    take ``train.batch_size`` images per iteration)."""
    if cfg.train.iters_per_epoch is not None:
        return int(cfg.train.iters_per_epoch)
    smallest = min(len(records) for records in folders.values())
    batch = cfg.train.batch_size * world_size
    if smallest < batch:
        raise ValueError(f"train.batch_size={cfg.train.batch_size} x {world_size} process(es) is larger than the "
                         f"smallest image set ({smallest} images); lower it or set train.iters_per_epoch")
    return smallest // batch


def _batches(cfg: Config, folders: dict[str, list[ImageRecord]], iters_per_epoch: int, info: DistInfo):
    """``batches(start, stop)`` for the trainer: ``{"source", "target"}`` images (SPGAN) or
    ``{"img", "camera"}`` (StarGAN), one seeded loader per image set (this process's share)."""
    d = cfg.data
    datasets = {name: GANImageDataset(records, d.size, d.load_size, d.flip) for name, records in folders.items()}

    def batches(start: int, stop: int) -> Iterator[dict[str, torch.Tensor]]:
        loaders = [step_loader(datasets[name], cfg.train.batch_size, iters_per_epoch, cfg.seed, salt, start, stop,
                               d.num_workers, info.rank, info.world_size)
                   for salt, name in enumerate(METHOD_FOLDERS[cfg.method])]
        for parts in zip(*loaders):
            if cfg.method == "spgan":
                yield {"source": parts[0]["img"], "target": parts[1]["img"]}
            else:
                yield {"img": parts[0]["img"], "camera": parts[0]["camera"]}
    return batches


def _fixed_images(cfg: Config, records: list[ImageRecord], device: torch.device) -> torch.Tensor:
    """The first ``train.sample_images`` images of a set, unaugmented: the rows of the sample grids."""
    n = cfg.train.sample_images
    return next(iter(eval_loader(records[:n], cfg.data.size, n)))["img"].to(device)


def _loss_summary(metrics_path: Path) -> dict[str, dict[str, float]]:
    """Mean of each loss over the first and the last tenth of the logged rows."""
    rows = [r for r in read_metrics(metrics_path)] if metrics_path.exists() else []
    if not rows:
        return {"start": {}, "end": {}}
    k = max(1, len(rows) // 10)
    skip = {"step", "time", "epoch", "lr"}

    def mean(part: list[dict]) -> dict[str, float]:
        keys = sorted({key for r in part for key in r if key not in skip})
        return {key: sum(r[key] for r in part if key in r) / sum(key in r for r in part) for key in keys}
    return {"start": mean(rows[:k]), "end": mean(rows[-k:])}


def run_gan_training(cfg: Config, work_dir: str | Path, resume: bool = False,
                     encoder: nn.Module | None = None) -> dict[str, Any]:
    """Train ``cfg.method`` into ``work_dir``, then measure its domain distances.

    Args:
        cfg: resolved config (``common.config.load_config(path, schema=DEFAULTS)``).
        work_dir: run directory.
        resume: continue from the latest checkpoint of ``work_dir/checkpoints``.
        encoder: feature encoder of the domain distance (default: ``ColourTextureDescriptor`` from
            ``cfg.evaluate.encoder``), e.g. a ReID model.

    Returns:
        ``{"method", "iterations", "train_seconds", "losses": {"start": {...}, "end": {...}},
        "domain_distance": [rows]}`` (also saved as ``results.json``); ``{}`` on ranks other than 0.
    """
    check_config(cfg)
    folders = scan_folders(cfg)  # before anything is built: a bad folder fails in seconds
    info = init_distributed(cfg.device)
    device = info.device
    seed_everything(cfg.seed, cfg.deterministic)  # the same initial weights in every process
    ipe = _iters_per_epoch(cfg, folders, info.world_size)
    cameras = sorted({r.camera for r in folders["train"]}) if cfg.method == "stargan" else None
    if cameras is not None and len(cameras) < 2:
        raise ValueError(f"data.train: StarGAN needs images of at least two cameras, found cameras {cameras}; "
                         "check data.train.camera_group (or camera_file)")
    model = build_translator(cfg, cameras).to(device)
    section = cfg[cfg.method]
    optimizers = model.build_optimizers(section.optim.lr, section.optim.betas)
    if info.is_distributed:
        optimizers = {name: GradientAveraging(opt) for name, opt in optimizers.items()}
    schedule = Schedule(cfg.train.epochs, ipe, section.optim.lr, section.optim.lr_policy, section.optim.decay_epochs)
    try:
        lr_factor(schedule.lr_policy, 0, schedule.epochs, schedule.decay_epochs or 0, ipe)
    except ValueError as e:
        raise ValueError(f"{cfg.method}.optim: {e}") from None
    if cfg.method == "spgan":
        fixed = (_fixed_images(cfg, folders["source"], device), _fixed_images(cfg, folders["target"], device))
    else:
        fixed = (_fixed_images(cfg, folders["train"], device),)
    trainer = TranslatorTrainer(model, optimizers, _batches(cfg, folders, ipe, info),
                                lambda: model.sample_columns(*fixed), schedule, device=device,
                                checkpoints=CheckpointManager(Path(work_dir) / "checkpoints", cfg.train.keep_last),
                                samples_dir=Path(work_dir) / "samples", log_every=cfg.train.log_every,
                                sample_every=cfg.train.sample_every, checkpoint_every=cfg.train.checkpoint_every,
                                is_main=info.is_main)
    start = trainer.resume() if resume else 0
    with RunLogger(work_dir, cfg, rank=info.rank, resume_step=start if resume else None) as run:
        run.info(f"{cfg.method}: {', '.join(f'{k} {len(v)} images' for k, v in folders.items())}; "
                 f"{schedule.total} iterations ({schedule.epochs} epochs x {ipe}), device {device}, "
                 f"{info.world_size} process(es)" + (f"; resumed at iteration {start}" if start else ""))
        seconds = trainer.fit(run, start)
        barrier()
        if not info.is_main:  # rank 0 measures and records the run
            return {}
        results: dict[str, Any] = {"method": cfg.method, "iterations": schedule.total,
                                   "train_seconds": round(seconds, 2), "losses": _loss_summary(run.metrics_path)}
        if cfg.evaluate.enabled:
            results["domain_distance"] = measure_domain_distance(cfg, model, folders, device, encoder)
            run.save_table(results["domain_distance"], "domain_distance",
                           title=f"{cfg.method}: Fréchet domain distance, raw vs translated")
        run.save_json(results, "results")
    return results


def measure_domain_distance(cfg: Config, model: SPGAN | StarGAN, folders: dict[str, list[ImageRecord]],
                            device: torch.device, encoder: nn.Module | None = None) -> list[dict]:
    """The method's domain-distance rows (``common.gan.domain_distance``) with ``cfg.evaluate`` settings."""
    e = cfg.evaluate
    if encoder is None:
        encoder = ColourTextureDescriptor(e.encoder.grid, e.encoder.colour_bins, e.encoder.orientation_bins)
    elif not isinstance(encoder, (FeatureEncoder, ColourTextureDescriptor)):
        encoder = FeatureEncoder(encoder, tuple(cfg.data.size))
    model.eval()
    if cfg.method == "spgan":
        return spgan_domain_distances(model, folders["source"], folders["target"], cfg.data.size, encoder,
                                      e.max_images, e.batch_size, device)
    return stargan_domain_distances(model, folders["train"], cfg.data.size, encoder, e.max_images, e.batch_size,
                                    device)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_config_args(build_parser(), argv)
    cfg = config_from_args(args, schema=DEFAULTS)
    try:
        return run_gan_training(cfg, work_dir_from_args(args), resume=args.resume)
    finally:
        cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1:])
