import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread for the test, restored afterwards: the test networks are tiny, and on
    two shared cores more threads only add OpenMP spin-waits (and run-to-run differences)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def run_demo_process(package: str, work_dir, seed: int | None = None) -> dict:
    """``python -m <package>.demo --work-dir WORK [--seed SEED]`` in a fresh process, as ``make demo`` runs it;
    returns its ``demo_results.json``. A fresh process keeps the demo's timing and numbers independent of
    the tests that ran before it in this one (in-process, the same demo ran about 25% slower late in the slow
    suite)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    argv = [sys.executable, "-m", f"{package}.demo", "--work-dir", str(work_dir)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    root = Path(__file__).resolve().parent.parent
    subprocess.run(argv, check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=1800)
    return json.loads((Path(work_dir) / "demo_results.json").read_text())


def train_in_one_and_two_processes(module: str, args: list[str], work_dir) -> None:
    """``python -m MODULE ARGS`` into ``WORK/one``, then the same under ``torchrun --nproc_per_node=2`` (gloo
    on CPU) into ``WORK/two``: the runs the torchrun tests compare."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-m", module, *args, "--work-dir", str(Path(work_dir) / "one")],
                   check=True, env=env, timeout=600)
    subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", module,
                    *args, "--work-dir", str(Path(work_dir) / "two")], check=True, env=env, timeout=600)


def epoch_losses(run_dir):
    """``[epochs]`` the ``epoch_loss`` values of a run's ``metrics.jsonl``."""
    import numpy as np
    from pathlib import Path

    from common.runlog import read_metrics

    return np.array([row["epoch_loss"] for row in read_metrics(Path(run_dir) / "metrics.jsonl") if "epoch_loss" in row])
