"""The synthetic-only ground truth of the anonymous VisDA-2020 sets written by ``make_synthetic``.

Not part of the real format: the real target training and test sets are unlabelled. The synthetic
data set adds, next to them, ``target_training/identities_synthetic.txt`` (``"<name> <pid>"``) and
``target_test/identities_synthetic_{query,gallery}.txt`` (``"<name> <pid> <camera>"``, 0-based
cameras, pid 0 for distractors), so that a pipeline can measure its pseudo labels and score the test set.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from common.reid.dataset import ReIDItem

from .datasets import PersonDataError

TRAINING_IDENTITIES = "identities_synthetic.txt"
TEST_IDENTITIES = {"query": "identities_synthetic_query.txt", "gallery": "identities_synthetic_gallery.txt"}
_INTEGER = re.compile(r"-?\d+")


def read_synthetic_identities(path: str | Path) -> dict[str, tuple[int, int | None]]:
    """A synthetic-only ground-truth file: ``{image name: (pid, camera or None)}``.

    Lines are ``"<name> <pid>"`` or ``"<name> <pid> <camera>"``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"synthetic identity file not found: {path} (only synthetic data sets have one)")
    identities = {}
    for line_no, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) not in (2, 3) or not all(_INTEGER.fullmatch(f) for f in fields[1:]):
            raise PersonDataError(f"{path} line {line_no}: expected '<name> <pid> [<camera>]', got {line.strip()!r}")
        identities[fields[0]] = (int(fields[1]), int(fields[2]) if len(fields) == 3 else None)
    return identities


def with_synthetic_identities(items: Sequence[ReIDItem], path: str | Path) -> list[ReIDItem]:
    """``items`` with the pid (and the camera, when the file has one) of their file name in ``path``.

    Example: ``with_synthetic_identities(load_visda_target_training(root),
    root / "target_training/identities_synthetic.txt")`` labels the target training set.
    """
    identities = read_synthetic_identities(path)
    labelled = []
    for item in items:
        name = Path(item.img_path).name
        if name not in identities:
            raise PersonDataError(f"{path} has no line for {item.img_path}")
        pid, camid = identities[name]
        labelled.append(item._replace(pid=pid, camid=item.camid if camid is None else camid))
    return labelled
