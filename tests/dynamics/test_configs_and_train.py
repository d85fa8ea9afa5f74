"""Every figure config loads at both scales; bad keys and values fail early; train.py runs."""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from common.config import ConfigKeyError, add_config_arguments
from dynamics import train
from dynamics.experiments import EXPERIMENTS, load_experiment_config

CONFIGS = sorted((Path(__file__).parents[2] / "dynamics" / "configs").glob("*.py"))


def _args(argv):
    return add_config_arguments(argparse.ArgumentParser()).parse_args([str(a) for a in argv])


def test_there_is_a_config_for_every_experiment():
    used = {load_experiment_config(_args([c]))[0].experiment for c in CONFIGS}
    assert used == set(EXPERIMENTS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
@pytest.mark.parametrize("scale", ["quick", "medium", "paper"])
def test_every_config_loads_and_passes_its_checks(config, scale):
    cfg, module = load_experiment_config(_args([config, f"scale={scale}"]))
    assert cfg.scale == scale and set(module.DEFAULTS) <= set(cfg)
    if scale != "quick":
        assert all(cfg[key] == value for key, value in cfg[scale].items())


def test_paper_values_replace_quick_ones_except_explicit_overrides():
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig3ab_rank_one_abrupt_learning")]
    quick, _ = load_experiment_config(_args([path]))
    paper, _ = load_experiment_config(_args([path, "scale=paper"]))
    mixed, _ = load_experiment_config(_args([path, "scale=paper", "epochs=7"]))
    assert (quick.lr, quick.epochs) == (0.01, 7200)
    assert (paper.lr, paper.epochs, paper.seeds) == (0.003, 500000, [40])
    assert (mixed.lr, mixed.epochs) == (0.003, 7)


def test_unknown_override_key_is_rejected_by_name():
    with pytest.raises(ConfigKeyError, match="epoch"):
        load_experiment_config(_args([CONFIGS[0], "epoch=3"]))


def test_unknown_key_in_a_config_file_is_rejected(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('experiment = "canonical_descent"\nT = 100.0\nlearning_rates = [1e-9]\n')
    with pytest.raises(ConfigKeyError, match="learning_rates"):
        load_experiment_config(_args([bad]))
    unknown = tmp_path / "unknown.py"
    unknown.write_text('experiment = "fig9"\n')
    with pytest.raises(ConfigKeyError, match="fig9"):
        load_experiment_config(_args([unknown]))


@pytest.mark.parametrize("override, key", [("T=0", "T"), ("lrs=[1e-9,-1.0]", "lrs"), ("scale=huge", "scale"),
                                           ("convention=paper", "convention")])
def test_invalid_values_fail_early_naming_the_key(override, key):
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig2bc_canonical_gradient_descent")]
    with pytest.raises(ValueError, match=key):
        load_experiment_config(_args([path, override]))


def test_invalid_rnn_values_fail_early():
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig3cd_rank_one_large_lr")]
    with pytest.raises(ValueError, match="'lr'"):
        load_experiment_config(_args([path, "lr=-0.1"]))
    with pytest.raises(ValueError, match="dtype"):
        load_experiment_config(_args([path, "dtype=float16"]))


def test_train_smoke_canonical(tmp_path):
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig2bc_canonical_gradient_descent")]
    results = train.main([str(path), "epochs=300", "--work-dir", str(tmp_path)])
    assert (tmp_path / "figures" / "fig2bc_canonical_gradient_descent.png").read_bytes()[:4] == b"\x89PNG"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["eta_c_predicted"] == pytest.approx(results["eta_c_predicted"])
    assert "| lr |" in (tmp_path / "tables" / "summary.md").read_text()
    assert (tmp_path / "config.py").exists() and (tmp_path / "run.log").exists()


def test_train_smoke_rnn_with_tiny_override(tmp_path):
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig3cd_rank_one_large_lr")]
    results = train.main([str(path), "epochs=60", "n_kappa=200", "--work-dir", str(tmp_path)])
    assert len(results["loss"][0]) == 60 and set(results["per_seed"][0]["fixed-point counts"]) == {1}
    assert (tmp_path / "figures" / "fig3_rank_one_ghost.png").exists()
    assert (tmp_path / "metrics.jsonl").read_text().strip()


TINY = {  # enough epochs for every code path of the figure, far too few for the phenomena
    "fig1_ghost_vs_fixed_points": ["finder_iters=50"],
    "fig2_critical_lr_vs_T": ["epochs=200", "n_refine=3", "lrs_per_decade=5", "exact_Ts=[25.0]", "exact_epochs=20",
                              "exact_n_inits=2", "exact_n_refine=3"],
    "fig2a_canonical_loss_landscape": ["n_r=10"],
    "fig2bc_canonical_gradient_descent": ["epochs=100"],
    "fig2d_canonical_loss_vs_lr": ["epochs=100", "n_lrs=8", "report_epochs=[50,99]"],
    "fig3ab_rank_one_abrupt_learning": ["epochs=40", "n_kappa=100"],
    "fig3cd_rank_one_large_lr": ["epochs=40", "n_kappa=100"],
    "fig4ad_rank_two_dcdt": ["epochs=30", "trials_per_condition=1", "n_grid=40", "newton_steps=3"],
    "fig4eh_rank_two_dmts": ["epochs=30", "trials_per_condition=1", "n_grid=40", "newton_steps=3"],
    "fig5_full_rank_dcdt": ["epochs=30", "finder.n_iters=20"],
    "fig5_full_rank_dmts": ["epochs=30", "finder.n_iters=20"],
    "fig6a_full_rank_lr_sweep": ["epochs=30", "n_lrs=3", "n_seeds=2", "report_epochs=[10,29]"],
    "fig6a_rank_one_lr_sweep": ["epochs=30", "n_lrs=3", "n_seeds=2", "report_epochs=[10,29]"],
    "fig6b_rank_sweep": ["epochs=20", "ranks=[1,3,100]", "n_lrs=2", "n_seeds=1"],
    "fig7_full_rank_dcdt_lr_sweep": ["epochs=30", "n_lrs=3", "n_seeds=2", "report_epochs=[10,29]"],
    "fig7_full_rank_dmts_lr_sweep": ["epochs=30", "n_lrs=3", "n_seeds=2", "report_epochs=[10,29]"],
    "fig8a_confidence_gradient": ["n_r=10", "descent_epochs=3"],
    "fig8b_confidence_ablation": ["epochs=60", "rescue_epochs=5", "n_seeds=3", "plot_window=20"],
    "fig8b_learnable_confidence": ["epochs=60", "rescue_epochs=5", "n_seeds=3", "plot_window=20"],
    "fig8c_readout_norm_intervention": ["epochs=10", "n_seeds=2", "trials_per_condition=1"],
}


def test_every_config_has_a_tiny_setting():
    assert set(TINY) == {c.stem for c in CONFIGS}


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_figure_runs_end_to_end_with_tiny_settings(config, tmp_path):
    train.main([str(config), *TINY[config.stem], "--work-dir", str(tmp_path)])
    assert list((tmp_path / "figures").glob("*.png"))
    assert json.loads((tmp_path / "results.json").read_text())
    assert (tmp_path / "tables" / "summary.md").read_text().count("|") > 4


def test_train_resume_continues_a_checkpointed_run(tmp_path):
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig3cd_rank_one_large_lr")]
    common = ["n_kappa=100", "checkpoint_every=20"]
    first = train.main([str(path), "epochs=40", *common, "--work-dir", str(tmp_path)])
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["rank_one_00000020.pt",
                                                                           "rank_one_00000040.pt",
                                                                           "rank_one_history"]
    longer = train.main([str(path), "epochs=60", *common, "--resume", "--work-dir", str(tmp_path)])
    assert len(longer["loss"][0]) == 60
    assert longer["loss"][0][:40] == first["loss"][0]


def test_a_registered_task_runs_in_the_working_memory_experiments(tmp_path, monkeypatch):
    from dynamics import tasks
    from dynamics.experiments._shared import task_from_cfg
    built = []

    def long_dmts(cfg):
        built.append(cfg.task)
        return tasks.dmts(cfg.trials_per_condition, cfg.stimulus_ms, 2 * cfg.delay_ms, cfg.reaction_ms, cfg.dt_ms)

    monkeypatch.setitem(tasks.TASKS, "dmts_long_delay", long_dmts)
    path = CONFIGS[[c.stem for c in CONFIGS].index("fig5_full_rank_dmts")]
    cfg, _ = load_experiment_config(_args([path, "task=dmts_long_delay"]))
    assert task_from_cfg(cfg).n_steps == tasks.dmts(1, cfg.stimulus_ms, 2 * cfg.delay_ms, cfg.reaction_ms).n_steps
    built.clear()
    results = train.main([str(path), "task=dmts_long_delay", *TINY["fig5_full_rank_dmts"], "--work-dir", str(tmp_path)])
    assert built == ["dmts_long_delay"] and len(results["loss"]) == 30       # the experiment trained on it
    with pytest.raises(ValueError, match="register_task"):
        load_experiment_config(_args([path, "task=dnms"]))
    with pytest.raises(ValueError, match="already"):
        tasks.register_task("dcdt", long_dmts)


def test_your_own_rnn_example_trains_and_finds_true_fixed_points():
    from dynamics import example_own_rnn, fixed_points
    out = example_own_rnn.main(["--epochs", "60", "--members", "3"])
    assert out["loss"][-1].min() < 0.5 * out["loss"][0].min()                 # the best rate learns
    pts = out["points"]
    fixed = pts.is_fixed
    assert fixed.any() and set(pts.kind) <= {*fixed_points.FIXED_KINDS, "ghost", "not slow", "non-minimum"}
    assert bool((pts.speed[fixed] <= 1e-2 * pts.scale).all())       # labelled fixed: G(h) = h up to the tolerance


@pytest.mark.slow
def test_rank_sweep_at_paper_scale_streams_its_history_in_bounded_memory(tmp_path):
    # 900 runs × 500k epochs: the history would be 4 × 500k × 900 float64 = 14 GB in memory. Run the
    # paper-scale config until its first history chunk (2 rows) is on disk, then read the peak RSS.
    proc = subprocess.Popen([sys.executable, "-m", "dynamics.train", str(CONFIGS[[c.stem for c in CONFIGS].index(
        "fig6b_rank_sweep")]), "scale=paper", "history_stride=1", "history_chunk=2", "--work-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    loss = tmp_path / "checkpoints" / "rank_sweep_history" / "loss.npy"
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if loss.exists() and np.load(loss, mmap_mode="r")[1].any():
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read()
        peak_kb = int(next(line for line in open(f"/proc/{proc.pid}/status") if line.startswith("VmHWM")).split()[1])
    finally:
        proc.kill()
    written = np.load(loss, mmap_mode="r")
    assert written.shape == (500000, 900) and np.isfinite(written[:2]).all() and written[:2].min() > 0
    assert peak_kb < 2 * 1024 ** 2
