"""``ReIDTrainer`` under ``torchrun`` with 2 CPU processes (gloo) against one process.

Run as a script, this file is the worker: ``python test_reid_ddp.py ITEMS.json WORK_DIR EPOCHS P`` (one
process) or under ``torchrun --nproc_per_node=2``. The P x K sampler gives both runs the same global
batches, split by identity between the ranks.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
K = 4


def worker(items_path: str, work_dir: str, epochs: int, identities_per_batch: int) -> None:
    from torch.utils.data import DataLoader

    from common.checkpoint import CheckpointManager, unwrap_model
    from common.distributed import cleanup_distributed, init_distributed, wrap_ddp
    from common.reid.dataset import ReIDDataset
    from common.reid.losses import ReIDLoss
    from common.reid.model import build_reid_model
    from common.reid.sampler import IdentitySampler
    from common.reid.solver import build_lr_scheduler, build_optimizer, build_param_groups
    from common.reid.trainer import ReIDTrainer
    from common.reid.transforms import build_train_transform
    from common.runlog import RunLogger

    class RecordingTrainer(ReIDTrainer):
        """Records which dataset indices this process trained on at each step."""

        seen: list

        def compute_losses(self, batch):
            self.seen.append(batch["index"].tolist())
            return super().compute_losses(batch)

    torch.set_num_threads(1)
    info = init_distributed(device="cpu")
    items = [tuple(it) for it in json.loads(Path(items_path).read_text())]
    num_classes = len({pid for _, pid, _ in items})
    dataset = ReIDDataset(items, build_train_transform((64, 32), padding=4), num_classes=num_classes)
    loader = DataLoader(dataset, batch_sampler=IdentitySampler(dataset.pids, identities_per_batch, K, seed=0))
    torch.manual_seed(0)
    model = wrap_ddp(build_reid_model(num_classes, dict(name="resnet18_ibn_a", base_channels=16)), info)
    optimizer = build_optimizer(build_param_groups(model, 0.05, 5e-4), "SGD", lr=0.05)
    scheduler = build_lr_scheduler(optimizer, "multistep", max_epochs=epochs, warmup_epochs=1,
                                   warmup_factor=0.1, milestones=(epochs - 1,))
    out = Path(work_dir)
    with RunLogger(out, rank=info.rank, tensorboard=False) as logger:
        trainer = RecordingTrainer(model, ReIDLoss(ce={}, triplet={}), optimizer, loader, max_epochs=epochs,
                                   scheduler=scheduler, device=info.device, logger=logger, log_every=1,
                                   checkpoints=CheckpointManager(out / "checkpoints", keep_last=None))
        trainer.seen = []
        history = trainer.fit()
    state = {k: v.detach() for k, v in unwrap_model(model).state_dict().items()}
    torch.save({"seen": trainer.seen, "history": history, "state": state,
                "gather_gradient_error": gathered_triplet_gradient_error()}, out / f"rank{info.rank}.pt")
    print(f"rank {info.rank}/{info.world_size} done", flush=True)
    cleanup_distributed()


def gathered_triplet_gradient_error() -> float:
    """Max |gradient difference| between the DDP-averaged gradient of the per-process triplet loss with
    gathered features and the single-process gradient of the loss on the whole batch (a linear
    embedding, so no BatchNorm statistics are involved)."""
    import torch.distributed as dist

    from common.reid.losses import triplet_loss

    torch.manual_seed(0)
    embed = torch.nn.Linear(6, 4)
    x, pids = torch.randn(16, 6), torch.arange(4).repeat_interleave(4)
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    share = slice(rank * 16 // world, (rank + 1) * 16 // world)
    triplet_loss(embed(x[share]), pids[share], margin=0.3, gather=True).backward()
    grad = embed.weight.grad.clone()
    if world > 1:
        dist.all_reduce(grad)
        grad /= world
    embed.zero_grad()
    triplet_loss(embed(x), pids, margin=0.3).backward()
    return float((grad - embed.weight.grad).abs().max())


def _run(cmd, timeout):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _single_and_ddp(tmp_path, identities, per_identity, epochs, identities_per_batch):
    from tests.common.test_reid_trainer import make_identities

    items = make_identities(tmp_path / "images", range(identities), per_identity, seed=0)
    items_path = tmp_path / "items.json"
    items_path.write_text(json.dumps(items))
    args = [str(items_path), str(epochs), str(identities_per_batch)]
    _run([sys.executable, __file__, args[0], str(tmp_path / "single"), *args[1:]], timeout=300)
    run = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                __file__, args[0], str(tmp_path / "ddp"), *args[1:]], timeout=300)
    assert "rank 1/2 done" in run.stdout
    results = [torch.load(tmp_path / sub / f"rank{r}.pt", weights_only=True)
               for sub, r in (("single", 0), ("ddp", 0), ("ddp", 1))]
    return [pid for _, pid, _ in items], results


def test_two_processes_split_each_global_batch_by_identity(tmp_path):
    from common.reid.sampler import IdentitySampler
    from common.runlog import read_metrics

    epochs, p = 2, 4
    pids, (single, rank0, rank1) = _single_and_ddp(tmp_path, 8, 8, epochs, identities_per_batch=p)
    assert len(rank0["seen"]) == len(rank1["seen"]) == len(single["seen"]) == epochs * len(
        IdentitySampler(pids, p, K))
    for whole, share0, share1 in zip(single["seen"], rank0["seen"], rank1["seen"]):
        assert not {pids[i] for i in share0} & {pids[i] for i in share1}  # identities split by rank
        assert sorted(share0 + share1) == sorted(whole)                  # the single-process batch
    # DDP keeps the replicas' parameters identical (BatchNorm running statistics stay per process)
    for key, value in rank0["state"].items():
        if not key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(value, rank1["state"][key]), key
    # mining against the gathered features gives the single-process gradient
    assert rank0["gather_gradient_error"] < 1e-6 and rank1["gather_gradient_error"] < 1e-6
    # only rank 0 writes the record: one metrics row per step plus one per epoch, and the checkpoints
    rows = read_metrics(tmp_path / "ddp" / "metrics.jsonl")
    assert len(rows) == len(single["seen"]) + epochs
    assert len(list((tmp_path / "ddp" / "checkpoints").iterdir())) == epochs


@pytest.mark.slow
def test_two_processes_give_the_loss_curve_of_one(tmp_path):
    _, (single, rank0, _) = _single_and_ddp(tmp_path, 12, 16, epochs=8, identities_per_batch=8)
    curves = [[epoch["loss"] for epoch in run["history"]] for run in (single, rank0)]
    print("epoch losses, 1 process:", [round(v, 3) for v in curves[0]])
    print("epoch losses, 2 processes:", [round(v, 3) for v in curves[1]])
    for curve in curves:  # the same shape: both fall by 15 % or more (per-rank BN statistics differ)
        assert np.mean(curve[-2:]) < 0.85 * curve[0]
    assert abs(curves[0][0] - curves[1][0]) < 0.15 * curves[0][0]


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    worker(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
