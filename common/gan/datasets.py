"""Images as tensors for the translators, and batches that depend only on (seed, step).

Every training batch is a pure function of the run's seed and the iteration: ``StepSampler`` draws
the per-epoch permutation and each image's augmentation seed from ``numpy.random.SeedSequence`` keyed on
(seed, domain, epoch / step), and ``GANImageDataset`` augments with a ``torch.Generator`` seeded by that
key. So DataLoader workers, restarts and ``--resume`` in the middle of an epoch all see the same images
in the same order, without any sampler state to checkpoint.

Preprocessing (SPGAN official PyTorch code, eSPGAN ``train_spgan.py``): random horizontal flip, resize
to ``load_size`` (bicubic), random crop to ``size``, scale to [-1, 1] (``Normalize(0.5, 0.5)``).
Without ``load_size`` the image is resized to ``size`` directly (StarGAN's ``Resize`` + flip).
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.transforms.functional import pil_to_tensor

from .folders import ImageRecord


def _mix(*keys: int) -> int:
    """A well-mixed 63-bit seed from integer keys."""
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(2, dtype=np.uint64)[0] >> 1)


def open_rgb(path: str) -> Image.Image:
    """Open an image as RGB, naming the file when it cannot be read."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (UnidentifiedImageError, OSError) as e:
        raise OSError(f"cannot read image {path}: {e}") from e


def to_tensor(img: Image.Image) -> torch.Tensor:
    """PIL RGB image -> (3, H, W) float tensor in [-1, 1]."""
    return pil_to_tensor(img).float().div_(127.5).sub_(1.0)


def to_image(x: torch.Tensor) -> Image.Image:
    """(3, H, W) tensor in [-1, 1] -> PIL RGB image (rounded to uint8)."""
    arr = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return Image.fromarray(arr.permute(1, 2, 0).numpy())


def load_image(path: str, size: Sequence[int]) -> torch.Tensor:
    """Read ``path`` resized (bicubic) to ``size`` = (H, W): a (3, H, W) tensor in [-1, 1]."""
    h, w = size
    return to_tensor(open_rgb(path).resize((w, h), Image.BICUBIC))


class GANImageDataset(Dataset):
    """Records -> dicts ``{"img": (3, H, W) in [-1, 1], "pid", "camera", "index"}``.

    Indexed by ``(index, augmentation_seed)`` (training: flip / resize / random crop drawn from the seed)
    or by a plain ``index`` (no augmentation: resize to ``size``).

    Args:
        records: the images (``folders.scan_image_folder``).
        size: network input (H, W).
        load_size: resize to this (H, W) before a random crop of ``size``; ``None``: no crop.
        flip: random horizontal flips (p = 0.5).
    """

    def __init__(self, records: Sequence[ImageRecord], size: Sequence[int], load_size: Sequence[int] | None = None,
                 flip: bool = False) -> None:
        self.records = list(records)
        self.size = (int(size[0]), int(size[1]))
        self.load_size = None if load_size is None else (int(load_size[0]), int(load_size[1]))
        if self.load_size is not None and (self.load_size[0] < self.size[0] or self.load_size[1] < self.size[1]):
            raise ValueError(f"data.load_size {self.load_size} must be at least data.size {self.size}")
        self.flip = flip

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, item: int | tuple[int, int]) -> dict[str, Any]:
        index, seed = item if isinstance(item, tuple) else (item, None)
        record = self.records[index]
        img = open_rgb(record.path)
        if seed is None:
            img = img.resize(self.size[::-1], Image.BICUBIC)
        else:
            g = torch.Generator().manual_seed(seed)
            flip = self.flip and torch.rand((), generator=g).item() < 0.5
            if flip:
                img = img.transpose(Image.FLIP_LEFT_RIGHT)
            if self.load_size is None:
                img = img.resize(self.size[::-1], Image.BICUBIC)
            else:
                (lh, lw), (h, w) = self.load_size, self.size
                img = img.resize((lw, lh), Image.BICUBIC)
                top = int(torch.randint(lh - h + 1, (), generator=g))
                left = int(torch.randint(lw - w + 1, (), generator=g))
                img = img.crop((left, top, left + w, top + h))
        return {"img": to_tensor(img), "pid": record.pid, "camera": record.camera, "index": index}


class StepSampler(Sampler):
    """``(index, augmentation_seed)`` for every image of iterations ``start .. stop - 1``.

    Iteration ``s`` of epoch ``e = s // iters_per_epoch`` takes the next ``batch_size * world_size``
    positions of epoch ``e``'s shuffled order (a fresh permutation of the set each time the positions run
    past its end), so each epoch visits the images without replacement; under ``torchrun`` process
    ``rank`` takes every ``world_size``-th of them, so the processes share one global batch.

    Args:
        num_items: size of the image set.
        batch_size: images per iteration.
        iters_per_epoch: iterations per epoch.
        seed: the run's seed.
        salt: distinguishes image sets sampled in the same run (e.g. 0 = source, 1 = target).
        start, stop: the iterations to cover.
        rank, world_size: this process's share of each global batch.
    """

    def __init__(self, num_items: int, batch_size: int, iters_per_epoch: int, seed: int, salt: int,
                 start: int, stop: int, rank: int = 0, world_size: int = 1) -> None:
        if num_items < 1 or batch_size < 1 or iters_per_epoch < 1:
            raise ValueError(f"StepSampler needs images, batch_size and iters_per_epoch >= 1, got "
                             f"{num_items}, {batch_size}, {iters_per_epoch}")
        self.num_items, self.batch_size, self.iters_per_epoch = num_items, batch_size, iters_per_epoch
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside [0, {world_size})")
        self.seed, self.salt, self.start, self.stop = seed, salt, start, stop
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        return max(0, self.stop - self.start) * self.batch_size

    def _permutation(self, epoch: int, chunk: int) -> torch.Tensor:
        g = torch.Generator().manual_seed(_mix(self.seed, self.salt, epoch, chunk))
        return torch.randperm(self.num_items, generator=g)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        cache: dict[tuple[int, int], torch.Tensor] = {}
        width = self.batch_size * self.world_size
        for step in range(self.start, self.stop):
            epoch, k = divmod(step, self.iters_per_epoch)
            for j in range(self.rank, width, self.world_size):
                chunk, pos = divmod(k * width + j, self.num_items)
                if (epoch, chunk) not in cache:
                    cache = {(epoch, chunk): self._permutation(epoch, chunk)}
                yield int(cache[epoch, chunk][pos]), _mix(self.seed, self.salt, step, j, 1)


def step_loader(dataset: GANImageDataset, batch_size: int, iters_per_epoch: int, seed: int, salt: int,
                start: int, stop: int, num_workers: int = 0, rank: int = 0, world_size: int = 1) -> DataLoader:
    """Batches for iterations ``start .. stop - 1`` (see ``StepSampler``); the loader's own generator
    is fixed so creating it draws nothing from torch's global random state."""
    sampler = StepSampler(len(dataset), batch_size, iters_per_epoch, seed, salt, start, stop, rank, world_size)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=num_workers,
                      generator=torch.Generator().manual_seed(seed), drop_last=False)


def eval_loader(records: Sequence[ImageRecord], size: Sequence[int], batch_size: int,
                num_workers: int = 0) -> DataLoader:
    """The records in order, resized to ``size``, without augmentation."""
    return DataLoader(GANImageDataset(records, size), batch_size=batch_size, shuffle=False,
                      num_workers=num_workers, generator=torch.Generator().manual_seed(0))


def evenly_spaced(records: Sequence[ImageRecord], max_images: int | None) -> list[ImageRecord]:
    """At most ``max_images`` records, spread evenly over the (sorted) list; all of them for ``None``."""
    if max_images is None or len(records) <= max_images:
        return list(records)
    idx = np.linspace(0, len(records) - 1, max_images).round().astype(int)
    return [records[i] for i in idx]
