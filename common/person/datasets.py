"""Loaders of the standard person ReID layouts: Market-1501, DukeMTMC-reID and MSMT17.

Each returns a ``PersonSplits`` of ``common.reid.dataset.ReIDItem`` lists checked by ``check_items``
(every file exists, labels are integers), following torchreid's conventions
(``torchreid/data/datasets/image/{market1501,dukemtmcreid,msmt17}.py``):

* Market-1501 / DukeMTMC-reID names are ``{pid}_c{cam}s{seq}_{frame}_{bbox}.jpg`` (Duke:
  ``{pid}_c{cam}_f{frame}.jpg``), parsed by ``([-\\d]+)_c(\\d+)``; junk images (pid ``-1``) are dropped
  everywhere, distractors (pid ``0``) are kept in the gallery; cameras become 0-based;
* MSMT17 lists ``list_{train,val,query,gallery}.txt`` hold ``"<relative path> <label>"`` lines, the
  camera is the third ``_`` field of the file name (``0000_000_01_0303morning_0015_0.jpg`` -> 0);
* training pids are mapped to ``0..C-1`` in sorted order (``common.reid.dataset.relabel``).

Unlike torchreid, names are parsed from the file name only (not the whole path) and files are read in
sorted order, so that a run does not depend on the file system's listing order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from common.reid.dataset import ReIDItem, check_items, relabel

#: torchreid's Market-1501 / DukeMTMC-reID pattern (camera digits widened to ``\d+``), matched at the
#: start of the file name.
MARKET_NAME = re.compile(r"([-\d]+)_c(\d+)")
#: Image file extensions of the torchreid-style layouts.
JPG = (".jpg",)


class PersonDataError(ValueError):
    """A person ReID data set on disk does not follow its format (the message names the file)."""


@dataclass
class PersonSplits:
    """Training items (pids ``0..num_train_pids-1``), query and gallery items of one data set.

    ``train`` is empty for evaluation-only sets (VisDA-2020 validation and test).
    """

    train: list[ReIDItem]
    query: list[ReIDItem]
    gallery: list[ReIDItem]
    name: str = ""

    @property
    def num_train_pids(self) -> int:
        return len({item.pid for item in self.train})


def image_names(folder: str | Path, extensions: Sequence[str] = JPG) -> list[str]:
    """Sorted names of the image files directly in ``folder`` with one of ``extensions``.

    Raises:
        FileNotFoundError: ``folder`` does not exist.
        PersonDataError: it holds no such image.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder not found: {folder}")
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in tuple(extensions) and p.is_file())
    if not names:
        raise PersonDataError(f"no {'/'.join(extensions)} image in {folder}")
    return names


def parse_market_name(name: str, folder: Path, num_cameras: int, pattern: re.Pattern = MARKET_NAME
                      ) -> tuple[int, int]:
    """``(pid, 1-based camera)`` of a Market-style file name; the camera must lie in ``1..num_cameras``."""
    match = pattern.match(name)
    if match is None or not re.fullmatch(r"-?\d+", match.group(1)):
        raise PersonDataError(f"{folder / name}: the name is not of the form <pid>_c<camera>... "
                              "(e.g. 0002_c1s1_000451_03.jpg)")
    pid, cam = int(match.group(1)), int(match.group(2))
    if not 1 <= cam <= num_cameras:
        raise PersonDataError(f"{folder / name}: camera c{cam} is outside c1..c{num_cameras} of this data set")
    return pid, cam


def market_style_items(folder: Path, num_cameras: int, *, train: bool, name: str,
                       pattern: re.Pattern = MARKET_NAME) -> list[ReIDItem]:
    """Items of one folder of Market-style names: junk (pid -1) dropped, camera made 0-based,
    pids relabelled to ``0..C-1`` when ``train``."""
    items = []
    for file_name in image_names(folder):
        pid, cam = parse_market_name(file_name, folder, num_cameras, pattern)
        if pid != -1:
            items.append((str(folder / file_name), pid, cam - 1))
    if train:
        items, _ = relabel(items)
    return check_items(items, name=f"{name} ({folder})")


def find_dataset_dir(root: str | Path, candidates: Sequence[str], marker: str, dataset: str) -> Path:
    """The first of ``root`` and ``root/<candidate>`` that holds ``marker``.

    Raises:
        FileNotFoundError: none does; the message lists the folders tried.
    """
    root = Path(root).expanduser()
    tried = [root, *(root / c for c in candidates)]
    for folder in tried:
        if (folder / marker).exists():
            return folder
    raise FileNotFoundError(f"{dataset} not found: none of {', '.join(str(t) for t in tried)} holds {marker}. "
                            f"Point the root at the {dataset} folder or at its parent.")


MARKET_DIRS = ("Market-1501-v15.09.15", "market1501", "market1501/Market-1501-v15.09.15")
DUKE_DIRS = ("DukeMTMC-reID", "dukemtmc-reid/DukeMTMC-reID", "dukemtmc-reid")


def _load_market_layout(root: str | Path, candidates: Sequence[str], num_cameras: int, dataset: str,
                        key: str) -> PersonSplits:
    folder = find_dataset_dir(root, candidates, "bounding_box_train", dataset)
    return PersonSplits(
        train=market_style_items(folder / "bounding_box_train", num_cameras, train=True, name=f"{dataset} train"),
        query=market_style_items(folder / "query", num_cameras, train=False, name=f"{dataset} query"),
        gallery=market_style_items(folder / "bounding_box_test", num_cameras, train=False,
                                   name=f"{dataset} gallery"),
        name=key)


def load_market1501(root: str | Path) -> PersonSplits:
    """Market-1501 (``bounding_box_train``, ``query``, ``bounding_box_test``; cameras c1..c6).

    ``root`` is the data set folder or a parent holding ``Market-1501-v15.09.15``, ``market1501`` or
    ``market1501/Market-1501-v15.09.15``.
    """
    return _load_market_layout(root, MARKET_DIRS, 6, "Market-1501", "market1501")


def load_dukemtmc(root: str | Path) -> PersonSplits:
    """DukeMTMC-reID (``bounding_box_train``, ``query``, ``bounding_box_test``; cameras c1..c8).

    ``root`` is the data set folder or a parent holding ``DukeMTMC-reID`` or ``dukemtmc-reid/DukeMTMC-reID``.
    """
    return _load_market_layout(root, DUKE_DIRS, 8, "DukeMTMC-reID", "dukemtmc")


#: MSMT17 versions: folder -> (training image folder, test image folder) (torchreid's ``VERSION_DICT``).
MSMT17_VERSIONS = {"MSMT17_V1": ("train", "test"), "MSMT17_V2": ("mask_train_v2", "mask_test_v2")}
MSMT17_CAMERAS = 15


def _msmt17_items(list_path: Path, image_dir: Path, name: str) -> list[ReIDItem]:
    if not list_path.is_file():
        raise FileNotFoundError(f"MSMT17 list file not found: {list_path}")
    items = []
    for line_no, line in enumerate(list_path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rel_path, label = line.split()
            pid, cam = int(label), int(Path(rel_path).name.split("_")[2])
        except (IndexError, ValueError):
            raise PersonDataError(f"{list_path} line {line_no}: expected '<path> <label>' with a file name "
                                  f"like 0000_000_01_0303morning_0015_0.jpg, got {line.strip()!r}") from None
        if not 1 <= cam <= MSMT17_CAMERAS:
            raise PersonDataError(f"{list_path} line {line_no}: camera {cam} of {rel_path} is outside "
                                  f"1..{MSMT17_CAMERAS}")
        items.append((str(image_dir / rel_path), pid, cam - 1))
    return check_items(items, name=f"{name} ({list_path})")


def _msmt17_folder(root: Path) -> tuple[Path, str, str]:
    """The version folder under ``root`` and its training and test image folder names."""
    candidates = [root, *(parent / version for parent in (root, root / "msmt17") for version in MSMT17_VERSIONS)]
    for folder in candidates:
        if folder.name in MSMT17_VERSIONS and folder.is_dir():
            return folder, *MSMT17_VERSIONS[folder.name]
    raise FileNotFoundError(f"MSMT17 not found: none of {', '.join(str(c) for c in candidates)} exists. Point "
                            f"the root at the {' or '.join(MSMT17_VERSIONS)} folder or at its parent.")


def load_msmt17(root: str | Path, combine_val: bool = False) -> PersonSplits:
    """MSMT17 (V1 or V2) from its list files; training labels are used as written (already ``0..C-1``).

    Args:
        root: the ``MSMT17_V1``/``MSMT17_V2`` folder, or a parent holding it directly or in ``msmt17/``.
        combine_val: add the ``list_val.txt`` images to the training set (torchreid's ``combineall``).
    """
    folder, train_dir, test_dir = _msmt17_folder(Path(root).expanduser())
    train = _msmt17_items(folder / "list_train.txt", folder / train_dir, "MSMT17 train")
    if combine_val:
        train += _msmt17_items(folder / "list_val.txt", folder / train_dir, "MSMT17 val")
    return PersonSplits(train=train,
                        query=_msmt17_items(folder / "list_query.txt", folder / test_dir, "MSMT17 query"),
                        gallery=_msmt17_items(folder / "list_gallery.txt", folder / test_dir, "MSMT17 gallery"),
                        name="msmt17")


#: The person data sets by name (``python -m <pipeline>.evaluate --split NAME``; each takes the data set
#: folder or a parent of it).
PERSON_DATASETS = {"market1501": load_market1501, "dukemtmc": load_dukemtmc, "msmt17": load_msmt17}
