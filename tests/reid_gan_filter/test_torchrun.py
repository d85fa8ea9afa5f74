"""The UDA comparison run under ``torchrun`` with 2 CPU processes (gloo) against one process, both adapting the
same source model: rank 0 makes the round's pseudo-labels and sends them (the same labels as one process), both
ranks train their share of each batch, and the loss curve starts at the same value (BatchNorm statistics are per
process, so the values then drift apart a little)."""
import numpy as np
import pytest

from reid_gan_filter.training_runs import run_comparison

from ..conftest import epoch_losses, train_in_one_and_two_processes
from .conftest import CONFIG_DIR
from .test_training import CPU, SHORT, train_config


@pytest.mark.slow
def test_two_gloo_processes_adapt_like_one(synthetic_root, scored, source_root, tmp_path):
    source = {"train.uda.source.root": str(source_root)}
    run_comparison(train_config(synthetic_root, scored[0], "uda", **source, **{"train.generated": "none"}),
                   tmp_path / "source_run", CPU)
    args = [str(CONFIG_DIR / "train_uda_synthetic.py"), f"data.real.root={synthetic_root}",
            f"train.score_run={scored[0]}", f"train.uda.source.root={source_root}",
            f"train.uda.source_weights={tmp_path / 'source_run' / 'source'}", "train.uda.epochs_per_round=2",
            *(f"{k}={v}" for k, v in SHORT.items() if k != "train.uda.epochs_per_round")]
    train_in_one_and_two_processes("reid_gan_filter.train", args, tmp_path)
    labels = [np.load(tmp_path / run / "round0" / "pseudo_labels.npz")["labels"] for run in ("one", "two")]
    np.testing.assert_array_equal(labels[0], labels[1])
    one, two = epoch_losses(tmp_path / "one" / "round0"), epoch_losses(tmp_path / "two" / "round0")
    print("epoch losses, 1 process:", one.round(3), " 2 processes:", two.round(3))
    assert len(one) == len(two) == 2 and np.isfinite(two).all()
    assert abs(two[0] - one[0]) < 0.15 * one[0]
    assert "2 process(es)" in (tmp_path / "two" / "round0" / "run.log").read_text()
    assert (tmp_path / "two" / "results.json").is_file()
