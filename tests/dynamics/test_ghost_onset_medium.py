"""Does a ghost precede the onset of the drop? One RNN family per test, at the paper's learning rates
(the medium scale, one seed each, stopped soon after it is learned), asserting what the README's
ghost-onset table reports for that seed. The three trainings run in parallel processes."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

CONFIGS = Path(__file__).parents[2] / "dynamics" / "configs"
RUNS = {  # family → config and overrides (medium scale, one seed, enough epochs to be learned)
    # κ grid: the paper's spacing (0.03) over [-6, 6], which holds every κ path of this seed
    "rank_one": ("fig3ab_rank_one_abrupt_learning", ["scale=medium", "seeds=[24]", "epochs=20600",
                                                     "kappa_range=[-6.0,6.0]", "n_kappa=400"]),
    "rank_two": ("fig4ad_rank_two_dcdt", ["scale=medium", "seeds=[3]", "epochs=1800", "timeline_max_epochs=40"]),
    "full_rank": ("fig5_full_rank_dcdt", ["scale=medium", "seeds=[3]", "epochs=400"]),
}


@pytest.fixture(scope="module")
def medium_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("medium")
    procs = {family: subprocess.Popen([sys.executable, "-m", "dynamics.train", str(CONFIGS / f"{config}.py"), *args,
                                       "--work-dir", str(root / family)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for family, (config, args) in RUNS.items()}
    errors = {family: p.communicate()[1] for family, p in procs.items() if p.wait() != 0}
    assert not errors, errors
    return {family: json.loads((root / family / "results.json").read_text()) for family in RUNS}


def _row(results):
    (row,) = results["per_seed"]
    assert 0 <= row["onset"] <= row["learned"]                      # it leaves the plateau and learns
    return row


@pytest.mark.slow
def test_rank_one_learns_without_a_ghost_before_the_onset(medium_runs):
    # Seed 24 at lr 0.003: the κ path has no minimum of |κ̇| without a zero (fast or slow) before the
    # onset; the only fixed point moves, the count never changes, and no ghost appears before it is learned.
    row = _row(medium_runs["rank_one"])
    assert row["learned"] - row["onset"] < 500                        # abrupt
    assert not row["ghost before onset"] and row["ghost epochs before onset"] == 0
    assert math.isnan(row["slowest min before onset"])
    assert row["fixed-point counts"] == [1] and row["bifurcations"] == 0
    assert row["first ghost"] == -1 or row["first ghost"] >= row["learned"]


@pytest.mark.slow
def test_rank_two_dcdt_finds_its_ghost_only_after_the_onset(medium_runs):
    # Seed 3 at lr 1e-3: no slow point near the trajectories before the onset; a ghost (below the
    # ceiling 0.2) appears within a few hundred epochs after it, before the loss reaches 20%.
    results = medium_runs["rank_two"]
    row = _row(results)
    assert not row["ghost before onset"] and math.isnan(row["slowest min before onset"])
    assert row["onset"] <= row["first ghost"] < row["learned"]
    assert 0 < row["its speed"] <= results["ghost_speed_max"]


@pytest.mark.slow
def test_full_rank_dcdt_has_a_ghost_before_the_onset(medium_runs):
    # The authors' seed 3 and training (SGD 1e-2): a slow ghost near the trajectories shortly before
    # the loss leaves its plateau, then the drop within tens of epochs.
    results = medium_runs["full_rank"]
    row = _row(results)
    assert row["ghost before onset"] and row["ghost epochs before onset"] >= 1
    assert 0 < row["its speed"] <= results["ghost_speed_max"]
    assert row["learned"] - row["onset"] < 100
