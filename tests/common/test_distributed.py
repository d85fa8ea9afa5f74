import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from common.distributed import DistInfo, init_distributed, wrap_ddp

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("ddp_worker.py")


def test_single_process_without_torchrun(monkeypatch):
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    info = init_distributed("cpu")
    assert info == DistInfo(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
    model = torch.nn.Linear(2, 2)
    assert wrap_ddp(model, info) is model


def test_partial_torchrun_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    with pytest.raises(RuntimeError, match="MASTER_ADDR"):
        init_distributed("cpu")


def test_two_process_gloo_equals_single_process_on_the_same_global_batch(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    single, ddp = tmp_path / "single.pt", tmp_path / "ddp.pt"
    run = subprocess.run([sys.executable, str(WORKER), str(single)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc_per_node=2", str(WORKER), str(ddp)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "rank 1/2 done" in run.stdout
    a = torch.load(single, weights_only=True)
    b = torch.load(ddp, weights_only=True)
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6, rtol=0), key
    # and training actually moved the parameters (the comparison is not between two untouched inits)
    torch.manual_seed(1)
    untouched = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 2))
    assert not torch.allclose(untouched.state_dict()["0.weight"], a["0.weight"])
