"""Image folders of common.gan: the name rules, the camera file, the errors; and the toy person-like
image sets and tiny configs the other common.gan tests train on (``write_toy_sets``, ``tiny_config``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw, ImageFilter

from common.config import load_config
from common.gan.datasets import GANImageDataset, StepSampler, load_image
from common.gan.defaults import DEFAULTS
from common.gan.folders import ImageRecord, scan_image_folder

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "common" / "gan" / "configs"

#: Camera styles: per-channel gains, blur radius. "Source" cameras are neutral and sharp, "target" ones
#: warm and soft; the three StarGAN cameras differ in cast and sharpness.
SOURCE_STYLES = {1: ((1.0, 1.0, 1.0), 0.0), 2: ((0.95, 1.0, 1.05), 0.0)}
TARGET_STYLES = {1: ((1.25, 1.0, 0.6), 1.2), 2: ((1.2, 0.95, 0.65), 1.0)}
CAMERA_STYLES = {1: ((0.7, 0.9, 1.3), 0.0), 2: ((1.3, 1.0, 0.7), 0.0), 3: ((0.9, 1.25, 0.8), 1.2)}


def write_toy_folder(folder: Path, styles: dict, num_ids: int = 6, per_camera: int = 2, size=(64, 32),
                     seed: int = 0) -> list[Path]:
    """Procedural 'people' (a head, a shirt and trousers in identity colours on a textured background),
    one copy per camera in that camera's colour cast and blur, as ``{pid:04d}_{cam}_{idx:02d}.jpg``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    h, w = size
    paths = []
    for pid in range(1, num_ids + 1):
        shirt, trousers = (tuple(int(v) for v in rng.integers(40, 220, 3)) for _ in range(2))
        for cam, (gains, blur) in styles.items():
            for idx in range(per_camera):
                img = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(90, 170, 3)))
                draw = ImageDraw.Draw(img)
                for _ in range(4):  # background clutter
                    x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
                    draw.rectangle([x0, y0, x0 + 6, y0 + 4], fill=tuple(int(v) for v in rng.integers(60, 200, 3)))
                dx, dy = int(rng.integers(-3, 4)), int(rng.integers(-3, 4))
                draw.ellipse([w // 2 - 5 + dx, 3 + dy, w // 2 + 5 + dx, 13 + dy], fill=(210, 170, 140))
                draw.rectangle([w // 2 - 8 + dx, 14 + dy, w // 2 + 8 + dx, 36 + dy], fill=shirt)
                draw.rectangle([w // 2 - 7 + dx, 37 + dy, w // 2 + 7 + dx, h - 4 + dy], fill=trousers)
                arr = np.asarray(img, dtype=np.float32) * np.asarray(gains, dtype=np.float32)
                img = Image.fromarray(arr.clip(0, 255).astype(np.uint8))
                if blur:
                    img = img.filter(ImageFilter.GaussianBlur(blur))
                path = folder / f"{pid:04d}_{cam}_{idx:02d}.jpg"
                img.save(path, quality=95)
                paths.append(path)
    return paths


def write_toy_sets(root: Path, num_ids: int = 8, per_camera: int = 3) -> Path:
    """``root/source`` and ``root/target`` (two domains, 2 cameras each) and ``root/cameras`` (3 cameras)."""
    write_toy_folder(root / "source", SOURCE_STYLES, num_ids, per_camera, seed=0)
    write_toy_folder(root / "target", TARGET_STYLES, num_ids, per_camera, seed=1)
    write_toy_folder(root / "cameras", CAMERA_STYLES, num_ids, max(1, per_camera - 1), seed=2)
    return root


def tiny_config(method: str, data_root: Path, **overrides):
    """The tiny synthetic config of ``method`` reading the toy sets under ``data_root``."""
    folders = ({"data.source.root": str(data_root / "source"), "data.target.root": str(data_root / "target")}
               if method == "spgan" else {"data.train.root": str(data_root / "cameras")})
    return load_config(CONFIGS / f"{method}_tiny_synthetic.py", {**folders, **overrides}, DEFAULTS)


def test_scan_parses_pid_and_camera(tmp_path):
    write_toy_folder(tmp_path / "a", SOURCE_STYLES, num_ids=3, per_camera=2)
    records = scan_image_folder({"root": str(tmp_path / "a"), "pattern": "*.jpg",
                                 "name_regex": r"^(\d+)_(\d+)_(\d+)", "pid_group": 1, "camera_group": 2})
    assert len(records) == 3 * 2 * 2
    assert records[0] == ImageRecord(str(tmp_path / "a" / "0001_1_00.jpg"), 1, 1)
    assert {(r.pid, r.camera) for r in records} == {(p, c) for p in (1, 2, 3) for c in (1, 2)}


def test_camera_file_overrides_names(tmp_path):
    write_toy_folder(tmp_path / "a", {1: SOURCE_STYLES[1]}, num_ids=2, per_camera=1)
    (tmp_path / "cams.txt").write_text("# name camera\n0001_1_00.jpg 5\n0002_1_00.jpg,7\n")
    records = scan_image_folder({"root": str(tmp_path / "a"), "pattern": "*.jpg", "name_regex": None,
                                 "pid_group": None, "camera_group": None,
                                 "camera_file": str(tmp_path / "cams.txt")})
    assert [(r.pid, r.camera) for r in records] == [(-1, 5), (-1, 7)]
    (tmp_path / "cams.txt").write_text("0001_1_00.jpg 5\n")
    with pytest.raises(FileNotFoundError, match="0002_1_00.jpg is not listed in data.camera_file"):
        scan_image_folder({"root": str(tmp_path / "a"), "camera_file": str(tmp_path / "cams.txt")})


def test_folder_errors_name_the_key_and_file(tmp_path):
    with pytest.raises(ValueError, match=r"data.source.root is not set"):
        scan_image_folder({"root": None}, key="data.source")
    with pytest.raises(FileNotFoundError, match=r"data.source.root: folder not found: .*missing"):
        scan_image_folder({"root": str(tmp_path / "missing")}, key="data.source")
    write_toy_folder(tmp_path / "a", {1: SOURCE_STYLES[1]}, num_ids=2, per_camera=1)
    Image.new("RGB", (8, 16)).save(tmp_path / "a" / "thumbs.jpg")
    with pytest.raises(ValueError, match=r"data.target.name_regex .* does not match the file name of .*thumbs.jpg"):
        scan_image_folder({"root": str(tmp_path / "a"), "name_regex": r"^(\d+)_(\d+)_(\d+)", "pid_group": 1,
                           "camera_group": 2}, key="data.target")
    with pytest.raises(FileNotFoundError, match=r"no image file matches .*\*.png"):
        scan_image_folder({"root": str(tmp_path / "a"), "pattern": "*.png"})
    with pytest.raises(ValueError, match=r"camera_group=4 is not a group"):
        scan_image_folder({"root": str(tmp_path / "a"), "pattern": "0*.jpg", "name_regex": r"^(\d+)_(\d+)",
                           "pid_group": 1, "camera_group": 4})


def test_step_sampler_depends_only_on_the_step():
    whole = list(StepSampler(10, 3, 5, seed=1, salt=0, start=0, stop=8))
    tail = list(StepSampler(10, 3, 5, seed=1, salt=0, start=3, stop=8))
    assert whole[9:] == tail  # resuming at iteration 3 sees the same images and augmentation seeds
    first_epoch = [i for i, _ in whole[:15]]  # 5 iterations x 3 = 15 > 10 images: a second permutation
    assert sorted(first_epoch[:10]) == list(range(10))
    assert whole != list(StepSampler(10, 3, 5, seed=2, salt=0, start=0, stop=8))


def test_dataset_augmentation_is_seeded(tmp_path):
    paths = write_toy_folder(tmp_path / "a", {1: SOURCE_STYLES[1]}, num_ids=1, per_camera=1)
    ds = GANImageDataset([ImageRecord(str(paths[0]), 1, 1)], size=(64, 32), load_size=(72, 36), flip=True)
    a, b = ds[(0, 123)]["img"], ds[(0, 123)]["img"]
    assert a.shape == (3, 64, 32) and torch.equal(a, b)
    assert -1.0 <= float(a.min()) and float(a.max()) <= 1.0
    assert torch.allclose(ds[0]["img"], load_image(str(paths[0]), (64, 32)))
