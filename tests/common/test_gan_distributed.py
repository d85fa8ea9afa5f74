"""Data-parallel GAN training: gradients averaged before every optimizer step keep the processes' weights
equal to one another and to one process on the whole batch; ``common.gan.train`` runs under torchrun."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from common.gan.datasets import StepSampler
from common.runlog import read_metrics

from .test_gan_data import write_toy_sets

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("gan_averaging_worker.py")


def _env():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    return env


def test_averaged_gradients_equal_the_single_process_step(tmp_path):
    single = subprocess.run([sys.executable, str(WORKER), str(tmp_path / "one")], env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          str(WORKER), str(tmp_path / "two")], env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert two.returncode == 0, two.stderr[-3000:]
    one = torch.load(tmp_path / "one_0.pt", weights_only=True)
    ranks = [torch.load(tmp_path / f"two_{r}.pt", weights_only=True) for r in (0, 1)]
    torch.manual_seed(0)
    start = torch.nn.Linear(4, 1).state_dict()
    for key in one:
        assert torch.equal(ranks[0][key], ranks[1][key]), key
        torch.testing.assert_close(ranks[0][key], one[key], atol=1e-6, rtol=0)
        assert not torch.allclose(one[key], start[key])


def test_step_sampler_shares_are_the_single_process_batch():
    whole = list(StepSampler(20, 6, 3, seed=0, salt=0, start=0, stop=5))
    parts = [list(StepSampler(20, 3, 3, seed=0, salt=0, start=0, stop=5, rank=r, world_size=2)) for r in (0, 1)]
    for step in range(5):
        merged = sorted(parts[0][3 * step:3 * step + 3] + parts[1][3 * step:3 * step + 3])
        assert merged == sorted(whole[6 * step:6 * step + 6])


@pytest.mark.slow
def test_stargan_trains_under_torchrun(tmp_path):
    toy = write_toy_sets(tmp_path / "toy", num_ids=4, per_camera=2)
    args = ["common/gan/configs/stargan_tiny_synthetic.py", f"data.train.root={toy / 'cameras'}", "train.epochs=2",
            "train.iters_per_epoch=5", "train.batch_size=4", "train.log_every=5", "train.checkpoint_every=5",
            "train.sample_every=10", "evaluate.max_images=20", "--work-dir", str(tmp_path / "run")]
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          "-m", "common.gan.train", *args], env=_env(), cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "2 process(es)" in (tmp_path / "run" / "run.log").read_text()
    rows = [r for r in read_metrics(tmp_path / "run" / "metrics.jsonl") if "g_rec" in r]
    assert rows and all(r["g_rec"] == r["g_rec"] for r in rows)  # logged and finite (not NaN)
    assert (tmp_path / "run" / "results.json").is_file() and list((tmp_path / "run" / "samples").glob("*.png"))
