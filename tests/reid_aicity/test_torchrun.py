"""Stage 1 under ``torchrun`` with 2 CPU processes (gloo) against one process: the same loss curve shape.

Both runs see the same global P x K batches (``IdentitySampler`` splits each batch by identity between
the ranks, and the triplet loss mines against the gathered batch), with DDP's gradient averaging.
BatchNorm statistics, however, are computed per process over half the batch (SyncBatchNorm needs a
GPU), which slows the two-process run down a little: the curves share their shape and start, not
their exact values.
"""
import numpy as np
import pytest

from ..conftest import epoch_losses, train_in_one_and_two_processes

EPOCHS = 6
ARGS = ["reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py", f"solver.max_epochs={EPOCHS}", "solver.steps=[4]",
        "solver.warmup_epochs=1", "evaluate_after_training=False", f"solver.checkpoint_every={EPOCHS}"]


@pytest.mark.slow
def test_two_gloo_processes_follow_the_single_process_loss_curve(tmp_path):
    from reid_aicity.make_synthetic import SCALES, make_synthetic_dataset

    root = make_synthetic_dataset(tmp_path / "data", SCALES["demo"])
    train_in_one_and_two_processes("reid_aicity.train", [*ARGS, f"data.root={root}"], tmp_path)
    one, two = epoch_losses(tmp_path / "one"), epoch_losses(tmp_path / "two")
    print("epoch losses, 1 process:", one.round(3), " 2 processes:", two.round(3))
    assert len(one) == len(two) == EPOCHS
    assert one[-1] < 0.7 * one[0] and two[-1] < 0.7 * two[0]            # both learn
    assert np.corrcoef(one, two)[0, 1] > 0.95                           # along the same curve shape
    assert abs(two[0] - one[0]) < 0.1 * one[0]                          # from the same start
    assert "2 process(es)" in (tmp_path / "two" / "run.log").read_text()
