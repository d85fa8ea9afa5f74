"""Writing translated sets: file names and counts, the manifest and its round trip, the command line."""
import re
from collections import Counter

import pytest
import torch
from PIL import Image

from common.checkpoint import CheckpointError
from common.gan import generate as gan_generate
from common.gan.generate import generate, load_translator
from common.gan.manifest import MANIFEST_COLUMNS, read_manifest
from common.gan.train import run_gan_training
from tests.common.test_gan_data import SOURCE_STYLES, tiny_config, write_toy_folder, write_toy_sets

QUICK = {"train.epochs": 1, "train.iters_per_epoch": 2, "train.batch_size": 2, "train.log_every": 1,
         "train.checkpoint_every": 2, "train.sample_every": 0, "evaluate.enabled": False,
         "stargan.optim.decay_epochs": 1}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two-iteration SPGAN and StarGAN runs on small toy sets (weights barely trained: only the layout matters)."""
    root = tmp_path_factory.mktemp("gen")
    data = write_toy_sets(root / "data", num_ids=3, per_camera=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the one_torch_thread fixture, for the whole module
    try:
        for method in ("spgan", "stargan"):
            run_gan_training(tiny_config(method, data, **QUICK), root / method)
        yield root
    finally:
        torch.set_num_threads(threads)


def test_spgan_keeps_file_names_and_writes_a_manifest(runs, tmp_path):
    out = tmp_path / "trainval_spgan"
    rows = generate(runs / "spgan", output_dir=out, device="cpu")
    inputs = sorted(p.name for p in (runs / "data" / "source").glob("*.jpg"))
    assert sorted(p.name for p in out.glob("*.jpg")) == inputs and len(rows) == len(inputs) == 12
    first = rows[0]
    assert first.generated_path == str(out / "0001_1_00.jpg")
    assert first.source_path == str(runs / "data" / "source" / "0001_1_00.jpg")
    assert (first.pid, first.source_camera, first.target) == (1, 1, "target")
    assert first.generator == "spgan-G@spgan"
    assert Image.open(out / "0001_1_00.jpg").size == (32, 64)  # the run's data.size (H, W) = (64, 32)
    header = (out / "manifest.csv").read_text().splitlines()[0]
    assert header.split(",") == list(MANIFEST_COLUMNS) == ["generated_path", "source_path", "pid",
                                                             "source_camera", "target", "generator"]
    assert read_manifest(out / "manifest.csv") == rows == read_manifest(out / "manifest.json")


def test_stargan_writes_one_copy_per_camera(runs, tmp_path):
    out = tmp_path / "trainval_camstyle"
    rows = generate(runs / "stargan", output_dir=out, device="cpu")
    inputs = sorted((runs / "data" / "cameras").glob("*.jpg"))
    files = sorted(out.glob("*.jpg"))
    assert len(files) == len(rows) == 3 * len(inputs)  # 3 cameras
    assert {p.name for p in files} == {f"{p.stem}_fake_{c}.jpg" for p in inputs for c in (1, 2, 3)}
    # a loader keyed on the (pid, cam, idx) prefix (Bias-Eliminate's regex) sees groups of 3
    groups = Counter(re.search(r"(\d+)_(\d+)_(\d+)", p.name).groups() for p in files)
    assert set(groups.values()) == {3} and len(groups) == len(inputs)
    row = next(r for r in rows if r.generated_path.endswith("0002_3_00_fake_1.jpg"))
    assert (row.pid, row.source_camera, row.target, row.generator) == (2, 3, "1", "stargan@stargan")
    assert read_manifest(out / "manifest.csv") == rows
    subset = generate(runs / "stargan", output_dir=tmp_path / "subset", cameras=[1, 3], device="cpu")
    assert len(subset) == 2 * len(inputs) and {r.target for r in subset} == {"1", "3"}
    with pytest.raises(ValueError, match="camera 7 is not one of the model's cameras"):
        generate(runs / "stargan", output_dir=tmp_path / "bad", cameras=[7], device="cpu")


def test_command_line_other_folder_direction_and_size(runs, tmp_path):
    other = tmp_path / "market"
    write_toy_folder(other, {4: SOURCE_STYLES[1]}, num_ids=2, per_camera=1, size=(72, 36))
    for p in other.glob("*.jpg"):  # Market-1501 style names: 0001_c4s1_000000_00.jpg
        pid, cam, idx = p.stem.split("_")
        p.rename(other / f"{pid}_c{cam}s1_0000{idx}_00.jpg")
    out = tmp_path / "market_to_source"
    rows = gan_generate.main([str(runs / "spgan"), "--input", str(other), "--output", str(out), "--direction",
                              "target_to_source", "--device", "cpu", "--resize-to-input",
                              r"name_regex=^(\d+)_c(\d+)", "pattern=*.jpg"])
    assert [(r.pid, r.source_camera, r.target, r.generator) for r in rows] == [
        (1, 4, "source", "spgan-F@spgan"), (2, 4, "source", "spgan-F@spgan")]
    assert Image.open(out / "0001_c4s1_000000_00.jpg").size == (36, 72)  # back to the input's own size
    with pytest.raises(ValueError, match="unknown input folder key"):
        gan_generate.main([str(runs / "spgan"), "regex=x"])


def test_a_run_without_checkpoint_is_refused(tmp_path, runs):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.py").write_text((runs / "spgan" / "config.py").read_text())
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        load_translator(tmp_path / "run")
