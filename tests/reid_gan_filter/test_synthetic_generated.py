"""The synthetic generated set: the real set is common.person's Market-1501 set, every class is what it says
(near-copies are pixel-close to their source, good and identity-breaking images are drawn in another camera,
identity-breaking images wear another training identity's clothes), manifest and ground truth agree, the
command line writes it."""
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

from common.gan.manifest import read_manifest
from common.person import load_market1501
from common.person.make_synthetic import write_market1501
from common.person.synthetic import TARGET_PALETTE, sample_identities
from reid_gan_filter.ground_truth import read_ground_truth
from reid_gan_filter.make_synthetic import main
from reid_gan_filter.synthetic_generated import (BODY_PARTS, GARMENTS, GENERATED_DIR, GENERATORS, GROUND_TRUTH_FILE,
                                                 SCALES, mix_identity, near_copy)

TEST = SCALES["test"]


def _pixels(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


def test_classes_are_what_they_say(synthetic_root):
    rows = read_manifest(synthetic_root / GENERATED_DIR / "manifest.csv")
    truth = read_ground_truth(synthetic_root / GENERATED_DIR / GROUND_TRUTH_FILE)
    assert [truth[r.generated_path] for r in rows] == [r.generator.removeprefix("synthetic-") for r in rows]
    train = load_market1501(synthetic_root).train
    assert len(rows) == TEST.per_source * len(train)
    counts = Counter(r.generator for r in rows)
    for quality, p in zip(("good", "copy", "break"), TEST.class_probs):
        assert abs(counts[GENERATORS[quality]] / len(rows) - p) < 0.1
    differences = {quality: [] for quality in GENERATORS}
    for r in rows:
        quality = r.generator.removeprefix("synthetic-")
        assert Path(r.generated_path).name.startswith(Path(r.source_path).stem + "_gen")
        assert (r.target == str(r.source_camera)) == (quality == "copy")  # good and break: another camera
        differences[quality].append(np.abs(_pixels(r.generated_path) - _pixels(r.source_path)).mean())
    assert max(differences["copy"]) < 4 and min(differences["copy"]) > 0  # imperceptible, not identical
    assert min(differences["good"]) > 10 and min(differences["break"]) > 10


def test_identity_breaking_takes_another_persons_clothes():
    person, donor = sample_identities(2, TARGET_PALETTE, np.random.default_rng(0))
    colours = mix_identity(person, donor, parts=False)
    assert all(getattr(colours, k) == getattr(donor, k) for k in GARMENTS)
    assert all(getattr(colours, k) == getattr(person, k) for k in BODY_PARTS + ("skin", "height", "build"))
    parts = mix_identity(person, donor, parts=True)
    assert all(getattr(parts, k) == getattr(donor, k) for k in GARMENTS + BODY_PARTS)
    assert (parts.skin, parts.height, parts.build) == (person.skin, person.height, person.build)


def test_near_copy_is_small_noise():
    image = Image.fromarray(np.full((64, 32, 3), 120, dtype=np.uint8))
    copy = np.asarray(near_copy(image, np.random.default_rng(0), noise=2.0, gain=0.02), dtype=np.float64)
    assert abs(copy.mean() - 120) <= 120 * 0.02 + 0.5 and 1.0 < copy.std() < 3.0


def test_shots_behind_the_market_files(tmp_path):
    shots = write_market1501(tmp_path, TEST.market)
    splits = load_market1501(tmp_path)
    assert sorted(shots.train) == sorted(Path(it.img_path).name for it in splits.train)
    for name, shot in shots.train.items():
        assert name.startswith(f"{shot.pid:04d}_c{shot.camera.camera_id + 1}s1_")
    assert {s.camera.camera_id for s in shots.train.values()} <= {c.camera_id for c in shots.cameras}


def test_command_line(tmp_path, capsys):
    images = main(["--root", str(tmp_path), "--scale", "test", "--seed", "3", "--size", "32x16"])
    assert "generated images" in capsys.readouterr().out
    assert Image.open(images[0].row.generated_path).size == (16, 32)
    assert len(read_manifest(tmp_path / GENERATED_DIR / "manifest.json")) == len(images)
