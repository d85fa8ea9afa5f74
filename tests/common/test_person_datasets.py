"""Loaders of the real person ReID layouts on hand-made trees: Market-1501, DukeMTMC-reID, MSMT17, the
VisDA-2020 challenge folders and the Bias-Eliminate tree; errors name the file."""
from pathlib import Path

import pytest
from PIL import Image

from common.person import (PersonDataError, bias_eliminate_name, camstyle_copy_name, load_bias_eliminate_tree,
                           load_dukemtmc, load_market1501, load_msmt17, load_personx, load_visda_target_training,
                           load_visda_test, load_visda_validation)


def touch(folder: Path, names) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 8)).save(folder / name)


def _labels(items):
    return [(Path(it.img_path).name, it.pid, it.camid) for it in items]


# --------------------------------------------------------------------------- torchreid-style layouts
@pytest.fixture
def market(tmp_path):
    folder = tmp_path / "data" / "Market-1501-v15.09.15"
    touch(folder / "bounding_box_train", ["0007_c2s1_000151_01.jpg", "0002_c1s1_000451_03.jpg",
                                          "0007_c6s2_003413_02.jpg", "-1_c1s1_000401_03.jpg"])
    touch(folder / "query", ["0003_c1s1_000551_00.jpg"])
    touch(folder / "bounding_box_test", ["0003_c4s1_000600_02.jpg", "0000_c1s1_000700_05.jpg",
                                         "-1_c3s1_000800_01.jpg", "0003_c1s1_000552_01.jpg"])
    return folder


def test_market1501_conventions(market):
    splits = load_market1501(market.parent)  # the parent holding the standard folder name
    assert _labels(splits.train) == [("0002_c1s1_000451_03.jpg", 0, 0), ("0007_c2s1_000151_01.jpg", 1, 1),
                                     ("0007_c6s2_003413_02.jpg", 1, 5)]  # junk dropped, relabelled, 0-based
    assert _labels(splits.query) == [("0003_c1s1_000551_00.jpg", 3, 0)]
    assert _labels(splits.gallery) == [("0000_c1s1_000700_05.jpg", 0, 0),  # distractor kept
                                       ("0003_c1s1_000552_01.jpg", 3, 0), ("0003_c4s1_000600_02.jpg", 3, 3)]
    assert splits.num_train_pids == 2 and splits.name == "market1501"
    assert _labels(load_market1501(market).train) == _labels(splits.train)  # the data set folder itself


def test_market1501_errors_name_the_file(market, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Market-1501 not found: none of .*nowhere.*bounding_box_train"):
        load_market1501(tmp_path / "nowhere")
    touch(market / "query", ["0003_x1s1_000551_00.jpg"])
    with pytest.raises(PersonDataError, match=r"query/0003_x1s1_000551_00\.jpg: the name is not of the form"):
        load_market1501(market)
    (market / "query" / "0003_x1s1_000551_00.jpg").unlink()
    touch(market / "query", ["0003_c7s1_000551_00.jpg"])
    with pytest.raises(PersonDataError, match=r"0003_c7s1_000551_00\.jpg: camera c7 is outside c1\.\.c6"):
        load_market1501(market)


def test_dukemtmc_names_and_eight_cameras(tmp_path):
    folder = tmp_path / "dukemtmc-reid" / "DukeMTMC-reID"
    touch(folder / "bounding_box_train", ["0005_c2_f0046985.jpg", "0001_c8_f0001000.jpg"])
    touch(folder / "query", ["0011_c7_f0100000.jpg"])
    touch(folder / "bounding_box_test", ["0011_c3_f0100500.jpg"])
    splits = load_dukemtmc(tmp_path)
    assert _labels(splits.train) == [("0001_c8_f0001000.jpg", 0, 7), ("0005_c2_f0046985.jpg", 1, 1)]
    assert _labels(splits.gallery) == [("0011_c3_f0100500.jpg", 11, 2)]


def test_msmt17_lists(tmp_path):
    folder = tmp_path / "msmt17" / "MSMT17_V1"
    touch(folder / "train", ["0000/0000_000_01_0303morning_0015_0.jpg", "0001/0001_011_15_0303noon_0040_1.jpg"])
    touch(folder / "test", ["0002/0002_000_03_0303morning_0100_0.jpg", "0002/0002_004_07_0303noon_0200_0.jpg"])
    (folder / "list_train.txt").write_text("0000/0000_000_01_0303morning_0015_0.jpg 0\n")
    (folder / "list_val.txt").write_text("0001/0001_011_15_0303noon_0040_1.jpg 1\n")
    (folder / "list_query.txt").write_text("0002/0002_000_03_0303morning_0100_0.jpg 2\n")
    (folder / "list_gallery.txt").write_text("0002/0002_004_07_0303noon_0200_0.jpg 2\n")
    splits = load_msmt17(tmp_path)
    assert _labels(splits.train) == [("0000_000_01_0303morning_0015_0.jpg", 0, 0)]
    assert _labels(splits.query) == [("0002_000_03_0303morning_0100_0.jpg", 2, 2)]
    assert _labels(splits.gallery) == [("0002_004_07_0303noon_0200_0.jpg", 2, 6)]
    assert [it.camid for it in load_msmt17(folder, combine_val=True).train] == [0, 14]
    (folder / "list_query.txt").write_text("0002/0002_000_03_0303morning_0100_0.jpg\n")
    with pytest.raises(PersonDataError, match=r"list_query\.txt line 1: expected '<path> <label>'"):
        load_msmt17(tmp_path)


# --------------------------------------------------------------------------- VisDA-2020 layout
def test_personx_regex_and_relabelling(tmp_path):
    touch(tmp_path / "personX" / "image_train", ["0012_c3s1_24.jpg", "0003_c12s1_7.jpg", "0012_c1s1_25.jpg"])
    assert _labels(load_personx(tmp_path)) == [("0003_c12s1_7.jpg", 0, 11), ("0012_c1s1_25.jpg", 1, 0),
                                               ("0012_c3s1_24.jpg", 1, 2)]
    touch(tmp_path / "personX" / "image_train", ["0012_c0s1_26.jpg"])
    with pytest.raises(PersonDataError, match=r"0012_c0s1_26\.jpg: camera c0 is outside c1\.\.c12"):
        load_personx(tmp_path)


def test_target_training_label_file(tmp_path):
    folder = tmp_path / "target_training"
    touch(folder / "image_train", ["00001.jpg", "00011.jpg"])
    with pytest.raises(FileNotFoundError, match=r"label_target_training\.txt"):
        load_visda_target_training(tmp_path)
    (folder / "label_target_training.txt").write_text("00011.jpg 4\n00001.jpg 0\n")
    assert _labels(load_visda_target_training(tmp_path)) == [("00011.jpg", -1, 4), ("00001.jpg", -1, 0)]
    (folder / "label_target_training.txt").write_text("00011.jpg 4\n00001.jpg c0\n")
    with pytest.raises(PersonDataError, match=r"label_target_training\.txt line 2: expected '<image name> <camera>'"):
        load_visda_target_training(tmp_path)
    (folder / "label_target_training.txt").write_text("00011.jpg 4\n00002.jpg 0\n")
    with pytest.raises(FileNotFoundError, match=r"image_train/00002\.jpg"):
        load_visda_target_training(tmp_path)


def test_validation_market_names(tmp_path):
    folder = tmp_path / "target_validation"
    touch(folder / "image_query", ["0001_c1s1_000017_02.jpg"])
    touch(folder / "image_gallery", ["0000_c1s1_001036_07.jpg", "-1_c2s1_000001_01.jpg", "0001_c4s1_000918_04.jpg"])
    splits = load_visda_validation(tmp_path)
    assert splits.train == [] and _labels(splits.query) == [("0001_c1s1_000017_02.jpg", 1, 0)]
    assert _labels(splits.gallery) == [("0000_c1s1_001036_07.jpg", 0, 0), ("0001_c4s1_000918_04.jpg", 1, 3)]
    with pytest.raises(FileNotFoundError, match=r"VisDA-2020 folder not found: .*target_validation"):
        load_visda_validation(tmp_path / "elsewhere")


def test_test_set_submission_order(tmp_path):
    folder = tmp_path / "target_test"
    touch(folder / "image_query", ["0010.jpg", "0002.jpg", "0001.jpg"])
    touch(folder / "image_gallery", ["000000.jpg", "000001.jpg"])
    splits = load_visda_test(tmp_path)
    assert [(Path(it.img_path).name, it.pid, it.camid, it.extra) for it in splits.query] == [
        ("0001.jpg", -1, 0, 0), ("0002.jpg", -1, 0, 1), ("0010.jpg", -1, 0, 2)]  # numeric order
    (folder / "index_test_query.txt").write_text("0010.jpg  0000\n0001.jpg  0001\n0002.jpg  0002\n")
    assert [Path(it.img_path).name for it in load_visda_test(tmp_path).query] == ["0010.jpg", "0001.jpg", "0002.jpg"]
    (folder / "index_test_query.txt").write_text("0010.jpg  0000\n0001.jpg  0001\n")
    with pytest.raises(PersonDataError, match=r"index_test_query\.txt does not list 1 image\(s\).*0002\.jpg"):
        load_visda_test(tmp_path)
    (folder / "index_test_query.txt").write_text("0010.jpg  0000\n0001.jpg  0002\n0002.jpg  0003\n")
    with pytest.raises(PersonDataError, match=r"index_test_query\.txt: the indices are not 0\.\.2"):
        load_visda_test(tmp_path)
    (folder / "index_test_query.txt").unlink()
    touch(folder / "image_query", ["extra.jpg"])
    with pytest.raises(PersonDataError, match=r"extra\.jpg: test images are named by their index"):
        load_visda_test(tmp_path)


# --------------------------------------------------------------------------- Bias-Eliminate tree
def _bias_eliminate_tree(root: Path, copies: int = 6, base: str = "trainval") -> list[str]:
    train = [bias_eliminate_name(12, 3, 24), bias_eliminate_name(5, 1, 7, ext=".png"), bias_eliminate_name(12, 2, 30)]
    touch(root / base, train)
    touch(root / f"{base}_camstyle", [camstyle_copy_name(n, t) for n in train for t in range(1, copies + 1)])
    touch(root / "test_probe", [bias_eliminate_name(40, 1, 3)])
    touch(root / "test_gallery", [bias_eliminate_name(40, 2, 9), bias_eliminate_name(41, 1, 10)])
    return train


def test_bias_eliminate_tree_groups_and_labels(tmp_path):
    root = tmp_path / "2020_07_15"  # a digit_digit_digit folder: only the file names are parsed
    _bias_eliminate_tree(root)
    tree = load_bias_eliminate_tree(root, root)
    assert bias_eliminate_name(1, 3, 24) == "0001_3_000024.jpg"
    assert [(Path(it.img_path).name, it.pid, it.camid, it.extra) for it in tree.train] == [
        ("0005_1_000007.png", 0, 1, 7), ("0012_2_000030.jpg", 1, 2, 30), ("0012_3_000024.jpg", 1, 3, 24)]
    assert tree.label_to_pid == {0: 5, 1: 12} and tree.num_train_pids == 2
    assert len(tree.camstyle) == 18 and all(len(g) == 6 for g in tree.groups)
    for item, group in zip(tree.train, tree.groups):
        stem = Path(item.img_path).stem
        assert {Path(tree.camstyle[j].img_path).name for j in group} == {f"{stem}_fake_{t}.jpg" for t in range(1, 7)}
        assert all(tree.camstyle[j][1:] == item[1:] for j in group)  # label, camera and idx of the source
    assert [(it.pid, it.camid, it.extra) for it in tree.query] == [(40, 1, 3)]
    assert [(it.pid, it.camid, it.extra) for it in tree.gallery] == [(40, 2, 9), (41, 1, 10)]
    assert load_bias_eliminate_tree(eval_root=root).train == []


def test_bias_eliminate_tree_errors(tmp_path):
    train = _bias_eliminate_tree(tmp_path, copies=7)
    with pytest.raises(PersonDataError, match=r"CamStyle group \(5, 1, 7\) of .*0005_1_000007\.png has 7 image\(s\)"):
        load_bias_eliminate_tree(tmp_path)
    assert all(len(g) == 7 for g in load_bias_eliminate_tree(tmp_path, group_sizes=(7,)).groups)
    for path in (tmp_path / "trainval_camstyle").glob("0005_1_000007_fake_*"):
        path.unlink()
    with pytest.raises(PersonDataError, match=r"group \(5, 1, 7\) of .*0005_1_000007\.png has 0 image\(s\)"):
        load_bias_eliminate_tree(tmp_path, group_sizes=(7,))
    tree = load_bias_eliminate_tree(tmp_path, group_sizes=(7,), require_camstyle=False)
    assert [len(g) for g in tree.groups] == [0, 7, 7]
    touch(tmp_path / "trainval_camstyle", [camstyle_copy_name(bias_eliminate_name(99, 1, 1), 2)])
    with pytest.raises(PersonDataError, match=r"CamStyle image .*0099_1_000001_fake_2\.jpg: its key .* matches no"):
        load_bias_eliminate_tree(tmp_path, group_sizes=(7,), require_camstyle=False)
    touch(tmp_path / "trainval_spgan", train)
    with pytest.raises(FileNotFoundError, match=r"CamStyle folder not found: .*trainval_spgan_camstyle"):
        load_bias_eliminate_tree(tmp_path, transferred="spgan")
    assert len(load_bias_eliminate_tree(tmp_path, transferred="spgan", require_camstyle=False).train) == 3
    touch(tmp_path / "trainval_spgan", ["person.jpg"])
    with pytest.raises(PersonDataError, match=r"trainval_spgan/person\.jpg: no <pid>_<camera>_<idx>"):
        load_bias_eliminate_tree(tmp_path, transferred="spgan", require_camstyle=False)
    with pytest.raises(ValueError, match="must be >= 0"):
        bias_eliminate_name(-1, 1, 1)
