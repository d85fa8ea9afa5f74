"""An MMEngine Runner trains, stops, and resumes from its checkpoint on the installed torch."""
import torch
import pytest
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from common.mmengine_compat import allow_mmengine_checkpoints


class Regressor(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x, y, mode="tensor"):
        out = self.linear(x)
        return {"loss": ((out - y) ** 2).mean()} if mode == "loss" else out


class Points(Dataset):
    def __len__(self):
        return 32

    def __getitem__(self, i):
        x = torch.randn(3, generator=torch.Generator().manual_seed(i))
        return {"x": x, "y": x.sum(0, keepdim=True)}


class Crash(RuntimeError):
    pass


class CrashAfterEpoch(Hook):
    """Simulates a killed job: raises once epoch ``n`` is done and checkpointed."""

    priority = "LOWEST"  # after CheckpointHook has saved

    def __init__(self, n):
        self.n = n

    def after_train_epoch(self, runner):
        if runner.epoch == self.n:
            raise Crash(f"stopped after epoch {self.n}")


def make_runner(work_dir, max_epochs, resume, crash_after=None):
    torch.manual_seed(0)  # the same initial weights for every runner
    return Runner(
        model=Regressor(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=Points(), batch_size=8, collate_fn=dict(type="default_collate"),
                              sampler=dict(type="DefaultSampler", shuffle=True)),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.05, momentum=0.9)),
        param_scheduler=dict(type="MultiStepLR", milestones=[2], gamma=0.1, by_epoch=True),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1),
                           logger=dict(type="LoggerHook", interval=100)),
        custom_hooks=[CrashAfterEpoch(crash_after)] if crash_after else None,
        randomness=dict(seed=0), resume=resume, default_scope="mmengine")


def test_runner_resumes_under_weights_only_loading(tmp_path):
    allow_mmengine_checkpoints()
    full = make_runner(tmp_path / "full", 4, resume=False)
    full.train()
    with pytest.raises(Crash):
        make_runner(tmp_path / "part", 4, resume=False, crash_after=2).train()
    resumed = make_runner(tmp_path / "part", 4, resume=True)
    resumed.train()
    assert resumed.epoch == 4 and resumed.iter == full.iter == 16
    for a, b in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.allclose(a, b, atol=1e-6)
    assert resumed.optim_wrapper.get_lr()["lr"] == full.optim_wrapper.get_lr()["lr"]
    assert full.optim_wrapper.get_lr()["lr"] == pytest.approx([0.005])  # the milestone was passed


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    allow_mmengine_checkpoints()
    make_runner(tmp_path, 1, resume=False).train()
    ckpt = torch.load(tmp_path / "epoch_1.pth", weights_only=True)
    assert ckpt["meta"]["epoch"] == 1
    buffers = ckpt["message_hub"]["log_scalars"]
    assert buffers["train/loss"].mean() > 0  # HistoryBuffer restored with its statistics
