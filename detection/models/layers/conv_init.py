"""The convolution initialisation a DAMO-YOLO module starts from (a config choice)."""
from __future__ import annotations

import torch.nn as nn

CONV_INITS = ('pytorch', 'kaiming')


def check_conv_init(conv_init: str, owner: str) -> str:
    if conv_init not in CONV_INITS:
        raise ValueError(f'{owner}: conv_init={conv_init!r}; expected one of {CONV_INITS}')
    return conv_init


def reset_to_pytorch_default(module: nn.Module, keep: tuple[type, ...] = ()) -> None:
    """Re-draw every ``Conv2d`` and batch norm of ``module`` as PyTorch's constructors do
    (Kaiming-uniform with ``a = sqrt(5)``: ``|w| <= 1 / sqrt(fan_in)``; BN weight 1, bias 0),
    leaving the modules inside instances of ``keep`` as they are.

    The official DAMO-YOLO backbones and neck build plain ``nn.Conv2d`` layers and their
    ``init_weights`` is empty; MMCV's ``ConvModule`` re-initialises Kaiming-normal (fan-out).
    """
    kept = {id(m) for k in module.modules() if isinstance(k, keep) for m in k.modules()}
    for m in module.modules():
        if id(m) not in kept and isinstance(m, (nn.Conv2d, nn.modules.batchnorm._BatchNorm)):
            m.reset_parameters()
