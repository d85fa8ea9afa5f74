"""The checked ReID dataset, its augmentations and its batches."""
import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from common.reid.dataset import ReIDDataset, check_items, relabel
from common.reid.sampler import IdentitySampler
from common.reid.transforms import build_test_transform, build_train_transform


def _write_images(folder, n, size=(20, 40)):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = folder / f"{i:04d}_c{i % 3}.png"
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_dataset_returns_checked_samples(tmp_path):
    paths = _write_images(tmp_path, 4)
    items = [(p.name, i // 2, i % 3, f"track{i}") for i, p in enumerate(paths)]
    dataset = ReIDDataset(items, build_test_transform((64, 32)), root=tmp_path, num_classes=2)
    sample = dataset[3]
    assert sample["img"].shape == (3, 64, 32) and sample["img"].dtype == torch.float32
    assert 0.0 <= sample["img"].min() and sample["img"].max() <= 1.0
    assert (sample["pid"], sample["camid"], sample["index"], sample["extra"]) == (1, 0, 3, "track3")
    assert sample["path"] == str(paths[3])
    assert dataset.pids == [0, 0, 1, 1] and dataset.num_pids == 2
    batch = next(iter(DataLoader(dataset, batch_size=4)))
    assert batch["img"].shape == (4, 3, 64, 32) and batch["pid"].tolist() == [0, 0, 1, 1]
    assert batch["extra"] == ["track0", "track1", "track2", "track3"]


def test_missing_file_and_bad_labels_name_the_file(tmp_path):
    (good,) = _write_images(tmp_path, 1)
    with pytest.raises(FileNotFoundError, match=r"1 image file\(s\) not found, e.g. .*0007_c1.jpg"):
        check_items([(str(good), 0, 0), (str(tmp_path / "0007_c1.jpg"), 1, 1)])
    with pytest.raises(ValueError, match=r"item 0 \(.*0000_c0.png\): pid 5 is outside \[0, 3\)"):
        check_items([(str(good), 5, 0)], num_classes=3)
    with pytest.raises(ValueError, match="pid must be an integer"):
        check_items([(str(good), "5", 0)])
    with pytest.raises(ValueError, match="camid must be an integer >= 0"):
        check_items([(str(good), 1, -2)])
    with pytest.raises(ValueError, match=r"must be \(img_path, pid, camid\[, extra\]\)"):
        check_items([(str(good), 1)])
    with pytest.raises(ValueError, match="every item has an extra label or none"):
        check_items([(str(good), 1, 0, 7), (str(good), 1, 0)])
    assert check_items([(str(good), -1, 0)])[0].pid == -1  # unlabelled images are allowed


def test_unreadable_image_is_named(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image")
    dataset = ReIDDataset([(str(bad), 0, 0)])
    with pytest.raises(OSError, match="cannot read image .*broken.jpg"):
        dataset[0]


def test_relabel_maps_pids_to_a_contiguous_range():
    items = [("a", 17, 0), ("b", 3, 1), ("c", 17, 2), ("d", -1, 0)]
    relabelled, mapping = relabel(items)
    assert mapping == {3: 0, 17: 1}
    assert [item[1] for item in relabelled] == [1, 0, 1, -1]


def test_train_transform_flips_and_erases_like_its_parts():
    img = Image.fromarray(np.random.default_rng(1).integers(0, 255, (40, 20, 3), dtype=np.uint8))
    test = build_test_transform((64, 32))(img)
    flipped = build_train_transform((64, 32), flip_prob=1.0, padding=0, erasing_prob=0.0)(img)
    assert torch.allclose(flipped, test.flip(-1))
    torch.manual_seed(0)
    erased = build_train_transform((64, 32), flip_prob=0.0, padding=0, erasing_prob=1.0,
                                   erasing_value=(0.25, 0.5, 0.75))(img)
    changed = (erased != test).any(dim=0)
    assert 0 < changed.sum() < changed.numel()
    assert torch.allclose(erased[:, changed], torch.tensor([0.25, 0.5, 0.75])[:, None])
    padded = build_train_transform((64, 32), flip_prob=0.0, padding=10, erasing_prob=0.0)
    assert padded(img).shape == (3, 64, 32)
    recrop = build_train_transform(48, resized_crop_scale=(0.75, 1.0))
    assert recrop(img).shape == (3, 48, 48)


def test_identity_sampler_drives_a_dataloader(tmp_path):
    paths = _write_images(tmp_path, 12)
    dataset = ReIDDataset([(str(p), i % 4, 0) for i, p in enumerate(paths)], build_test_transform((32, 16)))
    loader = DataLoader(dataset, batch_sampler=IdentitySampler(dataset.pids, 2, 3))
    batches = list(loader)
    assert len(batches) == 2
    for batch in batches:
        assert batch["img"].shape == (6, 3, 32, 16)
        assert sorted(np.unique(batch["pid"].numpy(), return_counts=True)[1]) == [3, 3]
