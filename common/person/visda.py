"""Loaders of the VisDA-2020 challenge layout (``Simon4Yan/VisDA2020`` README and
``devkit/data/datasets/{personX,target_training,target_validation}.py``)::

    <root>/personX/image_train/0001_c3s1_24.jpg ...           source: PersonX, 700 ids, 6 cameras
    <root>/target_training/image_train/00001.jpg ...          target: unlabelled real images
    <root>/target_training/label_target_training.txt          "<image name> <camera>" per line
    <root>/target_validation/image_query/0001_c1s1_000017_02.jpg ...   Market-1501 names
    <root>/target_validation/image_gallery/0000_c1s1_001036_07.jpg ...
    <root>/target_test/image_query/0000.jpg ...               anonymous
    <root>/target_test/image_gallery/000000.jpg ...
    <root>/target_test/index_test_{query,gallery}.txt         optional: "<image name> <index>" lines

Cameras: PersonX and validation names carry 1-based ``c<n>``, made 0-based as the devkit does; the
target training label file's cameras are used as written. Junk images (pid -1) are dropped,
distractors (pid 0) kept. Target training and test images are unlabelled: pid -1 (the devkit uses 0
for target training; -1 is this code base's "unlabelled"). Test items are in submission order (the
line order of ``result.txt``) with the submission index as ``extra``.
"""
from __future__ import annotations

import re
from pathlib import Path

from common.reid.dataset import ReIDItem, check_items

from .datasets import PersonDataError, PersonSplits, image_names, market_style_items

PERSONX_DIR = "personX"
TARGET_TRAINING_DIR = "target_training"
TARGET_VALIDATION_DIR = "target_validation"
TARGET_TEST_DIR = "target_test"
TARGET_TRAINING_LABELS = "label_target_training.txt"
#: Index files of the test set (``VisDA2020/submit_test``): "<image name> <image index>" per line.
TEST_INDEX_FILES = {"query": "index_test_query.txt", "gallery": "index_test_gallery.txt"}
#: The devkit's PersonX pattern ``([-\d]+)_c(\d*)`` (an empty camera is reported as malformed).
PERSONX_NAME = re.compile(r"([-\d]+)_c(\d+)")
#: Largest camera numbers the devkit accepts (PersonX: 6 cameras numbered up to 12; validation: c1..c6).
PERSONX_MAX_CAMERA = 12
VALIDATION_MAX_CAMERA = 6


def _split_dir(root: str | Path, name: str) -> Path:
    folder = Path(root).expanduser() / name
    if not folder.is_dir():
        raise FileNotFoundError(f"VisDA-2020 folder not found: {folder}. Set the root to the folder holding "
                                f"{PERSONX_DIR}/, {TARGET_TRAINING_DIR}/, {TARGET_VALIDATION_DIR}/ "
                                "(python -m common.person.make_synthetic --layout visda writes a synthetic one)")
    return folder


def load_personx(root: str | Path) -> list[ReIDItem]:
    """PersonX source training items: pids relabelled to ``0..C-1``, cameras 0-based."""
    folder = _split_dir(root, PERSONX_DIR) / "image_train"
    return market_style_items(folder, PERSONX_MAX_CAMERA, train=True, name="PersonX train",
                              pattern=PERSONX_NAME)


def load_visda_target_training(root: str | Path) -> list[ReIDItem]:
    """Target training items in label-file order: ``(path, -1, camera as written)``."""
    folder = _split_dir(root, TARGET_TRAINING_DIR)
    label_path = folder / TARGET_TRAINING_LABELS
    if not label_path.is_file():
        raise FileNotFoundError(f"target training label file not found: {label_path}")
    items = []
    for line_no, line in enumerate(label_path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) < 2 or not fields[1].isdigit():
            raise PersonDataError(f"{label_path} line {line_no}: expected '<image name> <camera>', "
                                  f"got {line.strip()!r}")
        items.append((str(folder / "image_train" / fields[0]), -1, int(fields[1])))
    if not items:
        raise PersonDataError(f"{label_path} lists no image")
    return check_items(items, name=f"VisDA-2020 target training ({label_path})")


def load_visda_validation(root: str | Path) -> PersonSplits:
    """Target validation query and gallery (Market-1501 names); ``train`` is empty."""
    folder = _split_dir(root, TARGET_VALIDATION_DIR)
    return PersonSplits(
        train=[],
        query=market_style_items(folder / "image_query", VALIDATION_MAX_CAMERA, train=False,
                                 name="VisDA-2020 validation query"),
        gallery=market_style_items(folder / "image_gallery", VALIDATION_MAX_CAMERA, train=False,
                                   name="VisDA-2020 validation gallery"),
        name="visda2020_validation")


def _submission_order(image_dir: Path, index_path: Path) -> list[str]:
    """Image names of ``image_dir`` in submission order: by the index file when it exists, else by
    the numeric value of the names (``0000.jpg``, ``0001.jpg``, ...)."""
    names = image_names(image_dir)
    if not index_path.is_file():
        bad = next((n for n in names if not Path(n).stem.isdigit()), None)
        if bad is not None:
            raise PersonDataError(f"{image_dir / bad}: test images are named by their index (0000.jpg); "
                                  f"add {index_path.name} to give the order of other names")
        return sorted(names, key=lambda n: int(Path(n).stem))
    by_index: dict[int, str] = {}
    for line_no, line in enumerate(index_path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2 or not fields[-1].isdigit() or int(fields[-1]) in by_index:
            raise PersonDataError(f"{index_path} line {line_no}: expected '<image name> <image index>', "
                                  f"got {line.strip()!r}")
        by_index[int(fields[-1])] = fields[0]
    if sorted(by_index) != list(range(len(by_index))):
        raise PersonDataError(f"{index_path}: the indices are not 0..{len(by_index) - 1}")
    unlisted = sorted(set(names) - set(by_index.values()))
    if unlisted:
        raise PersonDataError(f"{index_path} does not list {len(unlisted)} image(s) of {image_dir}, "
                              f"e.g. {unlisted[0]}")
    return [by_index[i] for i in range(len(by_index))]


def load_visda_test(root: str | Path) -> PersonSplits:
    """Anonymous target test query and gallery: ``(path, -1, 0, submission index)`` in submission order;
    ``train`` is empty."""
    folder = _split_dir(root, TARGET_TEST_DIR)
    splits = {}
    for split, sub in (("query", "image_query"), ("gallery", "image_gallery")):
        names = _submission_order(folder / sub, folder / TEST_INDEX_FILES[split])
        splits[split] = check_items([(str(folder / sub / n), -1, 0, i) for i, n in enumerate(names)],
                                    name=f"VisDA-2020 test {split} ({folder / sub})")
    return PersonSplits(train=[], query=splits["query"], gallery=splits["gallery"], name="visda2020_test")
