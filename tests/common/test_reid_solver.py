"""Parameter groups and warm-up + step / cosine schedules."""
import pytest
import torch
from timm.scheduler import CosineLRScheduler

from common.checkpoint import CheckpointManager
from common.reid.head import EmbeddingHead
from common.reid.solver import (build_lr_scheduler, build_optimizer, build_param_groups,
                                warmup_cosine_factor, warmup_multistep_factor)


def _lrs(scheduler, epochs):
    lrs = []
    for _ in range(epochs):
        lrs.append([g["lr"] for g in scheduler.optimizer.param_groups])
        scheduler.optimizer.step()  # (no gradients: a no-op that keeps torch's call order)
        scheduler.step()
    return lrs


def test_warmup_multistep_matches_the_dmt_schedule():
    def f(epoch):
        return warmup_multistep_factor(epoch, milestones=(40, 70), warmup_epochs=10, warmup_factor=0.01)

    assert f(0) == pytest.approx(0.01)
    assert f(5) == pytest.approx(0.01 + 0.99 * 0.5)
    assert f(10) == f(39) == 1.0
    assert f(40) == pytest.approx(0.1) and f(69) == pytest.approx(0.1)
    assert f(70) == pytest.approx(0.01)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    lrs = [lr[0] for lr in _lrs(build_lr_scheduler(opt, "multistep", max_epochs=80), 80)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[10] == pytest.approx(0.01)
    assert lrs[40] == pytest.approx(1e-3) and lrs[79] == pytest.approx(1e-4)
    # DMT steps with 1-based epochs before each epoch: the first epoch already uses warm-up step 1
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.01)
    shifted = [lr[0] for lr in _lrs(build_lr_scheduler(opt, "multistep", max_epochs=80, epoch_offset=1), 80)]
    assert shifted[0] == pytest.approx(0.01 * (0.01 * 0.9 + 0.1)) and shifted[39] == pytest.approx(1e-3)


def test_warmup_cosine_equals_timm_cosine_scheduler_as_dmt_configures_it():
    base, epochs = 0.01, 40
    ours_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    ours = build_lr_scheduler(ours_opt, "cosine", max_epochs=epochs, warmup_epochs=5,
                              warmup_factor=1e-6 / base, min_factor=1e-5 / base)
    timm_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    ref = CosineLRScheduler(timm_opt, t_initial=epochs, lr_min=1e-5, warmup_t=5, warmup_lr_init=1e-6)
    for epoch, (lr,) in enumerate(_lrs(ours, epochs)):
        ref.step(epoch)
        assert lr == pytest.approx(timm_opt.param_groups[0]["lr"], rel=1e-9), epoch
    assert warmup_cosine_factor(epochs, epochs) == pytest.approx(1e-3)


def test_param_groups_bias_lr_frozen_bnneck_and_fixed_lr():
    model = torch.nn.ModuleDict({"head": EmbeddingHead(4, 3), "conv": torch.nn.Conv2d(3, 4, 1)})
    groups = build_param_groups(model, lr=0.01, weight_decay=5e-4, bias_lr_factor=2.0, weight_decay_bias=0.0,
                                fixed_lr={"head.classifier": 4e-4})
    by_kind = {("fixed" if g.get("fixed_lr") else "bias" if g["lr"] == 0.02 else "weight"): g for g in groups}
    names = {id(p): n for n, p in model.named_parameters()}
    assert sorted(names[id(p)] for p in by_kind["bias"]["params"]) == ["conv.bias"]  # BNNeck bias is frozen
    assert by_kind["bias"]["weight_decay"] == 0.0
    assert [names[id(p)] for p in by_kind["fixed"]["params"]] == ["head.classifier.weight"]
    opt = build_optimizer(groups, "SGD", lr=0.01)
    sched = build_lr_scheduler(opt, "multistep", max_epochs=10, warmup_epochs=2, milestones=(5,))
    lrs = _lrs(sched, 8)
    fixed_index = next(i for i, g in enumerate(opt.param_groups) if g.get("fixed_lr"))
    assert all(lr[fixed_index] == pytest.approx(4e-4) for lr in lrs)
    assert lrs[7][opt.param_groups.index(by_kind["weight"])] == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="unknown optimizer"):
        build_optimizer(groups, "LARS", lr=0.1)


def test_scheduler_state_survives_a_checkpoint(tmp_path):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=0.1)
    sched = build_lr_scheduler(opt, "cosine", max_epochs=10, warmup_epochs=2)
    _lrs(sched, 4)
    CheckpointManager(tmp_path).save(4, optimizer=opt, scheduler=sched)
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched2 = build_lr_scheduler(opt2, "cosine", max_epochs=10, warmup_epochs=2)
    CheckpointManager(tmp_path).resume(optimizer=opt2, scheduler=sched2)
    assert _lrs(sched2, 6) == _lrs(sched, 6)
