"""Image features streamed in batches and cached on disk in chunks, so that an interrupted or repeated run
reuses what is done.

The images are cut into chunks of ``chunk_size`` in their given order. Chunk ``i`` of an encoder lives in
``<cache_dir>/<encoder digest>/chunk_<i>.npz`` with its ``(n, D)`` float32 features and the digest of its
files (path, size, modification time). A chunk is reused when that file exists, reads back and has the same
digest; any other chunk is computed (batches through the encoder, with a progress bar) and written
atomically, so a killed run leaves only whole chunks. The encoder digest covers the encoder's fingerprint
(type, settings, weights file identity): another encoder or a retrained E_c never reads stale features.
``encoder.json`` in the folder records that fingerprint.
"""
from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from common.fileio import atomic_open, write_json
from common.reid.dataset import load_image
from common.reid.transforms import build_test_transform

from .encoders import ImageEncoder


class ImageFiles(Dataset):
    """Image files as ``(3, H, W)`` float tensors in [0, 1] resized to ``size`` (bicubic, as ReID tests)."""

    def __init__(self, paths: Sequence[str], size: Sequence[int]) -> None:
        self.paths, self.transform = list(paths), build_test_transform(tuple(size))

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.transform(load_image(self.paths[index]))


@dataclass
class EncodedImages:
    """Features ``(N, D)`` float32 of N images in the given order, and how many chunks were reused / computed."""

    features: np.ndarray
    reused_chunks: int
    computed_chunks: int
    directory: Path


def files_digest(paths: Sequence[str]) -> str:
    """SHA-256 of the paths with their sizes and modification times (changes when a file is rewritten)."""
    h = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        h.update(f"{path}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode())
    return h.hexdigest()


def encoder_digest(fingerprint: dict[str, Any]) -> str:
    """A short stable digest of an encoder fingerprint (its cache folder name)."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _read_chunk(path: Path, digest: str, rows: int) -> np.ndarray | None:
    """The cached features of a chunk, or ``None`` when absent, unreadable or for other files."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["digest"]) != digest or stored["features"].shape[0] != rows:
                return None
            return stored["features"].astype(np.float32, copy=False)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _write_chunk(path: Path, features: np.ndarray, digest: str) -> None:
    with atomic_open(path, "wb") as f:
        np.savez(f, features=features, digest=np.array(digest))


def encode_images(encoder: ImageEncoder, paths: Sequence[str], cache_dir: str | Path, *, chunk_size: int = 4096,
                  batch_size: int = 64, num_workers: int = 0, device: str | torch.device = "cpu",
                  progress: Callable[..., tqdm] = tqdm, desc: str = "features") -> EncodedImages:
    """Features of ``paths`` through ``encoder``, chunk by chunk from/to the cache (see the module docstring).

    Args:
        encoder: an ``ImageEncoder`` (its ``size`` and ``fingerprint`` are used).
        paths: N image files.
        cache_dir: the cache's root folder.
        chunk_size: images per cached chunk; batch_size: images per forward pass.
        num_workers: image-decoding processes of the loader.
        device: where the encoder runs.
        progress: makes the progress bar, called as ``progress(total=..., desc=..., unit="img")``
            (e.g. ``RunLogger.progress``).
        desc: the bar's label.

    Returns:
        ``EncodedImages`` with ``(N, D)`` features.
    """
    if chunk_size < 1 or batch_size < 1:
        raise ValueError(f"chunk_size and batch_size must be >= 1, got {chunk_size} and {batch_size}")
    if not paths:
        raise ValueError("encode_images got no image")
    directory = Path(cache_dir) / encoder_digest(encoder.fingerprint)
    if not (directory / "encoder.json").is_file():
        write_json(directory / "encoder.json", encoder.fingerprint)
    chunks = [list(paths[i:i + chunk_size]) for i in range(0, len(paths), chunk_size)]
    digests = [files_digest(chunk) for chunk in chunks]
    results: list[np.ndarray | None] = [
        _read_chunk(directory / f"chunk_{i:05d}.npz", digest, len(chunk))
        for i, (chunk, digest) in enumerate(zip(chunks, digests))]
    todo = [i for i, r in enumerate(results) if r is None]
    encoder = encoder.to(device)
    with progress(total=sum(len(chunks[i]) for i in todo), desc=desc, unit="img") as bar:
        for i in todo:
            loader = DataLoader(ImageFiles(chunks[i], encoder.size), batch_size=batch_size, num_workers=num_workers)
            parts = []
            for images in loader:
                parts.append(encoder(images.to(device)).cpu().numpy())
                bar.update(len(images))
            features = np.concatenate(parts).astype(np.float32, copy=False)
            if not np.isfinite(features).all():
                raise FloatingPointError(f"{desc}: the encoder gave non-finite features for an image of "
                                         f"{chunks[i][0]} .. {chunks[i][-1]}; check the encoder's weights")
            _write_chunk(directory / f"chunk_{i:05d}.npz", features, digests[i])
            results[i] = features
    return EncodedImages(np.concatenate(results), len(chunks) - len(todo), len(todo), directory)
