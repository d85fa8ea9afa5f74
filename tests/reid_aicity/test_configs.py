"""Every config loads against the schema; unknown keys are rejected; official values are kept."""
from pathlib import Path

import pytest

from common.config import ConfigKeyError, load_config
from reid_aicity.defaults import DEFAULTS, STAGES
from reid_aicity.train import build_parser

CONFIGS = sorted(Path("reid_aicity/configs").rglob("*.py"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_every_config_loads(path):
    cfg = load_config(path, schema=DEFAULTS)
    assert cfg.stage in STAGES
    assert set(cfg.data.train_sets) <= {"aic", "aic_crop", "sim"}
    if cfg.stage == "stage2":
        assert cfg.model.init_from


def test_unknown_keys_are_rejected(tmp_path):
    with pytest.raises(ConfigKeyError, match="solver.max_epoch'.*Did you mean: solver.max_epochs"):
        load_config(CONFIGS[0], {"solver.max_epoch": 3}, schema=DEFAULTS)
    bad = tmp_path / "bad.py"
    bad.write_text('_base_ = ["%s"]\nstage2 = dict(epsilon=0.5)\n' %
                   Path("reid_aicity/configs/stage1_resnet101_ibn_a_384.py").resolve())
    with pytest.raises(ConfigKeyError, match="stage2.epsilon"):
        load_config(bad, schema=DEFAULTS)


def test_official_values_are_the_defaults():
    s1 = load_config("reid_aicity/configs/stage1_resnet101_ibn_a_384.py", schema=DEFAULTS)
    assert (s1.solver.ims_per_batch, s1.sampler.num_instances, s1.solver.base_lr) == (96, 8, 0.01)
    assert (s1.solver.steps, s1.solver.warmup_epochs, s1.solver.warmup_factor) == ([40, 70], 10, 0.01)
    assert s1.loss.triplet.margin == 0.0 and s1.loss.ce.label_smoothing == 0.0
    assert s1.data.train_sets == ["aic", "aic_crop", "sim"] and s1.input.size_train == [384, 384]
    v1 = load_config("reid_aicity/configs/stage2_resnet101_ibn_a_384_v1.py", schema=DEFAULTS)
    v2 = load_config("reid_aicity/configs/stage2_resnet101_ibn_a_384_v2.py", schema=DEFAULTS)
    assert (v1.stage2.eps, v1.stage2.min_samples, v1.stage2.k1, v1.stage2.k2) == (0.55, 10, 30, 6)
    assert (v1.stage2.camera_bias.lam, v1.stage2.iters_per_epoch, v1.solver.base_lr, v1.solver.max_epochs) == \
        (0.0005, 300, 4e-4, 3)
    assert (v1.stage2.track_self_weight, v1.stage2.camera_groups) == (0.3, False)
    assert (v2.stage2.track_self_weight, v2.stage2.camera_groups) == (0.1, True)
    differing = {k for k in v1.to_dict() if v1.to_dict()[k] != v2.to_dict()[k]}
    assert differing == {"stage2"}
    assert {k for k in v1.stage2 if v1.stage2[k] != v2.stage2[k]} == {"track_self_weight", "camera_groups"}
    lam = {stem: load_config(f"reid_aicity/configs/stage2_{stem}_v1.py", schema=DEFAULTS).test.post.fic.lam
           for stem in ("resnext101_ibn_a_384", "resnest101_384", "resnet101_ibn_a_384_recrop", "transreid_256",
                        "densenet169_ibn_a_384")}
    assert lam == {"resnext101_ibn_a_384": 0.11, "resnest101_384": 0.09, "resnet101_ibn_a_384_recrop": 0.22,
                   "transreid_256": 0.11, "densenet169_ibn_a_384": 0.23}
    vit = load_config("reid_aicity/configs/stage1_transreid_256.py", schema=DEFAULTS)
    assert vit.model.backbone.stride == 14 and vit.solver.schedule == "cosine" and vit.solver.max_epochs == 40
    assert "last_stride" not in vit.model.backbone and vit.model.head.pooling == "identity"


def test_ensemble_has_the_official_16_stage2_models():
    """DMT's ensemble.py sums 8 backbones x 2 stage-2 variants; each member is a stage-2 config's run."""
    cfg = load_config("reid_aicity/configs/ensemble_dmt_16models.py", schema=DEFAULTS)
    members = [Path(m).name for m in cfg.ensemble.members]
    assert len(members) == len(set(members)) == 16
    stage2 = {m: load_config(f"reid_aicity/configs/{m}.py", schema=DEFAULTS) for m in members}
    assert all(member.stage == "stage2" for member in stage2.values())
    backbones = {member.model.backbone.name for member in stage2.values()}
    assert backbones == {"resnet101_ibn_a", "resnext101_ibn_a", "se_resnet101_ibn_a", "densenet169_ibn_a",
                         "resnest101e", "vit_base_patch16_transreid"}
    dense = load_config("reid_aicity/configs/stage1_densenet169_ibn_a_384.py", schema=DEFAULTS)
    assert dense.model.backbone.last_stride == 2  # DMT's make_model does not pass LAST_STRIDE to the DenseNet


def test_train_help_lists_the_stages():
    text = build_parser().format_help()
    assert "--resume" in text and "stage1, stage2, camera, orientation" in text


@pytest.mark.parametrize("path", sorted(Path("reid_aicity/configs").glob("stage1_*.py")), ids=lambda p: p.stem)
def test_stage1_configs_build_their_paper_backbone(path):
    """Each backbone config builds its network (pretrained weights left out: they are local files)."""
    from reid_aicity.models import build_model

    cfg = load_config(path, {"model.backbone.pretrained": None}, schema=DEFAULTS)
    model = build_model(cfg, 10)
    assert model.head.classifier.weight.shape[0] == 10
    assert list(model.pixel_mean.flatten()) == pytest.approx(cfg.input.pixel_mean)


@pytest.mark.parametrize("path", [p for p in CONFIGS if p.stem.startswith(("camera_", "orientation_"))],
                         ids=lambda p: p.stem)
def test_camera_and_orientation_models_train_with_cross_entropy_only(path):
    """DATALOADER.SAMPLER 'softmax' in DMT's camera_view configs: make_loss returns F.cross_entropy alone."""
    from reid_aicity.stage1 import build_criterion

    cfg = load_config(path, schema=DEFAULTS)
    criterion = build_criterion(cfg)
    assert criterion.triplet is None and criterion.ce["label_smoothing"] == 0.0
    assert cfg.sampler.type == "random"


def test_test_features_are_float32_by_default(monkeypatch):
    """DMT extracts test features in fp32; mixed precision is test.amp (on CUDA only)."""
    import torch

    import reid_aicity.inference as inference

    seen = []
    monkeypatch.setattr(inference, "extract_features", lambda *a, amp, **k: seen.append(amp) or
                        type("Features", (), {"features": torch.zeros(1, 2)})())
    monkeypatch.setattr(inference, "test_loader", lambda *a, **k: None)
    for amp in (False, True):
        cfg = load_config(CONFIGS[0], {"test.amp": amp, "solver.amp": True}, schema=DEFAULTS)
        inference.embed_items(None, cfg, [], torch.device("cuda"), ["original"])
        inference.embed_items(None, cfg, [], torch.device("cpu"), ["original"])
    assert seen == [False, False, True, False]
    assert all(load_config(p, schema=DEFAULTS).test.amp is False for p in CONFIGS)
