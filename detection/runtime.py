"""What every detection entrypoint does first: set MMDetection up, load a config, build a model."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping, Optional

import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from common.config import load_config as load_checked_config
from common.mmengine_compat import allow_mmengine_checkpoints

CONFIG_DIR = Path(__file__).parent / 'configs'


def init_mmdet() -> None:
    """Register MMDetection's and this package's modules, use the ``mmdet`` scope, and let
    MMEngine checkpoints load under torch's ``weights_only`` default. Idempotent."""
    from mmdet.utils import register_all_modules

    from . import datasets, engine, evaluation, models  # noqa: F401  (registration)
    register_all_modules(init_default_scope=True)
    allow_mmengine_checkpoints()


def load_config(path: str | Path, overrides: Optional[Mapping[str, Any]] = None) -> Config:
    """Load a detection config; an override naming a key the config lacks is an error.

    Args:
        path: config file.
        overrides: ``{"dotted.key": value}`` (from ``--cfg-options`` or ``key=value``).
    """
    init_mmdet()
    return load_checked_config(path, overrides or {})


def build_detector_from_config(config: str | Path | Config, checkpoint: Optional[str] = None,
                               device: str = 'cpu') -> nn.Module:
    """Build ``cfg.model`` (in eval mode), optionally loading an MMEngine checkpoint strictly."""
    from mmdet.registry import MODELS

    init_mmdet()
    cfg = config if isinstance(config, Config) else load_config(config)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model.to(device).eval()


def set_launcher(cfg: Config) -> Config:
    """Distributed when started by ``torchrun`` (even with ``--nproc_per_node=1``, as MMDetection's
    ``--launcher pytorch``): MMEngine's ``pytorch`` launcher (NCCL). Without a GPU (MMEngine's
    launcher assumes one) the processes join a gloo group here, DDP wraps the CPU model, and SyncBN,
    which needs CUDA, is left off. In place."""
    import torch
    import torch.distributed as dist

    from common.distributed import launched_by_torchrun

    distributed = int(os.environ.get('WORLD_SIZE', '1')) > 1 or launched_by_torchrun()
    cfg.launcher = 'pytorch' if distributed else 'none'
    if distributed and not torch.cuda.is_available():
        if not dist.is_initialized():
            dist.init_process_group('gloo')
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)
        if cfg.pop('sync_bn', None) is not None:
            print('[detection] no GPU: training without SyncBN (sync_bn needs CUDA)')
    return cfg


def release_loader_workers(runner) -> None:
    """Stop a finished MMEngine runner's persistent data-loader workers now.

    Left to the garbage collector, the runner's loaders sit in a reference cycle whose multiprocessing
    queues are finalised before the loaders' iterators, so the workers never receive the stop signal and
    PyTorch waits 5 s for each before terminating it (measured: 30 s for a run's three loaders, at
    whatever later moment the collector runs). Dropping an iterator while nothing else refers to it shuts
    its workers down at once; the loader starts new workers if it is iterated again.
    """
    for name in ('_train_loop', '_val_loop', '_test_loop'):
        loader = getattr(getattr(runner, name, None), 'dataloader', None)
        if getattr(loader, '_iterator', None) is not None:
            loader._iterator = None


def source_dataset_cfg(dataset_cfg: Mapping) -> Mapping:
    """The dataset that reads the files, inside any wrappers (``MultiImageMixDataset`` and other
    MMEngine/MMDetection wrappers keep it under ``dataset``)."""
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def all_configs(pattern: str = '*/*.py') -> list[Path]:
    """Every model config shipped with the package (``configs/<algo>/*.py``), numbers in the
    names in numeric order (GiraffeDet-D7 before D11)."""
    def natural(path: Path) -> list:
        return [int(part) if part.isdigit() else part
                for part in re.split(r'(\d+)', str(path.relative_to(CONFIG_DIR)))]

    return sorted((p for p in CONFIG_DIR.glob(pattern) if not p.parent.name.startswith('_')),
                  key=natural)
