"""Train the consistency encoder E_c: a ``common.reid`` model trained on the real training set only.

The recipe is ``reid_training.fit_reid_model`` (the ReID "bag of tricks" baseline) with the
``consistency_training`` settings; the architecture and the input are those of ``encoders.reid``
(``backbone``, ``head``, ``size``, ``pixel_mean``, ``pixel_std``), so that the scoring loads what was trained.

The run directory is an ordinary ``common.reid`` run (``config.py``, ``run.log``, ``metrics.jsonl``,
TensorBoard events, ``checkpoints/``) plus ``encoder_settings.json``. Training resumes from its latest
checkpoint, so a finished encoder is reused as it is; a directory trained with other settings or data stops
the run instead of being mixed up.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from mmengine.config import Config

from common.device import seed_everything
from common.distributed import DistInfo
from common.fileio import write_json
from common.reid.dataset import ReIDItem, relabel
from common.runlog import RunLogger

from .reid_training import fit_reid_model

SETTINGS_FILE = "encoder_settings.json"
#: The ``encoders.reid`` keys that define the trained network and its input.
ARCHITECTURE_KEYS = ("backbone", "head", "size", "pixel_mean", "pixel_std")


def _settings(items: Sequence[ReIDItem], reid: Mapping[str, Any], training: Mapping[str, Any],
              seed: int) -> dict[str, Any]:
    """What the trained weights depend on: architecture, recipe, seed and the training images (a digest of
    their paths and pids)."""
    listing = "".join(f"{os.path.abspath(it.img_path)}\t{it.pid}\n" for it in items)
    images = hashlib.sha256(listing.encode()).hexdigest()
    return json.loads(json.dumps({
        "architecture": {k: reid[k] for k in ARCHITECTURE_KEYS}, "training": dict(training), "seed": seed,
        "images": images}, default=str))


def _check_run_dir(work_dir: Path, settings: dict[str, Any]) -> None:
    path = work_dir / SETTINGS_FILE
    if not path.is_file():
        return
    stored = json.loads(path.read_text())
    if stored != settings:
        differing = sorted(k for k in set(stored) | set(settings) if stored.get(k) != settings.get(k))
        raise ValueError(f"{work_dir} holds a consistency encoder trained with other {', '.join(differing)}; "
                         "delete it, or point encoders.reid.train_dir elsewhere")


def train_consistency_encoder(items: Sequence[ReIDItem], work_dir: str | Path, reid: Mapping[str, Any],
                              training: Mapping[str, Any], *, device: str = "cpu", seed: int = 0) -> Path:
    """Train E_c on the real training ``items`` into the run directory ``work_dir`` (reused when finished).

    Args:
        items: the real training images with their pids (any integers; relabelled to ``0..C-1`` here).
        work_dir: the encoder's run directory.
        reid: the ``encoders.reid`` section (architecture and input size).
        training: the ``consistency_training`` section (see ``reid_gan_filter.defaults``).
        device: where to train.
        seed: seed of the initialisation, the sampler and the augmentation.

    Returns:
        ``work_dir``, whose latest checkpoint ``encoders.load_reid_model`` loads.
    """
    work_dir = Path(work_dir)
    labelled, mapping = relabel([it for it in items if it.pid >= 0])
    if len(mapping) < 2:
        raise ValueError(f"the consistency encoder needs at least 2 identities in the real training set, "
                         f"got {len(mapping)}")
    settings = _settings(items, reid, training, seed)
    _check_run_dir(work_dir, settings)
    seed_everything(seed)
    cfg = Config(dict(encoders=dict(reid=dict(reid)), consistency_training=dict(training), seed=seed))
    with RunLogger(work_dir, cfg) as run:
        write_json(work_dir / SETTINGS_FILE, settings)
        run.info("consistency encoder E_c on the real training set")
        fit_reid_model(labelled, len(mapping), run, reid, training, DistInfo.single(device), seed=seed)
    return work_dir
