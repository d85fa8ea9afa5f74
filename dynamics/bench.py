"""Batched ensembles vs one run at a time: ``python -m dynamics.bench [--runs 100] [--epochs 50]``.

Trains the same ``runs`` rank-one delayed-activation RNNs (seeds × learning rates, the Fig 6A
sweep) for ``epochs`` epochs twice in this process: as one batched ensemble, and one network at
a time with the same code. Prints a table of wall time, throughput (run-epochs per second) and
their ratio; the goal is at least 20× the throughput at 100 runs on a CPU. It also checks that both
ways give the same losses. (Memory is not compared: the ensemble's tensors are a few MB either way.)
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from common.device import resolve_device
from common.runlog import RunLogger

from .models import RateRNN
from .tasks import delayed_activation
from .training import train_ensemble


def _members(runs: int) -> tuple[list[int], list[float]]:
    lrs = np.logspace(-3, -1, 10)
    seeds = [k // len(lrs) for k in range(runs)]
    return seeds, [float(lrs[k % len(lrs)]) for k in range(runs)]


def _model(seeds, device, dtype) -> RateRNN:
    return RateRNN(seeds, rank=1, readout="confidence", init_state_value=-0.3, dtype=dtype, device=device)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m dynamics.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--work-dir", default="work_dirs/dynamics_bench")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.epochs < 1:
        parser.error("--runs and --epochs must be >= 1")
    torch.set_num_threads(args.threads)
    device, dtype = resolve_device(args.device), torch.float64
    task = delayed_activation(20)
    seeds, lrs = _members(args.runs)

    train_ensemble(_model(seeds[:2], device, dtype), task, 3, lrs[:2])        # warm-up
    start = time.perf_counter()
    batched = train_ensemble(_model(seeds, device, dtype), task, args.epochs, lrs)
    t_batched = time.perf_counter() - start
    start = time.perf_counter()
    singles = [train_ensemble(_model([s], device, dtype), task, args.epochs, lr).loss[:, 0]
               for s, lr in zip(seeds, lrs)]
    t_single = time.perf_counter() - start
    gap = float(np.max(np.abs(np.stack(singles, axis=1) - batched.loss)))

    work = args.runs * args.epochs
    rows = [{"way": f"batched ensemble ({args.runs} runs)", "time (s)": t_batched, "run-epochs / s": work / t_batched},
            {"way": "one run at a time", "time (s)": t_single, "run-epochs / s": work / t_single},
            {"way": "throughput ratio (goal ≥ 20×)", "time (s)": "", "run-epochs / s": t_single / t_batched},
            {"way": "max |loss difference| batched vs single", "time (s)": "", "run-epochs / s": gap}]
    with RunLogger(args.work_dir, tensorboard=False) as run:
        run.save_table(rows, "bench", f"dynamics.bench on {device} ({args.threads} thread(s), float64)")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
