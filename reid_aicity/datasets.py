"""Loaders for the on-disk datasets of DMT: AI City 2021 Track 2 (CityFlowV2-ReID), its weakly
supervised crops (CVF2-C), the VehicleX simulation set, and VeRi-776.

Every loader returns lists of ``common.reid.dataset.ReIDItem`` ``(img_path, pid, camid, extra)``
checked by ``check_items`` (files exist, labels are integers), so a missing image or a malformed
label stops here with the file named. ``extra`` is the track ID (``track_files.NO_TRACK`` = -1 for
images outside any track, e.g. queries and synthetic images).

Layout (the official AIC21 release, as read by DMT's ``datasets/aic*.py``)::

    <root>/AIC21/AIC21_Track2_ReID/
        image_train/ image_query/ image_test/
        train_label.xml query_label.xml test_label.xml     (Item imageName / vehicleID / cameraID)
        train_track.txt test_track.txt                      (one track per line)
        training_part_seg/cropped_patch/image_train/        (CVF2-C: crops of image_train, same names)
        cropped_aic_test/image_query/ cropped_aic_test/image_test/   (crops for the augmentation test)
    <root>/AIC21/AIC21_Track2_ReID_Simulation/
        sys_image_train/ train_label.xml                    (VehicleX: vehicleID, cameraID, orientation)

The AIC21 query and test labels carry no ``vehicleID`` (the server holds the ground truth); when a
file has it (the synthetic data set, a Split-Test), it is read, else the pid is -1.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from common.reid.dataset import ReIDItem, check_items

from .label_xml import (LabelFileError, parse_camera_id, parse_vehicle_id, read_label_items)
from .track_files import NO_TRACK, image_to_track, read_track_file

AIC_DIR = "AIC21/AIC21_Track2_ReID"
SIM_DIR = "AIC21/AIC21_Track2_ReID_Simulation"

#: AI City label file, image folder and track file of each split.
AIC_SPLITS = {
    "train": ("train_label.xml", "image_train", "train_track.txt"),
    "query": ("query_label.xml", "image_query", None),
    "test": ("test_label.xml", "image_test", "test_track.txt"),
}


@dataclass
class ReIDSplits:
    """Training items (pids ``0..num_train_pids-1``), query and gallery items of one data set."""

    train: list[ReIDItem]
    query: list[ReIDItem]
    gallery: list[ReIDItem]
    name: str = ""
    train_tracks: list[list[str]] = field(default_factory=list)
    test_tracks: list[list[str]] = field(default_factory=list)

    @property
    def num_train_pids(self) -> int:
        return len({item.pid for item in self.train})


def load_aic_split(dataset_dir: str | Path, split: str, image_dir: str | Path | None = None
                   ) -> list[ReIDItem]:
    """Items of one AI City split in label-file order, with the original vehicle IDs.

    Args:
        dataset_dir: the ``AIC21_Track2_ReID`` folder.
        split: ``"train"``, ``"query"`` or ``"test"``.
        image_dir: read the images from this folder instead (same file names), e.g. the CVF2-C
            crops or the cropped test images of the augmentation test.

    Returns:
        ``ReIDItem(path, vehicleID or -1, camera, track ID or -1)``; junk training images (vehicleID
        -1) are kept with pid -1 (``relabel_training`` drops them).
    """
    if split not in AIC_SPLITS:
        raise ValueError(f"unknown AI City split '{split}': choose one of {', '.join(AIC_SPLITS)}")
    dataset_dir = Path(dataset_dir)
    label_name, folder, track_name = AIC_SPLITS[split]
    label_path = dataset_dir / label_name
    items_xml = read_label_items(label_path, required=("imageName", "cameraID"))
    track_of: dict[str, int] = {}
    if track_name is not None and (dataset_dir / track_name).is_file():
        track_of = image_to_track(read_track_file(dataset_dir / track_name))
    images = Path(image_dir) if image_dir is not None else dataset_dir / folder
    items = []
    for i, attrs in enumerate(items_xml):
        where = f"{label_path} Item {i}"
        pid = parse_vehicle_id(attrs["vehicleID"], where) if "vehicleID" in attrs else -1
        name = attrs["imageName"]
        items.append((str(images / name), pid, parse_camera_id(attrs["cameraID"], where),
                      track_of.get(name, NO_TRACK)))
    return check_items(items, name=f"AIC21 {split} ({label_path}, images in {images})")


def relabel_training(items: Sequence[ReIDItem], offset: int = 0) -> list[ReIDItem]:
    """Drop junk items (pid -1) and map the vehicle IDs to ``offset .. offset + C - 1`` in sorted order."""
    kept = [item for item in items if item.pid != -1]
    mapping = {pid: offset + i for i, pid in enumerate(sorted({item.pid for item in kept}))}
    return [item._replace(pid=mapping[item.pid]) for item in kept]


def load_aic21_track2(root: str | Path, aic_dir: str = AIC_DIR) -> ReIDSplits:
    """AI City 2021 Track 2: relabelled training set, queries and gallery (``image_test``).

    Raises:
        FileNotFoundError: the dataset folder, a label/track file or an image is missing.
        LabelFileError: a malformed label file (named).
    """
    dataset_dir = Path(root) / aic_dir
    if not dataset_dir.is_dir():
        raise FileNotFoundError(f"AI City Track 2 folder not found: {dataset_dir}. Set data.root to the "
                                f"folder holding {aic_dir} (python -m reid_aicity.make_synthetic writes a "
                                "synthetic one)")
    train = relabel_training(load_aic_split(dataset_dir, "train"))
    tracks = {name: read_track_file(dataset_dir / name) if (dataset_dir / name).is_file() else []
              for name in ("train_track.txt", "test_track.txt")}
    return ReIDSplits(train, load_aic_split(dataset_dir, "query"), load_aic_split(dataset_dir, "test"),
                      name="aic21_track2", train_tracks=tracks["train_track.txt"],
                      test_tracks=tracks["test_track.txt"])


@dataclass
class VehicleXSet:
    """VehicleX images (pids offset, extra = -1) and each image's orientation in degrees (NaN if unknown)."""

    items: list[ReIDItem]
    orientations: list[float]


_VEHICLEX_NAME = re.compile(r"^(\d{5})_c(\d{3})")


def load_vehiclex(sim_dir: str | Path, image_dir: str = "sys_image_train", pid_offset: int = 0,
                  label_file: str = "train_label.xml") -> VehicleXSet:
    """The VehicleX simulation set of AI City 2021, identities shifted by ``pid_offset``.

    With ``label_file`` present (it carries ``vehicleID``, ``cameraID`` and ``orientation``), items
    come from it; otherwise from the file names as in DMT's ``aic_sim.py``: ``pid = name[:5]``,
    ``camera = name[7:10]`` (``00001_c012_...jpg``), orientations unknown.

    DMT stacks the simulated identities after the real ones: ``pid_offset`` = number of real
    training identities.
    """
    sim_dir = Path(sim_dir)
    images = sim_dir / image_dir
    label_path = sim_dir / label_file
    raw: list[tuple[str, int, int]] = []
    orientations: list[float] = []
    if label_path.is_file():
        for i, attrs in enumerate(read_label_items(label_path, required=("imageName", "cameraID"))):
            where = f"{label_path} Item {i}"
            name = attrs["imageName"]
            pid = parse_vehicle_id(attrs["vehicleID"], where) if "vehicleID" in attrs else _name_pid(name, where)
            raw.append((name, pid, parse_camera_id(attrs["cameraID"], where)))
            orientations.append(_orientation(attrs.get("orientation"), where))
    else:
        if not images.is_dir():
            raise FileNotFoundError(f"VehicleX image folder not found: {images}")
        for name in sorted(os.listdir(images)):
            match = _VEHICLEX_NAME.match(name)
            if match is None:
                continue
            raw.append((name, int(match.group(1)), int(match.group(2))))
            orientations.append(float("nan"))
    if not raw:
        raise LabelFileError(f"no VehicleX image found in {label_path if label_path.is_file() else images}")
    mapping = {pid: pid_offset + i for i, pid in enumerate(sorted({pid for _, pid, _ in raw}))}
    items = [(str(images / name), mapping[pid], cam, NO_TRACK) for name, pid, cam in raw]
    return VehicleXSet(check_items(items, name=f"VehicleX ({images})"), orientations)


def _name_pid(name: str, where: str) -> int:
    match = _VEHICLEX_NAME.match(name)
    if match is None:
        raise LabelFileError(f"{where}: no vehicleID attribute and the name {name} is not 00001_c001_*")
    return int(match.group(1))


def _orientation(value: str | None, where: str) -> float:
    if value is None:
        return float("nan")
    try:
        return float(value)
    except ValueError:
        raise LabelFileError(f"{where}: orientation '{value}' is not a number") from None


_VERI_NAME = re.compile(r"^(\d+)_c(\d+)_")


def load_veri776(root: str | Path) -> ReIDSplits:
    """VeRi-776 (``image_train``, ``image_query``, ``image_test``; names ``0002_c002_00030600_0.jpg``).

    Training items come from ``train_label.xml`` (declared gb2312, decoded by ``label_xml``) when it
    exists, else from the training file names; queries and gallery from ``name_query.txt`` /
    ``name_test.txt`` (or the folders) and their file names; gallery tracks from ``test_track.txt``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"VeRi-776 folder not found: {root}")
    label_path = root / "train_label.xml"
    if label_path.is_file():
        train = []
        for i, attrs in enumerate(read_label_items(label_path, ("imageName", "vehicleID", "cameraID"))):
            where = f"{label_path} Item {i}"
            train.append((str(root / "image_train" / attrs["imageName"]),
                          parse_vehicle_id(attrs["vehicleID"], where), parse_camera_id(attrs["cameraID"], where),
                          NO_TRACK))
        train = check_items(train, name=f"VeRi-776 train ({label_path})")
    else:
        train = _veri_split(root, "train", {})
    track_path = next((root / n for n in ("test_track.txt", "test_track_VeRi.txt") if (root / n).is_file()), None)
    tracks = read_track_file(track_path) if track_path is not None else []
    track_of = image_to_track(tracks)
    return ReIDSplits(relabel_training(train), _veri_split(root, "query", {}), _veri_split(root, "test", track_of),
                      name="veri776", test_tracks=tracks)


def _veri_split(root: Path, split: str, track_of: dict[str, int]) -> list[ReIDItem]:
    folder = root / f"image_{split}"
    list_file = root / f"name_{split}.txt"
    if list_file.is_file():
        names = list_file.read_text().split()
    elif folder.is_dir():
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
    else:
        raise FileNotFoundError(f"VeRi-776: neither {list_file} nor {folder} exists")
    items = []
    for name in names:
        match = _VERI_NAME.match(name)
        if match is None:
            raise LabelFileError(f"{list_file if list_file.is_file() else folder}: image name {name} is not "
                                 "of the VeRi form 0002_c002_00030600_0.jpg")
        items.append((str(folder / name), int(match.group(1)), int(match.group(2)), track_of.get(name, NO_TRACK)))
    return check_items(items, name=f"VeRi-776 {split} ({folder})")
