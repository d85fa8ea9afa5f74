"""A ReID image dataset over a list of ``(img_path, pid, camid[, extra])`` items, checked before use.

This is torchreid's dataset convention: a loader for a real on-disk format (AIC21 XML, Market-1501
names, VisDA lists, ...) produces the list; ``ReIDDataset`` checks it once at construction (every
file exists, labels are integers in range) and fails with a message naming the offending file or
item, rather than deep inside a training epoch. ``pid == -1`` marks an unlabelled or junk image
(allowed unless ``num_classes`` is given).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset


class ReIDItem(NamedTuple):
    """One image: its path, identity (``-1``: unlabelled), camera and an optional extra label
    (e.g. a track id or an orientation bin; an int, float or string, so that it batches)."""

    img_path: str
    pid: int
    camid: int
    extra: Any = None


def _as_int(value: Any) -> int | None:
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, np.integer)):
        return int(value)
    return None


def check_items(items: Sequence[Sequence[Any]], root: str | Path | None = None,
                num_classes: int | None = None, name: str = "dataset") -> list[ReIDItem]:
    """Validate ``(img_path, pid, camid[, extra])`` items and return them as ``ReIDItem`` s.

    Args:
        items: the list; relative paths are resolved against ``root``.
        root: base folder of relative paths.
        num_classes: if given, every pid must lie in ``[0, num_classes)`` (training labels).
        name: what to call the list in messages.

    Raises:
        ValueError: a malformed item or a label out of range (naming the item and its file).
        FileNotFoundError: missing image files (naming the first ones and how many).
    """
    checked, missing = [], []
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) not in (3, 4):
            raise ValueError(f"{name} item {i} must be (img_path, pid, camid[, extra]), got {item!r}")
        path = Path(os.fspath(item[0]))
        if root is not None and not path.is_absolute():
            path = Path(root) / path
        pid, camid = _as_int(item[1]), _as_int(item[2])
        if pid is None or pid < -1:
            raise ValueError(f"{name} item {i} ({path}): pid must be an integer >= -1, got {item[1]!r}")
        if num_classes is not None and not 0 <= pid < num_classes:
            raise ValueError(f"{name} item {i} ({path}): pid {pid} is outside [0, {num_classes}); training "
                             "labels must be 0..num_classes-1 (see common.reid.dataset.relabel)")
        if camid is None or camid < 0:
            raise ValueError(f"{name} item {i} ({path}): camid must be an integer >= 0, got {item[2]!r}")
        if not path.is_file():
            missing.append(str(path))
        checked.append(ReIDItem(str(path), pid, camid, item[3] if len(item) == 4 else None))
    if missing:
        shown = ", ".join(missing[:3])
        raise FileNotFoundError(f"{name}: {len(missing)} image file(s) not found, e.g. {shown}. Check the "
                                "dataset root and that the list matches the files on disk.")
    if len({item.extra is None for item in checked}) > 1:
        raise ValueError(f"{name}: either every item has an extra label or none has")
    return checked


def relabel(items: Sequence[Sequence[Any]]) -> tuple[list[tuple], dict[int, int]]:
    """Map the pids of labelled items to ``0..C-1`` (in sorted order), keeping ``-1`` as is.

    Returns:
        The relabelled items and the ``{original pid: new pid}`` map.
    """
    pids = sorted({int(item[1]) for item in items if int(item[1]) != -1})
    mapping = {pid: new for new, pid in enumerate(pids)}
    relabelled = [(item[0], mapping.get(int(item[1]), -1), *item[2:]) for item in items]
    return relabelled, mapping


def load_image(path: str | Path) -> Image.Image:
    """Open an image as RGB, with an error naming the file if it cannot be read."""
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (OSError, UnidentifiedImageError) as e:
        raise OSError(f"cannot read image {path}: {e}") from e


class ReIDDataset(Dataset):
    """Images of a checked item list.

    Args:
        items: ``(img_path, pid, camid[, extra])`` tuples (see ``check_items``).
        transform: applied to the PIL image (e.g. ``common.reid.transforms.build_train_transform``).
        root, num_classes, name: see ``check_items``.

    ``dataset[i]`` is a dict ``{"img", "pid", "camid", "index", "path"}`` plus ``"extra"`` when the
    items carry one; ``img`` is the transform's output (a ``[3, H, W]`` float tensor for the
    transforms of this package).
    """

    def __init__(self, items: Sequence[Sequence[Any]], transform: Callable | None = None, *,
                 root: str | Path | None = None, num_classes: int | None = None,
                 name: str = "dataset") -> None:
        self.items = check_items(items, root, num_classes, name)
        self.transform = transform
        self.name = name

    def __len__(self) -> int:
        return len(self.items)

    @property
    def pids(self) -> list[int]:
        return [item.pid for item in self.items]

    @property
    def camids(self) -> list[int]:
        return [item.camid for item in self.items]

    @property
    def num_pids(self) -> int:
        """Number of distinct labelled identities."""
        return len({pid for pid in self.pids if pid != -1})

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        img = load_image(item.img_path)
        if self.transform is not None:
            img = self.transform(img)
        sample = {"img": img, "pid": item.pid, "camid": item.camid, "index": index, "path": item.img_path}
        if item.extra is not None:
            sample["extra"] = item.extra
        return sample
