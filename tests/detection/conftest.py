"""Shared helpers for the detection tests: MMDetection set-up, small models, realistic BN stats."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from detection.runtime import CONFIG_DIR, init_mmdet

SLIM_T = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t-slim_1xb8-15e_synthetic.py'
CONFIG_T = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l20-t_8xb32-300e_coco.py'
CONFIG_M = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-l35-m_8xb32-300e_coco.py'
CONFIG_NS = CONFIG_DIR / 'damoyolo' / 'damoyolo_tinynas-nano-s_8xb32-300e_coco.py'


@pytest.fixture(scope='session', autouse=True)
def mmdet_ready():
    init_mmdet()


def calibrate_bn(model: nn.Module, images: torch.Tensor) -> nn.Module:
    """Give every BatchNorm the statistics of ``images`` (like a trained model's), then eval().

    Random weights with default BN statistics saturate the outputs (every score 0 or 1), which
    hides differences; calibrated statistics keep activations in a realistic range.
    """
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    with torch.no_grad():
        model.extract_feat(images) if hasattr(model, 'extract_feat') else model(images)
    return model.eval()


def randomise_head(model: nn.Module, std: float = 0.05, seed: int = 0) -> None:
    """Non-trivial head weights (the official init makes the outputs nearly constant)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if 'bbox_head.gfl' in name:
                p.copy_(torch.randn(p.shape, generator=gen) * std)
