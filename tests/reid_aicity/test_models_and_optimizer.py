"""DMT's parameter groups, orientation bins, and loading weights (classifier skipped when resized)."""
import pytest
import torch

from common.checkpoint import CheckpointError, save_checkpoint
from common.config import load_config
from reid_aicity.attribute_models import orientation_bin
from reid_aicity.defaults import DEFAULTS
from reid_aicity.models import build_model, load_weights
from reid_aicity.optimizer import build_dmt_optimizer

CFG = load_config("reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py", schema=DEFAULTS)


def test_param_groups_bias_and_classifier_learning_rates():
    model = build_model(CFG, 5)
    opt = build_dmt_optimizer(model, CFG.solver)
    lr = CFG.solver.base_lr
    by_param = {id(p): g for g in opt.param_groups for p in g["params"]}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            assert name == "head.bottleneck.bias"  # the BNNeck bias is frozen
            continue
        expected = 2 * lr if name.startswith("head.classifier.") else (lr * 2.0 if "bias" in name else lr)
        assert by_param[id(p)]["lr"] == pytest.approx(expected), name
    assert isinstance(opt, torch.optim.SGD) and opt.defaults["momentum"] == 0.9


def test_orientation_bins_code_and_paper():
    assert [orientation_bin(a) for a in (0.0, 95.0, 139.9, 140.5, 189.9, 359.9)] == [0, 9, 13, 9, 13, 30]
    assert [orientation_bin(a, "paper") for a in (0.0, 95.0, 140.0, 359.9)] == [0, 9, 14, 35]
    assert len({orientation_bin(a + 0.5) for a in range(360)}) == 31
    with pytest.raises(ValueError, match="orientation"):
        orientation_bin(float("nan"))


def test_load_weights_skips_a_resized_classifier_only(tmp_path):
    source = build_model(CFG, 5)
    save_checkpoint(tmp_path / "ckpt.pt", {"components": {"model": source.state_dict()}})
    target = build_model(CFG, 3)
    assert load_weights(target, tmp_path / "ckpt.pt") == ["head.classifier.weight"]
    assert torch.equal(target.backbone.conv1.weight, source.backbone.conv1.weight)
    other = load_config("reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py",
                        {"model.backbone.base_channels": 8}, schema=DEFAULTS)
    with pytest.raises(CheckpointError, match="does not fit the model"):
        load_weights(build_model(other, 5), tmp_path / "ckpt.pt")
