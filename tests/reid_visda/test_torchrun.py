"""The adaptation stage under ``torchrun`` with 2 CPU processes (gloo) against one process: rank 0 makes the
pseudo-labels and broadcasts them (the same labels as the single process), every step's domain is drawn
alike on both ranks, and the loss curve starts at the same value (BatchNorm statistics are per process,
so the values then drift apart a little)."""
import numpy as np
import pytest

from common.config import load_config
from reid_visda.defaults import DEFAULTS
from reid_visda.train import run_training

from ..conftest import epoch_losses, train_in_one_and_two_processes
from .conftest import tiny_overrides
from .test_stages import CONFIGS

ARGS = ["solver.max_epochs=2", "solver.steps=[1]", "solver.warmup_epochs=1", "solver.ims_per_batch=16",
        "sampler.num_instances=4", "model.backbone.base_channels=8", "adaptation.original_fraction=0.5",
        "adaptation.k1=6", "adaptation.k2=2", "adaptation.eps=0.6", "adaptation.min_samples=2",
        "adaptation.top_clusters=8", "evaluate_after_training=False", "data.num_workers=0"]


@pytest.mark.slow
def test_two_gloo_processes_adapt_like_one(visda_trees, tmp_path):
    overrides = tiny_overrides(visda_trees, camera_model=None, evaluate_after_training=False)
    baseline = load_config(CONFIGS / "baseline_resnet18_ibn_a_synthetic.py", overrides, schema=DEFAULTS)
    run_training(baseline, tmp_path / "baseline")
    common = ["reid_visda/configs/adaptation_synthetic.py", *ARGS, f"data.root={visda_trees}",
              f"model.init_from={tmp_path / 'baseline'}", "camera_model=None"]
    train_in_one_and_two_processes("reid_visda.train", common, tmp_path)
    labels = [np.load(tmp_path / run / "pseudo_labels" / "epoch_000.npz")["labels"] for run in ("one", "two")]
    np.testing.assert_array_equal(labels[0], labels[1])
    one, two = epoch_losses(tmp_path / "one"), epoch_losses(tmp_path / "two")
    print("epoch losses, 1 process:", one.round(3), " 2 processes:", two.round(3))
    assert len(one) == len(two) == 2 and np.isfinite(two).all()
    assert abs(two[0] - one[0]) < 0.15 * one[0]
    assert "2 process(es)" in (tmp_path / "two" / "run.log").read_text()
