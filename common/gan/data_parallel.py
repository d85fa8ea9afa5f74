"""Data-parallel training of the translators under ``torchrun``: every process translates its own share
of each iteration's images, and every optimizer step averages the gradients over the processes first.

Written here because ``DistributedDataParallel`` does not fit these networks: an iteration calls the
same generator several times before one backward pass (translation, cycle, identity) and the StarGAN
critic's gradient penalty differentiates through a gradient (double backward), which DDP does not
support. Averaging the gradients right before each optimizer step (as StyleGAN2-ADA does) gives every
process the same update, so the weights stay equal on all of them.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist


def _world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class GradientAveraging:
    """An optimizer whose ``step`` first replaces every gradient by its mean over the processes.

    Args:
        optimizer: the wrapped optimizer; ``zero_grad``, ``state_dict``, ``load_state_dict`` and
            ``param_groups`` are its own. Without a process group it behaves exactly like it.
    """

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.optimizer, name)

    def step(self, closure: Any = None) -> Any:
        world = _world_size()
        if world > 1:
            for group in self.optimizer.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        dist.all_reduce(param.grad)
                        param.grad /= world
        return self.optimizer.step(closure)

    def state_dict(self) -> dict[str, Any]:
        return self.optimizer.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state)
