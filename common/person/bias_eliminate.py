"""The re-organised data tree read by the official Bias-Eliminate code (vimar-gu/Bias-Eliminate-DA-ReID,
``data/datasets/visda_dataset.py``)::

    <train_root>/trainval[_<transferred>]/0001_3_000024.jpg ...            training images
    <train_root>/trainval[_<transferred>]_camstyle/0001_3_000024_fake_5.jpg ...  their CamStyle copies
    <eval_root>/test_probe/ ...   <eval_root>/test_gallery/ ...             query and gallery

Every ``*.png``/``*.jpg`` name is parsed by ``(\\d+)_(\\d+)_(\\d+)`` as ``(pid, camera, idx)``; cameras and
query/gallery pids are used as written, training pids are mapped to ``0..C-1`` in sorted order. A
CamStyle copy carries the key ``(pid, camera, idx)`` of the training image it was made from; the
official code requires each key's group to hold 6 or 8 copies (one per target camera style) and uses
their pixel mean with the original as the target input of clustering.

The pattern is searched in the *file name* only: the official code searches the whole path, so a
folder named like ``2020_07_15`` would be parsed instead of the image's own name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from common.reid.dataset import ReIDItem, check_items

from .datasets import PersonDataError, image_names

BIAS_ELIMINATE_NAME = re.compile(r"(\d+)_(\d+)_(\d+)")
IMAGE_EXTENSIONS = (".png", ".jpg")
#: Allowed CamStyle group sizes of the official code (``visda_dataset.py`` raises otherwise).
OFFICIAL_GROUP_SIZES = (6, 8)


@dataclass
class BiasEliminateTree:
    """A Bias-Eliminate data tree; every item's ``extra`` is its ``idx``.

    Attributes:
        train: ``(path, label 0..C-1, camera, idx)`` in sorted file order.
        camstyle: CamStyle copies, labelled like their source image, in sorted file order.
        groups: ``groups[i]`` lists the indices into ``camstyle`` of ``train[i]``'s copies (empty when
            the CamStyle folder is absent and not required).
        query, gallery: ``(path, pid as written, camera, idx)``.
        label_to_pid: training label -> pid in the file names.
    """

    train: list[ReIDItem]
    camstyle: list[ReIDItem]
    groups: list[list[int]]
    query: list[ReIDItem]
    gallery: list[ReIDItem]
    label_to_pid: dict[int, int]

    @property
    def num_train_pids(self) -> int:
        return len(self.label_to_pid)


def bias_eliminate_name(pid: int, cam: int, idx: int, suffix: str = "", ext: str = ".jpg") -> str:
    """File name that ``load_bias_eliminate_tree`` parses as ``(pid, cam, idx)``, e.g. ``0001_3_000024.jpg``."""
    if min(pid, cam, idx) < 0:
        raise ValueError(f"pid, cam and idx must be >= 0 (the name pattern has no sign), got {pid}, {cam}, {idx}")
    return f"{pid:04d}_{cam}_{idx:06d}{suffix}{ext}"


def camstyle_copy_name(source_name: str, target: int | str) -> str:
    """Name of the CamStyle copy of ``source_name`` in the style of camera ``target``:
    ``<stem>_fake_<target>.jpg``; it parses to the source's key."""
    return f"{Path(source_name).stem}_fake_{target}.jpg"


def parse_bias_eliminate_name(name: str, folder: Path) -> tuple[int, int, int]:
    """``(pid, camera, idx)`` of a file name (pattern searched in the name only)."""
    match = BIAS_ELIMINATE_NAME.search(name)
    if match is None:
        raise PersonDataError(f"{folder / name}: no <pid>_<camera>_<idx> in the name (e.g. 0001_3_000024.jpg)")
    pid, cam, idx = map(int, match.groups())
    return pid, cam, idx


def _keyed_items(folder: Path) -> list[tuple[str, tuple[int, int, int]]]:
    """``(path, (pid, camera, idx))`` of the images of ``folder`` in sorted name order."""
    return [(str(folder / n), parse_bias_eliminate_name(n, folder)) for n in image_names(folder, IMAGE_EXTENSIONS)]


def _train_and_camstyle(train_dir: Path, camstyle_dir: Path, require_camstyle: bool, group_sizes: Sequence[int]
                        ) -> tuple[list[ReIDItem], list[ReIDItem], list[list[int]], dict[int, int]]:
    """Training items, CamStyle items, groups and the label -> pid map (see ``BiasEliminateTree``)."""
    train_keyed = _keyed_items(train_dir)
    label_of = {pid: label for label, pid in enumerate(sorted({key[0] for _, key in train_keyed}))}
    index_of_key: dict[tuple[int, int, int], int] = {}
    for i, (path, key) in enumerate(train_keyed):
        if key in index_of_key:
            raise PersonDataError(f"{path} and {train_keyed[index_of_key[key]][0]} have the same "
                                  f"(pid, camera, idx) {key}; their CamStyle copies could not be told apart")
        index_of_key[key] = i
    train = [(path, label_of[pid], cam, idx) for path, (pid, cam, idx) in train_keyed]
    groups: list[list[int]] = [[] for _ in train]
    camstyle = []
    if camstyle_dir.is_dir():
        for path, key in _keyed_items(camstyle_dir):
            if key not in index_of_key:
                raise PersonDataError(f"CamStyle image {path}: its key (pid, camera, idx) = {key} matches no "
                                      f"training image in {train_dir}")
            groups[index_of_key[key]].append(len(camstyle))
            camstyle.append((path, label_of[key[0]], key[1], key[2]))
    elif require_camstyle:
        raise FileNotFoundError(f"CamStyle folder not found: {camstyle_dir}. Generate the CamStyle copies of "
                                f"{train_dir}, or load with require_camstyle=False")
    for (path, key), group in zip(train_keyed, groups):
        if (group or require_camstyle) and len(group) not in group_sizes:
            raise PersonDataError(f"CamStyle group {key} of {path} has {len(group)} image(s) in {camstyle_dir}; "
                                  f"expected one of {tuple(group_sizes)}")
    label_to_pid = {label: pid for pid, label in label_of.items()}
    return (check_items(train, name=f"Bias-Eliminate train ({train_dir})"),
            check_items(camstyle, name=f"Bias-Eliminate camstyle ({camstyle_dir})"), groups, label_to_pid)


def load_bias_eliminate_tree(train_root: str | Path | None = None, eval_root: str | Path | None = None, *,
                             transferred: str | None = None, require_camstyle: bool = True,
                             group_sizes: Sequence[int] = OFFICIAL_GROUP_SIZES) -> BiasEliminateTree:
    """Read a Bias-Eliminate tree (see the module docstring); either root may be ``None`` (its part is empty).

    Args:
        train_root: folder holding ``trainval[_<transferred>]`` and its ``_camstyle`` sibling.
        eval_root: folder holding ``test_probe`` and ``test_gallery``.
        transferred: ``None`` (the official ``'original'``) for ``trainval``, else e.g. ``"spgan"`` for
            ``trainval_spgan``.
        require_camstyle: the CamStyle folder must exist and every training image must have a group.
            Otherwise the folder may be absent and images may lack copies; groups that exist are checked.
        group_sizes: allowed numbers of copies per training image.

    Raises:
        FileNotFoundError: a missing folder or image.
        PersonDataError (a ``ValueError``): a malformed name, a CamStyle image whose key matches no
            training image, a training image without a group (when required) or a group of another size.
    """
    if train_root is None and eval_root is None:
        raise ValueError("give train_root, eval_root or both")
    train, camstyle, groups, label_to_pid = [], [], [], {}
    if train_root is not None:
        base = "trainval" if transferred in (None, "original") else f"trainval_{transferred}"
        root = Path(train_root).expanduser()
        train, camstyle, groups, label_to_pid = _train_and_camstyle(root / base, root / f"{base}_camstyle",
                                                                    require_camstyle, group_sizes)
    query, gallery = [], []
    if eval_root is not None:
        root = Path(eval_root).expanduser()
        query = check_items([(path, *key) for path, key in _keyed_items(root / "test_probe")],
                            name=f"Bias-Eliminate query ({root / 'test_probe'})")
        gallery = check_items([(path, *key) for path, key in _keyed_items(root / "test_gallery")],
                              name=f"Bias-Eliminate gallery ({root / 'test_gallery'})")
    return BiasEliminateTree(train, camstyle, groups, query, gallery, label_to_pid)
