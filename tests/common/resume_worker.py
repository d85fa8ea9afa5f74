"""A tiny training run for the kill-and-resume test: `python resume_worker.py RUN_DIR STEPS [KILL_AT]`.

Uses every piece of state an exact resume must restore: a model with dropout (torch RNG), SGD with
momentum, an LR scheduler, an AMP scaler, batches drawn from the torch, NumPy and Python RNGs, and
the metrics record. With KILL_AT, the process SIGKILLs itself after that step (not at a checkpoint).
"""
import os
import random
import signal
import sys

import numpy as np
import torch

from common.checkpoint import CheckpointManager
from common.device import seed_everything
from common.runlog import RunLogger

CHECKPOINT_EVERY = 3


def main(run_dir: str, steps: int, kill_at: int | None) -> None:
    torch.set_num_threads(1)
    seed_everything(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.3),
                                torch.nn.Linear(32, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    ckpts = CheckpointManager(os.path.join(run_dir, "checkpoints"), keep_last=2)
    resumed = ckpts.resume(model=model, optimizer=opt, scheduler=sched, scaler=scaler)
    start = resumed["step"] if resumed else 0
    log = RunLogger(run_dir, rank=0, tensorboard=False, resume_step=start if resumed else None)
    for step in range(start + 1, steps + 1):
        x = torch.randn(16, 8)
        x = x + torch.from_numpy(np.random.normal(0, 0.1, size=(16, 8))).float()
        y = x[:, :1] * random.uniform(0.5, 1.5)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        log.log_metrics(step, loss=loss.item())
        if step % CHECKPOINT_EVERY == 0:
            ckpts.save(step, model=model, optimizer=opt, scheduler=sched, scaler=scaler)
        if kill_at is not None and step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    torch.save(model.state_dict(), os.path.join(run_dir, "final.pt"))
    log.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
