"""Re-organise the VisDA-2020 download into the trees the official code reads:
``python -m reid_visda.prepare_data --visda-root DIR --out DIR [--copy]``.

The official code reads ``Corrected_<set>/`` folders whose images are named ``{pid}_{cam}_{idx}.jpg``
(``visda_dataset.py``), a layout its authors made and did not publish. This command builds it from the
challenge's own layout (``common.person``'s VisDA loaders):

* ``Corrected_personX/trainval/``: PersonX ``image_train`` (pid, 0-based camera);
* ``Corrected_target_training/trainval/``: ``target_training/image_train`` with the cameras of
  ``label_target_training.txt`` and pid 0 (unlabelled), or, for the synthetic data, the identities of
  ``identities_synthetic.txt`` (read only to report pseudo-label quality, never to train);
* ``Corrected_valid/test_probe|test_gallery``: ``target_validation`` (Market-1501 names; junk boxes,
  pid -1, are left out as the code's regex cannot name them);
* ``Corrected_test/test_probe|test_gallery``: ``target_test`` (anonymous: pid 0, camera 0, ``idx`` the
  submission index, so the tree's sorted order is the submission order), when present.

``idx`` is the image's running number in its folder. Files are hard-linked (copied with ``--copy``, or
where linking fails). The GAN stages then add ``trainval_spgan/``, ``trainval_spgan_camstyle/`` and
``trainval_camstyle/`` (``common.gan.generate``).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Sequence

from common.person import (bias_eliminate_name, load_personx, load_visda_target_training, load_visda_test,
                           load_visda_validation, read_synthetic_identities)
from common.person.ground_truth import TRAINING_IDENTITIES
from common.reid.dataset import ReIDItem

TREES = {"source": "Corrected_personX", "target": "Corrected_target_training", "val": "Corrected_valid",
         "test": "Corrected_test"}


def _place(src: str, dst: Path, copy: bool) -> None:
    if dst.exists():
        dst.unlink()
    if not copy:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copy2(src, dst)


def write_folder(items: Sequence[ReIDItem], folder: Path, copy: bool = False, pids: Sequence[int] | None = None,
                 indices: Sequence[int] | None = None) -> int:
    """Write ``items`` into ``folder`` as ``{pid}_{cam}_{idx}`` files; returns the count.

    Args:
        pids: the pid written for each item (default: the item's; unlabelled -1 becomes 0).
        indices: ``idx`` of each item (default: its position).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for n, item in enumerate(items):
        pid = item.pid if pids is None else pids[n]
        idx = n if indices is None else indices[n]
        suffix = Path(item.img_path).suffix.lower() or ".jpg"
        _place(item.img_path, folder / bias_eliminate_name(max(pid, 0), item.camid, idx, ext=suffix), copy)
    return len(items)


def prepare_visda_trees(visda_root: str | Path, out_root: str | Path, copy: bool = False) -> dict[str, int]:
    """Build the trees listed in the module docstring; returns the image count of every folder written."""
    root, out = Path(visda_root), Path(out_root)
    counts = {"source/trainval": write_folder(load_personx(root), out / TREES["source"] / "trainval", copy)}
    target = load_visda_target_training(root)
    truth = root / "target_training" / TRAINING_IDENTITIES
    pids = None
    if truth.is_file():
        identities = read_synthetic_identities(truth)
        pids = [identities[Path(item.img_path).name][0] if Path(item.img_path).name in identities else 0
                for item in target]
    counts["target/trainval"] = write_folder(target, out / TREES["target"] / "trainval", copy, pids=pids)
    val = load_visda_validation(root)
    counts["val/test_probe"] = write_folder([i for i in val.query if i.pid >= 0], out / TREES["val"] / "test_probe",
                                            copy)
    counts["val/test_gallery"] = write_folder([i for i in val.gallery if i.pid >= 0],
                                              out / TREES["val"] / "test_gallery", copy)
    if (root / "target_test").is_dir():
        test = load_visda_test(root)
        counts["test/test_probe"] = write_folder(test.query, out / TREES["test"] / "test_probe", copy)
        counts["test/test_gallery"] = write_folder(test.gallery, out / TREES["test"] / "test_gallery", copy)
    return counts


def main(argv: list[str] | None = None) -> dict[str, int]:
    parser = argparse.ArgumentParser(prog="python -m reid_visda.prepare_data", description=__doc__.splitlines()[0])
    parser.add_argument("--visda-root", required=True, help="folder holding personX/, target_training/, ...")
    parser.add_argument("--out", required=True, help="where the Corrected_* trees go (the configs' data.root)")
    parser.add_argument("--copy", action="store_true", help="copy the images instead of hard-linking them")
    args = parser.parse_args(argv)
    counts = prepare_visda_trees(args.visda_root, args.out, args.copy)
    for folder, count in counts.items():
        print(f"{folder}: {count} images")
    return counts


if __name__ == "__main__":
    main(sys.argv[1:])
