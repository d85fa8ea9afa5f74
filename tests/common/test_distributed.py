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


def _torchrun_alone(monkeypatch):
    """The environment torchrun gives its one process (``--nproc_per_node=1``)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for var, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0"), ("MASTER_ADDR", "127.0.0.1"),
                       ("MASTER_PORT", str(port))):
        monkeypatch.setenv(var, value)


def test_torchrun_with_one_process_is_distributed(monkeypatch):
    # a one-GPU machine exercises the NCCL path (process group, DDP) with --nproc_per_node=1
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from common.distributed import cleanup_distributed, launched_by_torchrun

    _torchrun_alone(monkeypatch)
    assert launched_by_torchrun()
    try:
        info = init_distributed("cpu")
        assert info.is_distributed and info.world_size == 1 and dist.get_backend() == "gloo"
        assert isinstance(wrap_ddp(torch.nn.Linear(2, 2), info), DistributedDataParallel)
    finally:
        cleanup_distributed()
    monkeypatch.delenv("RANK")
    assert not launched_by_torchrun() and not init_distributed("cpu").is_distributed


def test_detection_set_launcher_under_torchrun_with_one_process(monkeypatch):
    import torch.distributed as dist
    from mmengine.config import Config

    from common.distributed import cleanup_distributed
    from detection.runtime import set_launcher

    _torchrun_alone(monkeypatch)
    try:
        cfg = set_launcher(Config(dict(sync_bn="torch")))
        assert cfg.launcher == "pytorch" and dist.get_backend() == "gloo"  # no GPU here: gloo, CPU DDP
        assert cfg.model_wrapper_cfg.type == "MMDistributedDataParallel" and "sync_bn" not in cfg
    finally:
        cleanup_distributed()
    for var in ("RANK", "WORLD_SIZE"):
        monkeypatch.delenv(var)
    assert set_launcher(Config(dict(sync_bn="torch"))).launcher == "none"
