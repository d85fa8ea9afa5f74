"""The synthetic data set: AI City layout, disjoint identities, tracks, test-only cameras, crops."""
import json

import numpy as np
from PIL import Image

from reid_aicity.datasets import AIC_DIR, SIM_DIR, load_aic21_track2, load_vehiclex
from reid_aicity.make_synthetic import NEW_CAMERA_BASE, SCALES
from reid_aicity.synthetic_vehicles import render, sample_camera, sample_identities

TINY = SCALES["tiny"]


def test_layout_and_declared_encoding(tiny_root):
    aic = tiny_root / AIC_DIR
    for name in ("train_label.xml", "query_label.xml", "test_label.xml", "train_track.txt", "test_track.txt",
                 "detections/train_detections.json", "detections/test_images.json"):
        assert (aic / name).is_file(), name
    assert (aic / "train_label.xml").read_bytes().startswith(b'<?xml version="1.0" encoding="gb2312"?>')
    assert (tiny_root / SIM_DIR / "train_label.xml").is_file()
    for split, folder in (("train", "training_part_seg/cropped_patch/image_train"),
                          ("query", "cropped_aic_test/image_query"), ("test", "cropped_aic_test/image_test")):
        names = sorted(p.name for p in (aic / f"image_{split}").iterdir())
        assert sorted(p.name for p in (aic / folder).iterdir()) == names
    image = Image.open(aic / "image_train" / "000001.jpg")
    assert image.size == (TINY.image_size, TINY.image_size)
    crop = Image.open(aic / "training_part_seg/cropped_patch/image_train/000001.jpg")
    assert crop.size[0] * crop.size[1] < image.size[0] * image.size[1]  # the detector box is tighter


def test_identities_cameras_and_tracks(tiny_root):
    splits = load_aic21_track2(tiny_root)
    sim = load_vehiclex(tiny_root / SIM_DIR)
    from reid_aicity.label_xml import read_label_items
    train_ids = {int(i["vehicleID"]) for i in read_label_items(tiny_root / AIC_DIR / "train_label.xml")}
    test_ids = {it.pid for it in splits.gallery}
    assert not train_ids & test_ids
    assert len(test_ids) == TINY.test_ids_old + TINY.test_ids_new
    train_cams = {it.camid for it in splits.train}
    new_cams = {it.camid for it in splits.gallery} - train_cams
    assert new_cams and min(new_cams) >= NEW_CAMERA_BASE and max(train_cams) < NEW_CAMERA_BASE
    # a vehicle of the new cameras is never seen by an old one (AI City's new scene)
    for pid in test_ids:
        cams = {it.camid for it in splits.gallery if it.pid == pid}
        assert len({c >= NEW_CAMERA_BASE for c in cams}) == 1
    # every gallery track: one identity, one camera, frames_per_track images; queries match a gallery id
    tracks = {}
    for it in splits.gallery:
        tracks.setdefault(it.extra, []).append((it.pid, it.camid))
    assert all(len(v) == TINY.frames_per_track and len(set(v)) == 1 for v in tracks.values())
    assert {it.pid for it in splits.query} <= test_ids
    assert len(sim.items) == TINY.sim_ids * TINY.sim_images_per_id
    boxes = json.loads((tiny_root / AIC_DIR / "detections" / "train_detections.json").read_text())
    assert {b["image_id"] for b in boxes} == set(range(1, len(splits.train) + 1))


def test_renderer_is_deterministic_and_cameras_change_the_colours():
    """Identities differ in their drawing; one RNG state gives one image; a camera's colour cast shows
    in the mean colour of the same vehicle; the vehicle box lies inside the image."""
    rng = np.random.default_rng(0)
    a, b = sample_identities(2, rng)
    assert (a.body_type, a.body_colour, a.marking, a.marking_colour) != (b.body_type, b.body_colour, b.marking,
                                                                          b.marking_colour)
    cam1, cam2 = sample_camera(1, rng, cast=0.3), sample_camera(2, rng, cast=0.3)
    img1, box = render(a, cam1, 90.0, np.random.default_rng(1))
    img1_again, _ = render(a, cam1, 90.0, np.random.default_rng(1))
    assert np.array_equal(np.asarray(img1), np.asarray(img1_again))
    img2, _ = render(a, cam2, 90.0, np.random.default_rng(1))
    assert np.abs(np.asarray(img1, float).mean((0, 1)) - np.asarray(img2, float).mean((0, 1))).max() > 3
    x, y, w, h = box
    assert 0 <= x and 0 <= y and x + w <= 64 and y + h <= 64 and w > 20
