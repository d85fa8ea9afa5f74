"""Training the translators: exact resume, the learning signal, the run record, config errors."""
import json
import math

import pytest
import torch
from PIL import Image

from common.checkpoint import CheckpointManager, load_checkpoint
from common.config import ConfigKeyError
from common.gan import train as gan_train
from common.gan.train import run_gan_training
from common.runlog import NonFiniteError, read_metrics
from tests.common.test_gan_data import tiny_config, write_toy_sets

RESUME = {
    "spgan": {"train.epochs": 4, "train.iters_per_epoch": 3, "train.batch_size": 2, "train.log_every": 1,
              "train.checkpoint_every": 5, "train.sample_every": 4, "evaluate.enabled": False},
    "stargan": {"train.epochs": 3, "train.iters_per_epoch": 4, "train.batch_size": 4, "train.log_every": 2,
                "train.checkpoint_every": 6, "train.sample_every": 0, "evaluate.enabled": False},
}


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return write_toy_sets(tmp_path_factory.mktemp("toy"))


@pytest.fixture(scope="module")
def small_toy(tmp_path_factory):
    return write_toy_sets(tmp_path_factory.mktemp("small_toy"), num_ids=4, per_camera=2)


def _final_state(run_dir):
    return load_checkpoint(CheckpointManager(run_dir / "checkpoints").latest())


def _assert_bitwise_equal(a, b, path="state"):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_bitwise_equal(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_bitwise_equal(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@pytest.mark.parametrize("method, stop_at", [("spgan", 5), ("stargan", 6)])
def test_resumed_run_is_bit_identical(method, stop_at, small_toy, tmp_path, monkeypatch, one_torch_thread):
    """2N iterations in one go == N iterations, a crash right after checkpoint N, then --resume."""
    cfg = tiny_config(method, small_toy, **RESUME[method])
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    run_gan_training(cfg, full)

    save = CheckpointManager.save

    def save_then_die(self, step, **kw):
        path = save(self, step, **kw)
        if step == stop_at:
            raise Killed
        return path
    monkeypatch.setattr(CheckpointManager, "save", save_then_die)
    with pytest.raises(Killed):
        run_gan_training(cfg, resumed)
    monkeypatch.setattr(CheckpointManager, "save", save)
    assert CheckpointManager(resumed / "checkpoints").latest().name == f"ckpt_{stop_at:08d}.pt"
    cfg_file = tmp_path / "resolved.py"
    cfg.dump(str(cfg_file))
    gan_train.main([str(cfg_file), "--work-dir", str(resumed), "--resume"])  # the command line path

    a, b = _final_state(full), _final_state(resumed)
    assert a["step"] == b["step"] == cfg.train.epochs * cfg.train.iters_per_epoch
    _assert_bitwise_equal(a["components"], b["components"])
    strip = lambda rows: [{k: v for k, v in r.items() if k != "time"} for r in rows]  # noqa: E731
    assert strip(read_metrics(full / "metrics.jsonl")) == strip(read_metrics(resumed / "metrics.jsonl"))


def test_spgan_learns_on_toy_domains(toy, tmp_path, one_torch_thread):
    results = run_gan_training(tiny_config("spgan", toy), tmp_path / "run")
    assert torch.is_grad_enabled()  # the evaluation leaves autograd as it found it
    start, end = results["losses"]["start"], results["losses"]["end"]
    assert end["g_cycle"] < 0.85 * start["g_cycle"] and end["g_identity"] < 0.85 * start["g_identity"]
    assert end["d_target"] < start["d_target"]
    assert "g_contrastive" in end and "sianet" in end  # the official schedule switched both on
    for row in results["domain_distance"]:
        assert row["fd_translated"] < 0.7 * row["fd_raw"], row
    run = tmp_path / "run"
    assert json.loads((run / "results.json").read_text())["domain_distance"] == results["domain_distance"]
    assert (run / "tables" / "domain_distance.md").is_file()
    grid = Image.open(run / "samples" / "iter_00000120.png")
    assert grid.size == (6 * (32 + 2) + 2, 3 * (64 + 2) + 2)  # 6 columns (x_S, G, F(G), x_T, F, G(F)), 3 rows
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(5, 121, 5))


def test_stargan_learns_camera_styles(toy, tmp_path, one_torch_thread):
    results = run_gan_training(tiny_config("stargan", toy), tmp_path / "run")
    start, end = results["losses"]["start"], results["losses"]["end"]
    assert end["g_rec"] < 0.9 * start["g_rec"] and end["g_cls"] < 0.5 * start["g_cls"]
    assert end["d_cls"] < 0.5 * start["d_cls"]
    rows = results["domain_distance"]
    assert [r["camera"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert row["fd_translated"] < row["fd_raw"], row
    assert sum(r["fd_translated"] for r in rows) < 0.7 * sum(r["fd_raw"] for r in rows)
    grid = Image.open(tmp_path / "run" / "samples" / "iter_00000300.png")
    assert grid.size == (4 * (32 + 2) + 2, 3 * (64 + 2) + 2)  # input + one column per camera
    lrs = [r["lr"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")]
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(0.5e-3)  # linear decay, last 2 of 6 epochs


def test_config_errors_name_the_key_or_file(small_toy, tmp_path, capsys):
    config = str(gan_train.__file__).replace("train.py", "configs/spgan_tiny_synthetic.py")
    with pytest.raises(SystemExit) as exit_info:
        gan_train.main(["--help"])
    assert exit_info.value.code == 0 and "python -m common.gan.train" in capsys.readouterr().out
    with pytest.raises(ConfigKeyError, match=r"unknown config key 'train.epoch'.*train.epochs"):
        gan_train.main([config, "train.epoch=3"])
    bad = tmp_path / "bad.py"
    bad.write_text(f"_base_ = [{config!r}]\nspgan = dict(lamda_cycle=3.0)\n")
    with pytest.raises(ConfigKeyError, match=r"unknown config key 'spgan.lamda_cycle' .*bad.py.*lambda_cycle"):
        gan_train.main([str(bad)])
    with pytest.raises(FileNotFoundError, match=r"data.source.root: folder not found: .*nowhere"):
        run_gan_training(tiny_config("spgan", small_toy, **{"data.source.root": str(tmp_path / "nowhere")}),
                         tmp_path / "run")
    with pytest.raises(ValueError, match=r"data.train is not read by method 'spgan'"):
        run_gan_training(tiny_config("spgan", small_toy, **{"data.train.root": str(small_toy)}), tmp_path / "run")
    target = tmp_path / "target"
    target.mkdir()
    for p in (small_toy / "target").iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    Image.new("RGB", (32, 64)).save(target / "preview.jpg")
    with pytest.raises(ValueError, match=r"data.target.name_regex .* does not match the file name of .*preview.jpg"):
        run_gan_training(tiny_config("spgan", small_toy, **{"data.target.root": str(target)}), tmp_path / "run")
    assert not (tmp_path / "run").exists()  # folders are checked before anything is written


def test_non_finite_loss_stops_with_the_step(small_toy, tmp_path, one_torch_thread):
    cfg = tiny_config("spgan", small_toy, **{**RESUME["spgan"], "spgan.lambda_cycle": math.nan})
    with pytest.raises(NonFiniteError, match="g_total is nan at step 1"):
        run_gan_training(cfg, tmp_path / "run")
