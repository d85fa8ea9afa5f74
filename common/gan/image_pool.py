"""The history buffer of generated images that CycleGAN-style discriminators train on.

Shrivastava et al. (2017) via CycleGAN: the discriminator sees a mix of the newest fakes and fakes made
by earlier generators, which damps oscillation. Behaviour of junyanz/pytorch-CycleGAN-and-pix2pix
``util/image_pool.py`` (also OpenUnReID ``utils/image_pool.py``; SPGAN's TensorFlow ``ItemPool``
does the same), pool size 50:

* while fewer than ``pool_size`` images are stored, each new image is stored and returned;
* afterwards each new image is, with probability 1/2, swapped with a uniformly chosen stored image
  (the stored one is returned), otherwise returned as is.

The pool draws from its own ``torch.Generator`` and its ``state_dict`` holds the images and that
generator, so a resumed run continues exactly.
"""
from __future__ import annotations

from typing import Any

import torch


class ImagePool:
    """Buffer of up to ``pool_size`` earlier generated images.

    Args:
        pool_size: capacity; 0 disables the buffer (``query`` returns its input).
        seed: seed of the pool's random generator.
    """

    def __init__(self, pool_size: int = 50, seed: int = 0) -> None:
        if pool_size < 0:
            raise ValueError(f"pool_size must be >= 0, got {pool_size}")
        self.pool_size = pool_size
        self.images: list[torch.Tensor] = []
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.images)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """Return a batch of the same shape as ``images`` (N, C, H, W), drawn from the pool and the input.

        The input is detached; stored copies live on the input's device.
        """
        images = images.detach()
        if self.pool_size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.pool_size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=self.generator).item() > 0.5:
                idx = int(torch.randint(self.pool_size, (), generator=self.generator))
                out.append(self.images[idx].to(image.device))
                self.images[idx] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        """Stored images ((n, C, H, W) tensor, n may be 0) and the generator state."""
        stacked = torch.stack(self.images) if self.images else torch.empty(0)
        return {"images": stacked, "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Inverse of ``state_dict``."""
        self.images = list(state["images"].unbind(0)) if state["images"].numel() else []
        if len(self.images) > self.pool_size:
            raise ValueError(f"image pool state holds {len(self.images)} images, more than pool_size {self.pool_size}")
        self.generator.set_state(state["generator"])
