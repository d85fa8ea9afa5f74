import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from common.checkpoint import (CheckpointError, CheckpointManager, capture_rng_state,
                               load_checkpoint, restore_rng_state, save_checkpoint)
from common.runlog import read_metrics

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("resume_worker.py")


def run_worker(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(WORKER), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_round_trip_restores_everything(tmp_path):
    model = torch.nn.Linear(4, 3)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    manager = CheckpointManager(tmp_path)
    manager.save(5, extra={"best": 0.25}, model=model, optimizer=opt)

    model2 = torch.nn.Linear(4, 3)
    opt2 = torch.optim.Adam(model2.parameters(), lr=1e-2)
    info = manager.resume(model=model2, optimizer=opt2)
    assert info == {"step": 5, "extra": {"best": 0.25}}
    for a, b in zip(model.parameters(), model2.parameters()):
        assert torch.equal(a, b)
    state, state2 = opt.state_dict(), opt2.state_dict()
    assert torch.equal(state["state"][0]["exp_avg"], state2["state"][0]["exp_avg"])


def test_rng_state_round_trip():
    state = capture_rng_state()
    a = (torch.rand(3), np.random.rand(3), __import__("random").random())
    restore_rng_state(state)
    b = (torch.rand(3), np.random.rand(3), __import__("random").random())
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


def test_keep_last_n(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=2)
    model = torch.nn.Linear(2, 2)
    for step in (1, 2, 3, 10):
        manager.save(step, model=model)
    assert [p.name for p in manager.checkpoints()] == ["ckpt_00000003.pt", "ckpt_00000010.pt"]
    assert manager.latest().name == "ckpt_00000010.pt"


def test_killed_and_resumed_run_is_bit_identical(tmp_path):
    steps = 11
    full, interrupted = tmp_path / "full", tmp_path / "interrupted"
    assert run_worker(full, steps).returncode == 0
    killed = run_worker(interrupted, steps, 8)  # last checkpoint at step 6: steps 7-8 are redone
    assert killed.returncode == -signal.SIGKILL
    assert not (interrupted / "final.pt").exists()
    resumed = run_worker(interrupted, steps)
    assert resumed.returncode == 0, resumed.stderr
    a = torch.load(full / "final.pt", weights_only=True)
    b = torch.load(interrupted / "final.pt", weights_only=True)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)  # bitwise, not approximately
    losses_full = [(r["step"], r["loss"]) for r in read_metrics(full / "metrics.jsonl")]
    losses_resumed = [(r["step"], r["loss"]) for r in read_metrics(interrupted / "metrics.jsonl")]
    assert losses_full == losses_resumed  # the record has no duplicated or missing steps


def test_save_failing_midway_keeps_previous_checkpoint(tmp_path, monkeypatch):
    manager = CheckpointManager(tmp_path)
    model = torch.nn.Linear(3, 3)
    first = manager.save(1, model=model)
    before = first.read_bytes()

    def torn_save(obj, f, *args, **kwargs):
        f.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", torn_save)
    with pytest.raises(OSError, match="disk full"):
        manager.save(1, model=torch.nn.Linear(3, 3))  # same path as the existing checkpoint
    assert first.read_bytes() == before
    assert manager.checkpoints() == [first]
    assert list(tmp_path.iterdir()) == [first]  # no temporary file left behind


def test_process_killed_during_save_leaves_previous_checkpoint_loadable(tmp_path):
    code = f"""
import sys, torch
sys.path.insert(0, {str(ROOT)!r})
from common.checkpoint import CheckpointManager
m = CheckpointManager({str(tmp_path)!r}, keep_last=None)
m.save(1, model=torch.nn.Linear(4, 4))
print("saving", flush=True)
m.save(2, extra={{"big": torch.zeros(50_000_000)}}, model=torch.nn.Linear(4, 4))
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    manager = CheckpointManager(tmp_path)
    latest = manager.latest()
    assert latest is not None
    state = load_checkpoint(latest)  # whichever checkpoint is visible is complete
    assert state["step"] in (1, 2)
    assert manager.resume(model=torch.nn.Linear(4, 4))["step"] == state["step"]


@pytest.mark.parametrize("damage", ["truncate", *(f"garbage{seed}" for seed in range(32))])
def test_corrupt_checkpoint_gives_clear_error(tmp_path, damage):
    """Random bytes fail in many places of the unpickler (UnpicklingError, KeyError, ...): all of them
    must surface as the same clear error."""
    path = save_checkpoint(tmp_path / "ckpt_00000001.pt", {"w": torch.randn(1000)})
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(random.Random(int(damage.removeprefix("garbage"))).randbytes(len(data)))
    with pytest.raises(CheckpointError, match="truncated or corrupt") as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)


def test_unreadable_or_unmappable_checkpoint_is_not_called_corrupt(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "ckpt_00000001.pt", {"w": torch.ones(3)})
    if not torch.cuda.is_available():
        with pytest.raises(CheckpointError, match="cannot map its tensors to 'cuda'"):
            load_checkpoint(path, map_location="cuda")

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(torch, "load", unreadable)
    with pytest.raises(PermissionError):  # an I/O problem must not advise deleting a good file
        load_checkpoint(path)


def test_missing_checkpoint_and_missing_component(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")
    manager = CheckpointManager(tmp_path)
    manager.save(1, model=torch.nn.Linear(2, 2))
    with pytest.raises(CheckpointError, match="no 'optimizer' state"):
        manager.resume(model=torch.nn.Linear(2, 2),
                       optimizer=torch.optim.SGD(torch.nn.Linear(2, 2).parameters(), lr=1))


class _Arbitrary:
    pass


def test_untrusted_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"obj": _Arbitrary()}, path)
    with pytest.raises(CheckpointError, match="allowlist"):
        load_checkpoint(path)
