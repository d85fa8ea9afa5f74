"""Worker of test_gan_distributed: 3 SGD steps of a linear model through ``GradientAveraging``, each process
on its share of a fixed batch (the whole batch without torchrun); writes the weights to ``<out>_<rank>.pt``."""
import sys

import torch

from common.distributed import cleanup_distributed, init_distributed
from common.gan.data_parallel import GradientAveraging


def main(out: str) -> None:
    info = init_distributed("cpu")
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = GradientAveraging(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    x = torch.linspace(-1, 1, 32).view(8, 4)
    y = x.sum(dim=1, keepdim=True) ** 2
    share = slice(info.rank, None, info.world_size)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x[share]), y[share]).backward()
        optimizer.step()
    torch.save(model.state_dict(), f"{out}_{info.rank}.pt")
    cleanup_distributed()


if __name__ == "__main__":
    main(sys.argv[1])
