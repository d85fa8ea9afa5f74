"""Channel-wise distillation: zero for identical features, positive otherwise; schedule; detector."""
import math

import pytest
import torch
from mmengine.config import Config

from detection.engine import DistillWeightHook
from detection.models.losses import ChannelWiseDistillLoss, channel_wise_divergence
from detection.runtime import build_detector_from_config, load_config

from .conftest import CONFIG_DIR, SLIM_T


def test_divergence_is_zero_for_identical_features_and_positive_otherwise():
    gen = torch.Generator().manual_seed(0)
    t = torch.randn(2, 5, 6, 7, generator=gen)
    assert channel_wise_divergence(t, t.clone()).abs() < 1e-6
    s = t + 0.3 * torch.randn(t.shape, generator=gen)
    assert channel_wise_divergence(s, t) > 1e-3
    # A per-channel constant shift does not change a spatial softmax: CWD ignores it.
    assert channel_wise_divergence(t + 4.0, t).abs() < 1e-5


def test_divergence_matches_the_kl_definition():
    gen = torch.Generator().manual_seed(1)
    s, t = torch.randn(1, 2, 3, 3, generator=gen), torch.randn(1, 2, 3, 3, generator=gen)
    tau = 2.0
    expected = 0.0
    for c in range(2):
        p = torch.softmax(t[0, c].flatten() / tau, 0)
        q = torch.softmax(s[0, c].flatten() / tau, 0)
        expected += float((p * (p / q).log()).sum())
    assert channel_wise_divergence(s, t, tau).item() == pytest.approx(expected * tau**2 / 2, rel=1e-5)


def test_loss_with_identity_alignment_is_zero_for_identical_features():
    loss = ChannelWiseDistillLoss([4, 8], [4, 8])
    with torch.no_grad():
        for conv in loss.align:
            conv.weight.copy_(torch.eye(conv.out_channels).reshape(conv.out_channels, -1, 1, 1))
            conv.bias.zero_()
    feats = [torch.randn(2, 4, 8, 8), torch.randn(2, 8, 4, 4)]
    assert loss(feats, [f.clone() for f in feats]).abs() < 1e-5
    other = [f.flip(-1) for f in feats]
    assert loss(feats, other) > 1e-3


def test_loss_aligns_student_channels_to_the_teacher_and_trains_the_alignment():
    loss = ChannelWiseDistillLoss([4], [16])
    value = loss([torch.randn(2, 4, 8, 8)], [torch.randn(2, 16, 8, 8)])
    value.backward()
    assert value > 0 and loss.align[0].weight.grad.abs().sum() > 0


def test_weight_decays_from_one_to_a_tenth_along_a_cosine():
    hook = DistillWeightHook(1.0, 0.1)
    assert hook.weight(0, 100) == pytest.approx(1.0)
    assert hook.weight(50, 100) == pytest.approx(0.55)
    assert hook.weight(100, 100) == pytest.approx(0.1)
    assert hook.weight(25, 100) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)


def test_distill_detector_adds_the_loss_and_keeps_the_teacher_frozen(tmp_path):
    # Student and teacher: the slim T (the teacher config is a file, as in the real configs).
    teacher_cfg = tmp_path / 'teacher.py'
    load_config(SLIM_T).dump(str(teacher_cfg))
    cfg = load_config(SLIM_T)
    cfg.model.update(type='FeatureDistillDetector', teacher_config=str(teacher_cfg), teacher_ckpt=None,
                     distill_loss=dict(type='ChannelWiseDistillLoss', student_channels=[32, 64, 128],
                                       teacher_channels=[32, 64, 128]))
    model = build_detector_from_config(Config(cfg.to_dict())).train()
    assert not model.teacher.training
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    samples = []
    for _ in range(2):
        s = DetDataSample(metainfo=dict(img_shape=(64, 64), pad_shape=(64, 64)))
        s.gt_instances = InstanceData(bboxes=torch.tensor([[8., 8., 40., 40.]]), labels=torch.tensor([1]))
        samples.append(s)
    model.distill_weight = 0.5
    losses = model.loss(torch.rand(2, 3, 64, 64) * 255, samples)
    assert set(losses) == {'loss_cls', 'loss_bbox', 'loss_dfl', 'loss_distill'}
    assert losses['loss_distill'] > 0
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    assert model.distill_loss.align[0].weight.grad is not None


def test_missing_teacher_checkpoint_names_the_key():
    name = 'damoyolo-distill_tinynas-l20-t-from-l25-s_8xb32-300e_coco.py'
    cfg = load_config(CONFIG_DIR / 'damoyolo' / name)
    cfg.model.teacher_ckpt = '/nonexistent/teacher.pth'
    model = build_detector_from_config(cfg)
    with pytest.raises(FileNotFoundError, match='model.teacher_ckpt'):
        model.init_weights()
