"""The convolution initialisation a DAMO-YOLO module starts from (a config choice)."""
from __future__ import annotations

import torch.nn as nn

CONV_INITS = ('pytorch', 'kaiming')


def check_conv_init(conv_init: str, owner: str) -> str:
    if conv_init not in CONV_INITS:
        raise ValueError(f'{owner}: conv_init={conv_init!r}; expected one of {CONV_INITS}')
    return conv_init


def conv_init_applies(module: nn.Module, was_initialised: bool) -> bool:
    """Whether ``init_weights`` should re-draw the convs: only on the first call, and not when
    ``init_cfg`` loads pretrained weights (``type='Pretrained'``), which it must not overwrite."""
    cfgs = module.init_cfg if isinstance(module.init_cfg, list) else [module.init_cfg]
    pretrained = any(isinstance(c, dict) and c.get('type') == 'Pretrained' for c in cfgs)
    return getattr(module, 'conv_init', None) == 'pytorch' and not was_initialised and not pretrained


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
