"""The camera model (the code's ``train_camera.py``, ``configs/camera.yml``): a classifier of the target
camera of an image, trained on the camera indices of the target training set (``label_target_training.txt``).

Same architecture as the ReID network (GAP + GMP -> 512 -> BN -> dropout 0.7 -> classifier over the
cameras, ``CameraBaseline``), trained with plain cross-entropy + batch-hard triplet loss (margin 0.3,
L2-normalised) on camera labels, P x K batches of 4 cameras x 16 images, SGD lr 0.001 for 20 epochs
(x0.1 at 10 and 15, no warm-up). Camera ids become classes in sorted order (VisDA: cameras 0, 1, 3, 4, 5
-> 0..4, the code's ``camid_dict``); the run keeps them in ``camera_classes.json``. After training, the
camera accuracy on the validation images is reported (``VisDA.md`` expects > 97%).

Its uses: the predicted camera of every test image (the test set has none) and the distance between
the L2-normalised post-BN camera features, both in the post-processing and in finetune's pseudo-labels.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from torch.utils.data import Dataset

from common.distributed import DistInfo, barrier, wrap_ddp
from common.fileio import write_json
from common.reid.dataset import ReIDDataset, ReIDItem
from common.reid.features import hflip
from common.reid.model import ReIDModel
from common.reid.trainer import ReIDTrainer
from common.runlog import RunLogger

from .data import (epoch_batch_sampler, load_target, test_loader, test_transform,
                   train_transform, training_loader)
from .models import build_reid_net, load_backbone_and_embedding, model_from_run
from .trainer import build_trainer

CLASSES_FILE = "camera_classes.json"


def camera_classes_of_run(run_dir: str | Path) -> list[int]:
    """The camera ids a camera run classifies, in class order (its ``camera_classes.json``)."""
    path = Path(run_dir) / CLASSES_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found; is {run_dir} a camera run of reid_visda?")
    return [int(c) for c in json.loads(path.read_text())]


def camera_classes(cfg: Config) -> list[int]:
    """The camera ids the camera model of ``cfg`` classifies, or without a camera model the cameras of
    the target training set, sorted."""
    if cfg.camera_model:
        return camera_classes_of_run(cfg.camera_model)
    return sorted({item.camid for item in load_target(cfg, camstyle=False).train})


def relabel_cameras(items: Sequence[ReIDItem], classes: Sequence[int]) -> list[ReIDItem]:
    """Items whose pid is their camera class (``camid_dict``); unknown cameras are an error."""
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted({item.camid for item in items} - set(index))
    if unknown:
        raise ValueError(f"cameras {unknown} are not among the camera model's classes {list(classes)}")
    return [item._replace(pid=index[item.camid], camid=index[item.camid]) for item in items]


def train_camera_model(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> ReIDModel:
    """Train the camera model on the target training images (see the module docstring)."""
    target = load_target(cfg, camstyle=False)
    classes = sorted({item.camid for item in target.train})
    items = relabel_cameras(target.train, classes)
    if info.is_main:
        write_json(run.dir / CLASSES_FILE, classes)
    dataset = ReIDDataset(items, train_transform(cfg), num_classes=len(classes), name="camera-labelled target")
    loader = training_loader(cfg, dataset, epoch_batch_sampler(dataset.pids, cfg.solver.ims_per_batch, cfg, info,
                                                               cfg.seed))
    model = build_reid_net(cfg, len(classes))
    if cfg.model.init_from:
        load_backbone_and_embedding(model, cfg.model.init_from)
    model.to(info.device)
    trainer = build_trainer(cfg, wrap_ddp(model, info), loader, run, info, trainer_class=ReIDTrainer)
    run.info(f"camera model: {len(items)} images of cameras {classes}, {len(loader)} steps per epoch")
    trainer.fit(resume=resume)
    barrier()
    return model


@torch.no_grad()
def camera_outputs(model: ReIDModel, dataset: Dataset | Sequence[ReIDItem], cfg: Config, device: torch.device,
                   view: str = "flip") -> tuple[np.ndarray, np.ndarray]:
    """``([N, D]`` L2-normalised camera features, ``[N]`` predicted camera classes``)`` of the images, read
    through ``view`` (``"flip"``: the flipped image, as the code's tester; ``"original"``)."""
    if view not in ("flip", "original"):
        raise ValueError(f"test.camera_view must be 'flip' or 'original', got {view!r}")
    model.eval().to(device)
    feats, preds = [], []
    for batch in test_loader(cfg, dataset, test_transform(cfg)):
        images = batch["img"].to(device)
        feat = model(hflip(images) if view == "flip" else images).float()
        preds.append(model.head.classifier(feat).argmax(dim=1).cpu())
        feats.append(F.normalize(feat, dim=1).cpu())
    return torch.cat(feats).numpy(), torch.cat(preds).numpy().astype(np.int64)


def load_camera_model(run_dir: str | Path) -> tuple[ReIDModel, Config]:
    """The trained camera model of a camera run and its config."""
    model, cfg = model_from_run(run_dir)
    if cfg.stage != "camera":
        raise ValueError(f"{run_dir} is a '{cfg.stage}' run, not a camera model (stage 'camera')")
    return model, cfg
