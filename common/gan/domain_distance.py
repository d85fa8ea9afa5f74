"""How far a translator moves images towards their target domain, as Fréchet distances.

* SPGAN: FD(raw source, target) vs FD(G(source), target), and the reverse direction
  FD(raw target, source) vs FD(F(target), source).
* StarGAN: for each camera c, FD(images of the other cameras translated to c, real camera-c images)
  vs FD(the same images untranslated, real camera-c images).

A translation that works has ``fd_translated`` below ``fd_raw``. Images are the sorted records, at most
``max_images`` per set spread evenly over them, resized to the network size without augmentation.
"""
from __future__ import annotations

from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from .datasets import eval_loader, evenly_spaced
from .folders import ImageRecord
from .frechet import frechet_distance
from .spgan import SPGAN
from .stargan import StarGAN


def _images(records: Sequence[ImageRecord], size: Sequence[int], batch_size: int, device: torch.device,
            translate: Callable[[torch.Tensor], torch.Tensor] | None = None) -> Iterator[torch.Tensor]:
    for batch in eval_loader(records, size, batch_size):
        x = batch["img"].to(device)
        if translate is not None:
            with torch.no_grad():  # not around the yield: that would leak no-grad mode into the caller
                x = translate(x)
        yield x


def spgan_domain_distances(model: SPGAN, source: Sequence[ImageRecord], target: Sequence[ImageRecord],
                           size: Sequence[int], encoder: nn.Module, max_images: int | None = 500,
                           batch_size: int = 32, device: torch.device | str = "cpu") -> list[dict]:
    """Rows ``{direction, n_inputs, n_reference, fd_raw, fd_translated}`` for both directions."""
    device = torch.device(device)
    src, tgt = evenly_spaced(source, max_images), evenly_spaced(target, max_images)
    rows = []
    for direction, inputs, reference in (("source_to_target", src, tgt), ("target_to_source", tgt, src)):
        translate = lambda x, d=direction: model.translate(x, d)  # noqa: E731
        fd = lambda tr: frechet_distance(_images(inputs, size, batch_size, device, tr),  # noqa: E731
                                         _images(reference, size, batch_size, device), encoder, device)
        rows.append({"direction": direction, "n_inputs": len(inputs), "n_reference": len(reference),
                     "fd_raw": fd(None), "fd_translated": fd(translate)})
    return rows


def stargan_domain_distances(model: StarGAN, records: Sequence[ImageRecord], size: Sequence[int],
                             encoder: nn.Module, max_images: int | None = 500, batch_size: int = 32,
                             device: torch.device | str = "cpu") -> list[dict]:
    """Rows ``{camera, n_inputs, n_reference, fd_raw, fd_translated}``, one per camera."""
    device = torch.device(device)
    rows = []
    for domain, camera in enumerate(model.camera_ids.tolist()):
        reference = evenly_spaced([r for r in records if r.camera == camera], max_images)
        inputs = evenly_spaced([r for r in records if r.camera != camera], max_images)
        if len(reference) < 2 or len(inputs) < 2:
            raise ValueError(f"camera {camera}: the domain distance needs at least 2 images of the camera and 2 "
                             f"of the others, got {len(reference)} and {len(inputs)}")
        translate = lambda x, k=domain: model.translate(  # noqa: E731
            x, torch.full((len(x),), k, dtype=torch.long, device=x.device))
        fd = lambda tr: frechet_distance(_images(inputs, size, batch_size, device, tr),  # noqa: E731
                                         _images(reference, size, batch_size, device), encoder, device)
        rows.append({"camera": camera, "n_inputs": len(inputs), "n_reference": len(reference),
                     "fd_raw": fd(None), "fd_translated": fd(translate)})
    return rows
