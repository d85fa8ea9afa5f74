"""Use it on your own RNN: train an ensemble of your cell on a task, then find its slow points.

``python -m dynamics.example_own_rnn [--epochs 400] [--members 4]``

Your cell maps ``(u_t [E, B, I] or None, h [E, B, N])`` to ``(y_t [E, B, O], h_next [E, B, N])``
with a leading ensemble axis E on every parameter (here: a gated Elman cell). ``StepEnsemble``
unrolls it, ``train_ensemble`` trains all E members at once with one learning rate each, and
``find_slow_points`` analyses the trained map h ← G(h, u): written as h ← h + α F(h) with α = 1,
its flow is F(h) = G(h, u) − h, and the multipliers 1 + λ(F) are the eigenvalues of dG/dh.
"""
from __future__ import annotations

import argparse

import torch
from torch import nn

from dynamics import fixed_points
from dynamics.models import StepEnsemble
from dynamics.tasks import dcdt
from dynamics.training import train_ensemble


class GatedElmanEnsemble(nn.Module):
    """E independent cells h' = (1 − z) h + z tanh(h W + u w_in + b), z = σ(h W_z + b_z), y = tanh(h w_out)."""

    def __init__(self, E: int, N: int, seed: int = 0) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.W = nn.Parameter(torch.randn(E, N, N, generator=g) / N ** 0.5)
        self.W_z = nn.Parameter(torch.randn(E, N, N, generator=g) / N ** 0.5)
        self.b = nn.Parameter(torch.zeros(E, 1, N))
        self.b_z = nn.Parameter(torch.zeros(E, 1, N))
        self.w_in = nn.Parameter(torch.randn(E, 1, N, generator=g))
        self.w_out = nn.Parameter(torch.randn(E, N, 1, generator=g) / N ** 0.5)

    def forward(self, u: torch.Tensor | None, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        drive = torch.baddbmm(self.b, h, self.W) + (torch.bmm(u, self.w_in) if u is not None else 0)
        z = torch.sigmoid(torch.baddbmm(self.b_z, h, self.W_z))
        h = (1 - z) * h + z * torch.tanh(drive)
        return torch.tanh(torch.bmm(h, self.w_out)), h


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--members", type=int, default=4)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    E, N = args.members, 32
    cell = GatedElmanEnsemble(E, N)
    net = StepEnsemble(cell, n_members=E, hidden_size=N, recurrent=["W", "W_z"])
    task = dcdt(trials_per_condition=2)                       # any object with the tasks.TaskLike protocol
    rates = torch.logspace(-2, -0.5, E)
    rec = train_ensemble(net, task, args.epochs, rates)        # one learning rate per member
    print("final loss per member:", [round(float(v), 4) for v in rec.loss[-1]])

    best = int(rec.loss[-1].argmin())
    with torch.no_grad():
        _, states = net(task.inputs, task.n_steps)             # [E, B, S + 1, N]
    candidates = states[best].reshape(-1, N)

    def flow(h: torch.Tensor) -> torch.Tensor:                 # F(h) = G(h, 0) − h for member `best`
        one = h.unsqueeze(0).expand(E, -1, -1)
        return cell(None, one)[1][best] - h

    delay_steps = 10                                           # DCDT: 50 ms delay at Δt = 5 ms
    pts = fixed_points.find_slow_points(flow, candidates, {
        "n_iters": 1000, "alpha": 1.0, "outlier_distance": 2.0,
        "ghost_speed_max": fixed_points.ghost_speed_ceiling(1.0, 1.0, delay_steps)})
    kinds = {k: pts.kind.count(k) for k in sorted(set(pts.kind))}
    print(f"member {best} (lr {float(rates[best]):.3g}): slow points {kinds}")
    return {"loss": rec.loss, "kinds": kinds, "points": pts}


if __name__ == "__main__":
    main()
