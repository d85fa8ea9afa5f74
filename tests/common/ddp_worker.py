"""Train a small model for a few steps, single- or multi-process (under torchrun), and save it.

`python ddp_worker.py OUT.pt` (one process) or `torchrun --nproc_per_node=2 ddp_worker.py OUT.pt`:
the global batch is the same; under DDP each rank takes its shard of it.
"""
import sys

import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from common.checkpoint import unwrap_model
from common.distributed import cleanup_distributed, init_distributed, wrap_ddp

GLOBAL_BATCH, STEPS = 8, 5


def main(out: str) -> None:
    torch.set_num_threads(1)
    info = init_distributed(device="cpu")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(GLOBAL_BATCH * STEPS, 6, generator=g)
    y = torch.randn(GLOBAL_BATCH * STEPS, 2, generator=g)
    torch.manual_seed(1)
    model = wrap_ddp(torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2)), info)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, shuffle=False) if info.is_distributed else None
    loader = DataLoader(dataset, batch_size=GLOBAL_BATCH // info.world_size, sampler=sampler)
    # DistributedSampler deals indices round-robin, so at each step the ranks' shards together are
    # exactly the single process's contiguous batch.
    for xb, yb in loader:
        loss = torch.nn.functional.mse_loss(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if info.is_main:
        torch.save({k: v.detach() for k, v in unwrap_model(model).state_dict().items()}, out)
    print(f"rank {info.rank}/{info.world_size} done", flush=True)
    cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1])
