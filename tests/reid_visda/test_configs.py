"""Every config of reid_visda loads against its schema; bad keys, stages and inputs stop with their names."""
from pathlib import Path

import pytest

from common.config import ConfigKeyError, load_config
from common.gan.defaults import DEFAULTS as GAN_DEFAULTS
from reid_visda.defaults import DEFAULTS, STAGES
from reid_visda.train import run_training

CONFIGS = sorted((Path(__file__).resolve().parents[2] / "reid_visda" / "configs").glob("*.py"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_config_loads(path):
    if path.stem.startswith("gan_"):  # configs of common.gan for this pipeline's data
        cfg = load_config(path, schema=GAN_DEFAULTS)
        assert cfg.method in ("spgan", "stargan")
        return
    cfg = load_config(path, schema=DEFAULTS)
    if path.stem.startswith("ensemble"):
        assert len(cfg.ensemble.members) == len(cfg.ensemble.weights)
        return
    assert cfg.stage in STAGES
    assert cfg.model.head.pooling == "avgmax" and cfg.model.head.dropout > 0
    if cfg.stage == "finetune":
        assert cfg.camera_model and cfg.model.init_from


def test_official_recipe_defaults():
    cfg = load_config(CONFIGS[0].parent / "baseline_resnet50_ibn_a_384x128.py", schema=DEFAULTS)
    assert cfg.input.size_train == [384, 128] and cfg.input.erasing_prob == 1.0
    assert cfg.input.erasing_scale == [0.02, 0.2] and cfg.input.erasing_sampling == "zhong"
    assert cfg.input.pixel_std == [57.0 / 255] * 3 and cfg.input.interpolation == "bilinear"
    assert cfg.solver.weight_decay == 0.0 and cfg.solver.weight_decay_bias == 5e-4 and cfg.solver.epoch_offset == 1
    assert cfg.sampler.kind == "official" and DEFAULTS["data"]["camstyle_group_sizes"] == [6, 8]
    assert cfg.adaptation.relabel == "initial" and cfg.adaptation.outliers.mode == "official"
    assert cfg.solver.base_lr == 0.02 and cfg.solver.steps == [24, 48] and cfg.solver.max_epochs == 61
    assert cfg.loss.ce.label_smoothing == 0.1 and cfg.loss.triplet.mining == "weighted"
    assert cfg.adaptation.k1 == 20 and cfg.adaptation.eps == 0.5 and cfg.adaptation.top_clusters == 500
    post = cfg.test.post
    assert (post.camera_projection.lam, post.smoothing.knn, post.smoothing.beta) == (0.02, 50, 0.03)
    assert (post.rerank.k1, post.rerank.k2, post.rerank.lambda_value) == (30, 8, 0.3)
    ensemble = load_config(CONFIGS[0].parent / "ensemble_bias_eliminate_8models.py", schema=DEFAULTS).ensemble
    assert ensemble.weights == [2, 1, 2, 1, 2, 1, 2, 1] and len(ensemble.camera_members) == 4


def test_unknown_key_and_stage(tmp_path):
    path = CONFIGS[0].parent / "baseline_resnet18_ibn_a_synthetic.py"
    with pytest.raises(ConfigKeyError, match="adaptation.epsilon"):
        load_config(path, {"adaptation.epsilon": 0.4}, schema=DEFAULTS)
    cfg = load_config(path, {"stage": "pretrain"}, schema=DEFAULTS)
    with pytest.raises(ValueError, match="unknown stage 'pretrain'"):
        run_training(cfg, tmp_path)


def test_missing_tree_names_the_folder(tmp_path):
    cfg = load_config(CONFIGS[0].parent / "baseline_resnet18_ibn_a_synthetic.py", {"data.root": str(tmp_path)},
                      schema=DEFAULTS)
    with pytest.raises(FileNotFoundError, match="Corrected_personX"):
        run_training(cfg, tmp_path / "run")
