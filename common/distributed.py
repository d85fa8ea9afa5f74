"""Multi-process training through ``torchrun`` and PyTorch DDP (NCCL on GPU, gloo on CPU).

``torchrun --nproc_per_node=K -m <pkg>.train cfg.py`` sets RANK / WORLD_SIZE / LOCAL_RANK /
MASTER_ADDR / MASTER_PORT; ``init_distributed`` reads them. Without them the run is a single process.
A run torchrun started is distributed even with one process (``--nproc_per_node=1``: a process group
and DDP, as MMDetection's ``--launcher pytorch``), so one GPU exercises the NCCL path.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, TypeVar

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .device import resolve_device

_TORCHRUN_VARS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: its rank, the number of processes, and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    in_process_group: bool = False  # joined a process group (torchrun), even as its only member

    @classmethod
    def single(cls, device: torch.device | str) -> "DistInfo":
        """One process on ``device``."""
        return cls(rank=0, world_size=1, local_rank=0, device=torch.device(device))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1 or self.in_process_group


def launched_by_torchrun() -> bool:
    """Whether torchrun started this process (all its variables are set), with one process or more."""
    return all(v in os.environ for v in _TORCHRUN_VARS)


def init_distributed(device: str = "auto", backend: str | None = None) -> DistInfo:
    """Initialise the process group from torchrun's environment (a no-op for a process torchrun did
    not start).

    Args:
        device: ``auto``/``cpu``/``cuda``; under torchrun a CUDA run uses ``cuda:LOCAL_RANK``.
        backend: override the backend (default: ``nccl`` on CUDA, ``gloo`` on CPU).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    dev = resolve_device(device)
    if world_size == 1 and not launched_by_torchrun():
        return DistInfo.single(dev)
    missing = [v for v in _TORCHRUN_VARS if v not in os.environ]
    if missing:
        raise RuntimeError(f"WORLD_SIZE={world_size} but {', '.join(missing)} not set: "
                           "launch multi-process runs with torchrun")
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    backend = backend or ("nccl" if dev.type == "cuda" else "gloo")
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, init_method="env://", rank=rank,
                                world_size=world_size)
    return DistInfo(rank=rank, world_size=world_size, local_rank=local_rank, device=dev, in_process_group=True)


def wrap_ddp(model: torch.nn.Module, info: DistInfo, **kwargs) -> torch.nn.Module:
    """Move ``model`` to the device and wrap it in DDP when running distributed."""
    model = model.to(info.device)
    if not info.is_distributed:
        return model
    device_ids = [info.device.index] if info.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, **kwargs)


T = TypeVar("T")


def main_then_broadcast(make: Callable[[], T], info: DistInfo) -> T:
    """``make()`` on rank 0 only, its (picklable) result sent to every rank: the other ranks wait for it."""
    payload = [make() if info.is_main else None]
    if info.is_distributed:
        dist.broadcast_object_list(payload, src=0)
    return payload[0]


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def cleanup_distributed() -> None:
    """Wait for every rank, then tear the process group down (a rank that exits while another is
    still communicating can abort gloo's threads: "terminate called without an active exception")."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
