"""The DAMO-YOLO learning-rate schedule equals the official trainer's, iteration by iteration."""
import math

import pytest
import torch
from mmdet.registry import PARAM_SCHEDULERS

from detection.engine import DAMOQuadraticWarmupLR
from detection.runtime import load_config

from .conftest import CONFIG_NS, CONFIG_T


def official_lr(iters, base_lr, min_lr_ratio, total_iters, no_aug_iters, warmup_iters):
    """damo/apis/detector_trainer.py cosine_scheduler.get_lr (warmup_start_lr 0), restated."""
    final_lr = base_lr * min_lr_ratio
    if iters < warmup_iters:
        return base_lr * (iters / float(warmup_iters)) ** 2
    if iters >= total_iters - no_aug_iters:
        return final_lr
    return final_lr + 0.5 * (base_lr - final_lr) * (1.0 + math.cos(
        math.pi * (iters - warmup_iters) / (total_iters - warmup_iters - no_aug_iters)))


@pytest.mark.parametrize('config', [CONFIG_T, CONFIG_NS], ids=['T', 'Ns'])
def test_config_schedule_follows_the_official_trainer(config):
    cfg = load_config(config)
    # Iterations per epoch (the schedule is given in epochs). The official rate drops to exactly
    # the minimum after the cosine; MMEngine keeps its last cosine value, which differs by
    # ~(pi / T)^2 / 4 relative for T cosine iterations: 2e-7 here, 1e-10 at COCO's epoch length.
    epoch_length = 50
    base_lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    schedulers = [PARAM_SCHEDULERS.build(dict(s), default_args=dict(optimizer=optimizer,
                                                                      epoch_length=epoch_length))
                  for s in cfg.param_scheduler]
    total = cfg.max_epochs * epoch_length
    for it in range(total):
        expected = official_lr(it, base_lr, cfg.min_lr_ratio, total, cfg.num_last_epochs * epoch_length,
                               cfg.warmup_epochs * epoch_length)
        assert optimizer.param_groups[0]['lr'] == pytest.approx(expected, rel=1e-6, abs=1e-12), it
        optimizer.step()
        for s in schedulers:
            s.step()


def test_warmup_starts_at_zero_unlike_mmdetections():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    warmup = DAMOQuadraticWarmupLR(optimizer, begin=0, end=4, by_epoch=False)
    lrs = []
    for _ in range(4):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        warmup.step()
    assert lrs == pytest.approx([0.0, 0.5 / 16, 0.5 * 4 / 16, 0.5 * 9 / 16])
    with pytest.raises(ValueError, match='end'):
        DAMOQuadraticWarmupLR(optimizer, begin=2, end=2)
