"""The camera and orientation models of the post-processing (DMT ``train_cam.py`` / ``train_view.py``).

Both are ReID networks trained like stage 1 but on other labels, with shuffled batches
(``DATALOADER.SAMPLER softmax``, 64 images, 320x320): the **camera model** classifies the camera of a
CityFlowV2 training image, the **orientation model** the orientation bin of a VehicleX image. Their
features encode camera and viewpoint similarity; the distances D_cam and D_view between queries and
gallery tracks enter ``D = D_r - 0.1 D_cam - 0.05 D_view`` (paper Eq. 4), which favours matches
seen by a different camera and from a different viewpoint than the query.

DMT ships D_cam and D_view as ``track_cam_rk.npy`` / ``track_view_rk.npy`` (queries x tracks, the
names say "re-ranked"), without the code that made them. Here they are computed like the ReID
distance: weighted image-to-track features re-ranked with ``test.post.rerank``'s settings,
broadcast to the track's images. ``test.post.bias.camera_model`` / ``view_model`` also take such a
``.npy`` file directly (``read_track_distance``), e.g. DMT's own, for the exact inputs of its submission.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config

from common.distributed import DistInfo
from common.reid.dataset import ReIDItem
from common.reid.model import ReIDModel
from common.runlog import RunLogger

from .data import TargetSet, load_target
from .datasets import load_aic21_track2, load_vehiclex
from .inference import extract_target_features
from .models import model_from_run, resolve_weights, run_config
from .post_processing import AttributeDistances, retrieval_distance, with_steps
from .split_test import carve_split_test
from .stage1 import train_supervised
from .track_files import NO_TRACK

ORIENTATION_BINS = ("dmt_code", "paper")


def orientation_bin(angle: float, scheme: str = "dmt_code") -> int:
    """The orientation label of a VehicleX angle in degrees.

    ``"dmt_code"`` (``datasets/sim_view.py``): ``b = int(max(angle - 0.1, 0) / 10)``, then ``b - 5`` if
    ``b > 13`` (so angles in [90, 140) and [140, 190) share labels 9-13); ``"paper"``: 36 bins of 10 degrees.
    """
    if not math.isfinite(angle):
        raise ValueError(f"orientation {angle} is not a number; the VehicleX label file needs an 'orientation'")
    if scheme == "dmt_code":
        b = int(max(angle - 0.1, 0.0) / 10.0)
        return b - 5 if b > 13 else b
    if scheme == "paper":
        return int(angle % 360 // 10)
    raise ValueError(f"attribute.orientation_bins must be one of {ORIENTATION_BINS}, got {scheme!r}")


def relabel(items: list[ReIDItem], labels: list[int]) -> tuple[list[ReIDItem], int]:
    """Items with ``pid`` replaced by ``labels`` mapped to ``0..C-1`` (sorted)."""
    mapping = {v: i for i, v in enumerate(sorted(set(labels)))}
    return [item._replace(pid=mapping[v]) for item, v in zip(items, labels)], len(mapping)


def camera_training_items(cfg: Config) -> tuple[list[ReIDItem], int]:
    """CityFlowV2 training images labelled by camera (without the Split-Test identities, if any)."""
    train = load_aic21_track2(cfg.data.root, cfg.data.aic_dir).train
    if cfg.data.target == "split_test":
        train = carve_split_test(train, **cfg.data.split_test).train
    return relabel(train, [item.camid for item in train])


def orientation_training_items(cfg: Config) -> tuple[list[ReIDItem], int]:
    """VehicleX images labelled by orientation bin (``attribute.orientation_bins``)."""
    sim = load_vehiclex(f"{cfg.data.root}/{cfg.data.sim_dir}", cfg.data.sim_image_dir)
    bins = [orientation_bin(angle, cfg.attribute.orientation_bins) for angle in sim.orientations]
    return relabel(sim.items, bins)


def run_camera_model(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> ReIDModel:
    items, num_classes = camera_training_items(cfg)
    run.info(f"camera model: {len(items)} images of {num_classes} cameras")
    return train_supervised(cfg, items, num_classes, run, info, resume)


def run_orientation_model(cfg: Config, run: RunLogger, info: DistInfo, resume: bool = False) -> ReIDModel:
    items, num_classes = orientation_training_items(cfg)
    run.info(f"orientation model: {len(items)} images in {num_classes} orientation bins")
    return train_supervised(cfg, items, num_classes, run, info, resume)


def read_track_distance(path: str | Path, target: TargetSet) -> np.ndarray:
    """``[Q, G]`` from a DMT-format ``[Q, T]`` query-to-track distance file (``track_cam_rk.npy``): column t is
    the t-th gallery track in ascending id order (DMT's ``sorted(set(gallery_tids))``), copied to its images."""
    arrays = target.arrays()
    tracks = arrays["g_tracks"]
    if (tracks == NO_TRACK).any():
        raise ValueError(f"{path}: a query-to-track distance file needs a track for every gallery image, but "
                         f"{int((tracks == NO_TRACK).sum())} of {target.name}'s have none (the gallery's track file)")
    unique, column = np.unique(tracks, return_inverse=True)
    distances = np.load(path)
    if distances.shape != (len(target.query), len(unique)):
        raise ValueError(f"{path}: shape {distances.shape}, but {target.name} has {len(target.query)} queries and "
                         f"{len(unique)} gallery tracks")
    return distances[:, column].astype(np.float32)


def attribute_distance(source: str, cfg: Config, target: TargetSet, device: torch.device) -> np.ndarray:
    """``[Q, G]`` query-to-track distance of an attribute model (see the module docstring).

    ``source`` is a run directory of the model (features with its own input size and ``cfg``'s views) or a
    DMT-format ``.npy`` distance file (``read_track_distance``).
    """
    if Path(source).suffix == ".npy":
        return read_track_distance(source, target)
    model, model_cfg = model_from_run(source)
    model.to(device)
    model_cfg.test = cfg.test
    model_cfg.data = cfg.data
    feats = extract_target_features(model, model_cfg, target, device, crop_test=None)
    post = with_steps(cfg.test.post, ("rerank", "track"))
    return retrieval_distance(feats.query, feats.gallery, feats.g_tracks, post)


def check_attribute_models(cfg: Config) -> None:
    """Fail before training when the evaluation will need camera / orientation models that do not exist.

    Raises:
        ValueError: ``test.post.bias.enabled`` without any model named.
        FileNotFoundError, CheckpointError: a named run directory without config or checkpoint.
    """
    bias = cfg.test.post.bias
    if bias.enabled and not (bias.camera_model or bias.view_model):
        raise ValueError("test.post.bias.enabled needs test.post.bias.camera_model and/or view_model (run directories "
                         "of the camera / orientation models); train them first or disable the step")
    if not (bias.enabled or cfg.test.ablation):
        return
    for source in (bias.camera_model, bias.view_model):
        if source and Path(source).suffix == ".npy":
            if not Path(source).is_file():
                raise FileNotFoundError(f"test.post.bias: distance file not found: {source}")
        elif source:
            run_config(source)
            resolve_weights(source)


def attribute_distances(cfg: Config, target: TargetSet | None, device: torch.device) -> AttributeDistances | None:
    """D_cam and D_view of the models named in ``test.post.bias`` (``None`` when neither is set)."""
    bias = cfg.test.post.bias
    if not (bias.camera_model or bias.view_model):
        return None
    target = target if target is not None else load_target(cfg)
    return AttributeDistances(
        camera=attribute_distance(bias.camera_model, cfg, target, device) if bias.camera_model else None,
        view=attribute_distance(bias.view_model, cfg, target, device) if bias.view_model else None)
