"""Loaders of the AI City layout, VehicleX and VeRi-776: checked item lists, errors naming the file."""
import shutil

import pytest
from PIL import Image

from reid_aicity.datasets import AIC_DIR, SIM_DIR, load_aic21_track2, load_vehiclex, load_veri776
from reid_aicity.label_xml import LabelFileError, write_label_xml
from reid_aicity.make_synthetic import SCALES

TINY = SCALES["tiny"]


def test_aic21_splits_tracks_and_labels(tiny_root):
    splits = load_aic21_track2(tiny_root)
    n_train = TINY.train_ids * TINY.cameras_per_id * TINY.frames_per_track
    assert len(splits.train) == n_train
    assert sorted({it.pid for it in splits.train}) == list(range(TINY.train_ids))
    # every training image belongs to a track of one camera and one identity
    by_track = {}
    for it in splits.train:
        by_track.setdefault(it.extra, set()).add((it.pid, it.camid))
    assert len(by_track) == TINY.train_ids * TINY.cameras_per_id
    assert all(len(v) == 1 for v in by_track.values())
    assert all(it.extra == -1 for it in splits.query)
    assert all(it.extra >= 0 for it in splits.gallery)
    assert len(splits.test_tracks) == len({it.extra for it in splits.gallery})


def _copy_layout(tiny_root, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(tiny_root / AIC_DIR, root / AIC_DIR)
    return root


def test_missing_image_names_the_file(tiny_root, tmp_path):
    root = _copy_layout(tiny_root, tmp_path)
    (root / AIC_DIR / "image_test" / "000002.jpg").unlink()
    message = r"AIC21 test .*1 image file\(s\) not found, e\.g\. .*image_test/000002\.jpg"
    with pytest.raises(FileNotFoundError, match=message):
        load_aic21_track2(root)


def test_malformed_label_file_names_the_file(tiny_root, tmp_path):
    root = _copy_layout(tiny_root, tmp_path)
    label = root / AIC_DIR / "query_label.xml"
    label.write_bytes(label.read_bytes()[:-40])  # truncated
    with pytest.raises(LabelFileError, match=r"query_label\.xml: malformed XML at line"):
        load_aic21_track2(root)
    with pytest.raises(FileNotFoundError, match="Set data.root"):
        load_aic21_track2(tmp_path / "nowhere")


def test_vehiclex_identity_offset_and_orientation(tiny_root):
    sim = load_vehiclex(tiny_root / SIM_DIR, pid_offset=TINY.train_ids)
    assert len(sim.items) == TINY.sim_ids * TINY.sim_images_per_id
    assert sorted({it.pid for it in sim.items}) == list(range(TINY.train_ids, TINY.train_ids + TINY.sim_ids))
    assert all(0 <= o < 360 for o in sim.orientations)


def test_vehiclex_from_file_names_without_labels(tmp_path):
    images = tmp_path / "sim" / "sys_image_train"
    images.mkdir(parents=True)
    for name in ("00012_c003_00000.jpg", "00012_c004_00001.jpg", "00030_c001_00000.jpg"):
        Image.new("RGB", (8, 8)).save(images / name)
    sim = load_vehiclex(tmp_path / "sim", pid_offset=5)
    assert [(it.pid, it.camid) for it in sim.items] == [(5, 3), (5, 4), (6, 1)]


def test_veri776_with_gb2312_labels_and_tracks(tmp_path):
    root = tmp_path / "VeRi"
    names = {"train": ["0001_c001_00016450_0.jpg", "0001_c002_00016460_0.jpg", "0003_c001_00020000_0.jpg"],
             "query": ["0002_c002_00030600_0.jpg"], "test": ["0002_c003_00030605_1.jpg", "0002_c003_00030610_1.jpg"]}
    for split, files in names.items():
        (root / f"image_{split}").mkdir(parents=True)
        for name in files:
            Image.new("RGB", (8, 8)).save(root / f"image_{split}" / name)
        (root / f"name_{split}.txt").write_text("\n".join(files) + "\n")
    write_label_xml(root / "train_label.xml",
                    [{"imageName": n, "vehicleID": n[:4], "cameraID": n[5:9], "colorID": "1"} for n in names["train"]],
                    "TrainingImages", encoding="gb2312")
    (root / "test_track.txt").write_text("0002_c003_t1 " + " ".join(names["test"]) + "\n")
    veri = load_veri776(root)
    assert [(it.pid, it.camid) for it in veri.train] == [(0, 1), (0, 2), (1, 1)]
    assert [(it.pid, it.camid, it.extra) for it in veri.gallery] == [(2, 3, 0), (2, 3, 0)]
    assert veri.query[0].pid == 2 and veri.query[0].extra == -1
