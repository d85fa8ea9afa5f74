"""Folder pairs as retrieval sets (labels from <id>_c<camera> names, or none) and the saved features with their
index."""
import csv

import numpy as np
import pytest
from PIL import Image

from common.reid.dataset import ReIDItem
from common.reid.evaluation_files import folder_items, save_features


def _images(folder, names):
    folder.mkdir()
    for name in names:
        Image.new("RGB", (8, 16)).save(folder / name)


def test_folder_items_read_labels_only_when_every_name_has_them(tmp_path):
    _images(tmp_path / "veri", ["0002_c002_00030600_0.jpg", "0010_c014_00000001_1.jpg"])
    (tmp_path / "veri" / "notes.txt").write_text("not an image")
    assert [(it.pid, it.camid) for it in folder_items(tmp_path / "veri", "q")] == [(2, 2), (10, 14)]
    _images(tmp_path / "mixed", ["0002_c1s1_000451_03.jpg", "holiday.png"])
    assert [(it.pid, it.camid) for it in folder_items(tmp_path / "mixed", "g")] == [(-1, 0)] * 2
    with pytest.raises(FileNotFoundError, match="data.folders.query: folder not found"):
        folder_items(tmp_path / "none", "data.folders.query")


def test_save_features_with_an_index(tmp_path):
    query = [ReIDItem("q.jpg", 3, 1)]
    gallery = [ReIDItem("a.jpg", 3, 2), ReIDItem("b.jpg", -1, 0)]
    features = np.arange(6, dtype=np.float64).reshape(3, 2)
    save_features(tmp_path, query, gallery, features, tracks=[7, -1])
    np.testing.assert_array_equal(np.load(tmp_path / "features.npy"), features.astype(np.float32))
    rows = list(csv.DictReader((tmp_path / "features_index.csv").open()))
    assert [(r["split"], r["path"], r["pid"], r["track"]) for r in rows] == [
        ("query", "q.jpg", "3", "-1"), ("gallery", "a.jpg", "3", "7"), ("gallery", "b.jpg", "-1", "-1")]
    with pytest.raises(ValueError, match="2 feature rows for 1 queries and 2 gallery images"):
        save_features(tmp_path, query, gallery, features[:2])
