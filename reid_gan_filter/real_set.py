"""The real training set that generated images come from, with the pids written in its file names.

A GAN manifest (``common.gan.manifest``) names each generated image's source file and that file's pid as
its name gives it, so the real set is read here without relabelling (``common.person.load_market1501``
maps training pids to ``0..C-1``). Cameras are 0-based, as everywhere in ``common.reid``; junk images
(pid -1) are dropped.
"""
from __future__ import annotations

from pathlib import Path

from common.person.datasets import DUKE_DIRS, MARKET_DIRS, find_dataset_dir, market_style_items
from common.reid.dataset import ReIDItem

#: Layouts of the real set: the folders a root may hold, the number of cameras and the name in messages.
REAL_LAYOUTS = {"market1501": (MARKET_DIRS, 6, "Market-1501"), "dukemtmc": (DUKE_DIRS, 8, "DukeMTMC-reID")}
TRAIN_FOLDER = "bounding_box_train"


def real_training_folder(root: str | Path, layout: str = "market1501") -> Path:
    """The training image folder (``bounding_box_train``) of the data set at or under ``root``."""
    if layout not in REAL_LAYOUTS:
        raise ValueError(f"unknown real-set layout '{layout}': choose one of {', '.join(REAL_LAYOUTS)}")
    candidates, _, name = REAL_LAYOUTS[layout]
    return find_dataset_dir(root, candidates, TRAIN_FOLDER, name) / TRAIN_FOLDER


def load_real_training_set(root: str | Path, layout: str = "market1501") -> list[ReIDItem]:
    """The real training images (sorted by name) with the pids of their file names and 0-based cameras.

    Raises:
        FileNotFoundError: no data set at or under ``root``.
        common.person.PersonDataError: a file name that does not follow the layout.
    """
    folder = real_training_folder(root, layout)
    _, num_cameras, name = REAL_LAYOUTS[layout]
    return market_style_items(folder, num_cameras, train=False, name=f"{name} training set")
