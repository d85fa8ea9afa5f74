"""Devices, seeding, determinism, mixed precision and the faiss GPU/CPU choice."""
from __future__ import annotations

import os
import random
from contextlib import nullcontext
from typing import ContextManager

import numpy as np
import torch


def resolve_device(spec: str | torch.device | None = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a checked ``torch.device``.

    ``"auto"`` (or ``None``) picks ``cuda`` when a GPU is visible, else ``cpu``. Asking for a GPU
    that is not there raises a ``ValueError`` naming the request and what is available.
    """
    if spec is None or spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(spec)
    except RuntimeError as e:
        raise ValueError(f"device '{spec}' is not valid: use 'auto', 'cpu', 'cuda' or 'cuda:N'") from e
    if device.type == "cuda":
        count = torch.cuda.device_count()
        if count == 0:
            raise ValueError(f"device '{spec}' was requested but no CUDA GPU is visible; use device=cpu")
        if device.index is not None and device.index >= count:
            raise ValueError(f"device '{spec}' was requested but only {count} GPU(s) are visible")
    elif device.type != "cpu":
        raise ValueError(f"device '{spec}' is not supported: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    return device


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (all devices); optionally force deterministic kernels.

    Deterministic mode sets ``torch.use_deterministic_algorithms(True)`` (an op without a
    deterministic implementation then raises), disables cuDNN benchmarking and sets the cuBLAS
    workspace variable that CUDA >= 10.2 needs for reproducible matmuls.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True


def autocast(device: torch.device, enabled: bool) -> ContextManager:
    """Mixed-precision context: fp16 on CUDA, bf16 on CPU; a no-op when disabled."""
    if not enabled:
        return nullcontext()
    dtype = torch.float16 if device.type == "cuda" else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(device: torch.device, enabled: bool) -> torch.amp.GradScaler:
    """A loss scaler for AMP (active only for fp16 on CUDA; bf16 needs none)."""
    return torch.amp.GradScaler(device.type, enabled=enabled and device.type == "cuda")


def faiss_use_gpu(preference: str = "auto") -> bool:
    """Whether faiss indexes should live on a GPU.

    Args:
        preference: ``"auto"`` (GPU when faiss sees one), ``"gpu"`` (required: error if absent)
            or ``"cpu"``.
    """
    import faiss

    if preference not in ("auto", "gpu", "cpu"):
        raise ValueError(f"faiss device preference must be 'auto', 'gpu' or 'cpu', got '{preference}'")
    n_gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    if preference == "gpu" and n_gpus == 0:
        raise ValueError("faiss on GPU was requested but faiss sees no GPU "
                         "(install faiss-gpu on a CUDA machine, or use 'cpu'/'auto')")
    return preference != "cpu" and n_gpus > 0
