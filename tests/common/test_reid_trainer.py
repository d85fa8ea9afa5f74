"""The ReID trainer: a learning signal on synthetic identities, exact resume, NaN stop, AMP, records.

The synthetic identities are striped boxes: an identity is a (body colour, stripe colour, stripe
orientation) combination drawn from 4 colours and 3 orientations, so colour alone does not identify
it; each image has a random shift, stripe phase, brightness, noise and one of 3 camera colour casts.
"""
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from common.checkpoint import CheckpointManager
from common.retrieval.metrics import evaluate_distmat
from common.reid.dataset import ReIDDataset
from common.reid.features import extract_features
from common.reid.losses import ReIDLoss
from common.reid.model import build_reid_model
from common.reid.sampler import IdentitySampler
from common.reid.solver import build_lr_scheduler, build_optimizer, build_param_groups
from common.reid.trainer import ReIDTrainer
from common.reid.transforms import build_test_transform, build_train_transform
from common.runlog import NonFiniteError, RunLogger, read_metrics

PALETTE = np.array([[220, 40, 40], [40, 180, 60], [50, 80, 220], [230, 200, 40]], dtype=float)
COMBOS = [(body, stripe, orient) for body in range(4) for stripe in range(4) if stripe != body
          for orient in range(3)]
CAMERA_CASTS = np.array([[40, 0, -40], [-40, 40, 0], [0, -40, 40]], dtype=float)
SIZE = (64, 32)


def draw_identity(rng, pid, camid, size=SIZE):
    """One ``size`` image of identity ``pid`` (< 36) seen by camera ``camid`` (< 3)."""
    body, stripe, orient = COMBOS[np.random.default_rng(123).permutation(len(COMBOS))[pid]]
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    dy, dx = rng.integers(-4, 5, 2)
    inside = (abs(yy - h / 2 - dy) < h * 0.38) & (abs(xx - w / 2 - dx) < w * 0.35)
    stripes = (([yy, xx, yy + xx][orient] + rng.integers(0, 8)) // 4) % 2 == 0
    img = np.full((h, w, 3), 100.0) + CAMERA_CASTS[camid]
    img[inside] = PALETTE[body]
    img[inside & stripes] = PALETTE[stripe]
    img = img * rng.uniform(0.7, 1.3) + 0.5 * CAMERA_CASTS[camid] + rng.normal(0, 15, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def make_identities(folder, pids, per_identity, seed):
    """Write the images of ``pids`` to ``folder``; returns ``(img_path, pid, camid)`` items."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for pid in pids:
        for k in range(per_identity):
            camid = int(rng.integers(3))
            path = folder / f"{pid:04d}_c{camid}_{k:02d}.png"
            draw_identity(rng, pid, camid).save(path)
            items.append((str(path), pid, camid))
    return items


def query_gallery_map(features, pids, queries_per_identity=2):
    """mAP (Market-1501 protocol, ``common.retrieval.metrics``) with the first images of each
    identity as queries and the rest as the gallery. ``features``: ``[N, D]`` L2-normalised."""
    pids = pids.numpy()
    is_query = np.zeros(len(pids), dtype=bool)
    for pid in np.unique(pids):
        is_query[np.flatnonzero(pids == pid)[:queries_per_identity]] = True
    q, g = features[torch.from_numpy(is_query)], features[torch.from_numpy(~is_query)]
    distmat = (1.0 - q @ g.t()).numpy()
    return evaluate_distmat(distmat, pids[is_query], pids[~is_query], max_rank=10).mAP


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _trainer(items, work_dir=None, epochs=2, base_channels=8, seed=0, identities_per_batch=4, **kwargs):
    torch.manual_seed(seed)
    num_classes = len({pid for _, pid, _ in items})
    dataset = ReIDDataset(items, build_train_transform(SIZE, padding=4), num_classes=num_classes)
    sampler = IdentitySampler(dataset.pids, identities_per_batch, 4, seed=seed)
    loader = DataLoader(dataset, batch_sampler=sampler)
    model = build_reid_model(num_classes, dict(name="resnet18_ibn_a", base_channels=base_channels))
    optimizer = build_optimizer(build_param_groups(model, 0.05, 5e-4, bias_lr_factor=2.0), "SGD", lr=0.05)
    scheduler = build_lr_scheduler(optimizer, "multistep", max_epochs=epochs, warmup_epochs=1,
                                   warmup_factor=0.1, milestones=(max(epochs - 2, 1),))
    checkpoints = CheckpointManager(work_dir / "checkpoints", keep_last=None) if work_dir else None
    criterion = ReIDLoss(ce=dict(weight=1.0), triplet=dict(weight=1.0, margin=0.0))
    return ReIDTrainer(model, criterion, optimizer, loader, max_epochs=epochs, scheduler=scheduler,
                       checkpoints=checkpoints, **kwargs)


@pytest.fixture(scope="module")
def identities(tmp_path_factory):
    root = tmp_path_factory.mktemp("identities")
    return {"train": make_identities(root / "train", range(16), 8, seed=0),
            "test": make_identities(root / "test", range(16, 28), 6, seed=1)}


def test_training_improves_retrieval_of_unseen_identities(identities):
    trainer = _trainer(identities["train"], epochs=12, base_channels=16, identities_per_batch=8)
    test_loader = DataLoader(ReIDDataset(identities["test"], build_test_transform(SIZE)), batch_size=72)
    before = extract_features(trainer.model, test_loader)
    history = trainer.fit()
    after = extract_features(trainer.model, test_loader)
    map_before = query_gallery_map(before.features, before.pids)
    map_after = query_gallery_map(after.features, after.pids)
    print(f"mAP on unseen identities: {map_before:.3f} at init, {map_after:.3f} after training; "
          f"loss {history[0]['loss']:.3f} -> {history[-1]['loss']:.3f}")
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert map_after > map_before + 0.25, (map_before, map_after)


def test_resume_after_an_interruption_is_exact(identities, tmp_path):
    items = [it for it in identities["train"] if it[1] < 8]
    uninterrupted = _trainer(items, tmp_path / "a", epochs=3)
    uninterrupted.fit()
    first = sorted((tmp_path / "a" / "checkpoints").iterdir())
    assert len(first) == 3
    # a run killed after its first epoch: only that checkpoint exists
    (tmp_path / "b" / "checkpoints").mkdir(parents=True)
    shutil.copy(first[0], tmp_path / "b" / "checkpoints" / first[0].name)
    torch.manual_seed(1234)  # the restored RNG state, not this seed, must drive the rest
    resumed = _trainer(items, tmp_path / "b", epochs=3, seed=0)
    history = resumed.fit(resume=True)
    assert len(history) == 2 and resumed.step == uninterrupted.step
    for (name, a), b in zip(uninterrupted.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_metrics_and_checkpoints_are_recorded(identities, tmp_path):
    items = [it for it in identities["train"] if it[1] < 8]
    with RunLogger(tmp_path, tensorboard=False) as logger:
        trainer = _trainer(items, tmp_path, epochs=2, logger=logger, log_every=1)
        trainer.fit()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    step_rows = [r for r in rows if "loss_triplet" in r]
    epoch_rows = [r for r in rows if "epoch_loss" in r]
    assert len(step_rows) == trainer.step and [r["epoch"] for r in epoch_rows] == [0, 1]
    assert all(np.isfinite(r["loss"]) and r["loss"] == pytest.approx(r["loss_ce"] + r["loss_triplet"])
               for r in step_rows)
    assert epoch_rows[0]["lr_epoch"] == pytest.approx(0.005)  # warm-up factor 0.1 x lr 0.05
    assert len(list((tmp_path / "checkpoints").iterdir())) == 2


def test_a_nan_loss_stops_training_with_the_loss_named(identities):
    items = [it for it in identities["train"] if it[1] < 8]
    trainer = _trainer(items, epochs=1)
    trainer.criterion = lambda outputs, pids: {"loss_ce": outputs["logits"].sum() * float("nan")}
    with pytest.raises(NonFiniteError, match="loss is nan at step 0.*loss_ce=nan"):
        trainer.fit()


def test_mixed_precision_training_step(identities):
    items = [it for it in identities["train"] if it[1] < 8]
    trainer = _trainer(items, epochs=1, amp=True)
    history = trainer.fit()
    assert np.isfinite(history[0]["loss"]) and trainer.step == len(trainer.loader)
