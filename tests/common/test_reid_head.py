"""Pooling, embedding head (BNNeck, reduction, classifiers), margin logits and the ReID model."""
import math

import pytest
import torch

from common.reid.head import EmbeddingHead
from common.reid.margin_classifiers import MarginClassifier, arcface_logits, circle_logits, cosface_logits
from common.reid.model import build_reid_model
from common.reid.pooling import AvgMaxPooling, GeneralizedMeanPooling, build_pooling


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_gem_pooling_closed_forms():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])  # [1, 1, 2, 2]
    gem = GeneralizedMeanPooling(p=3.0)
    assert torch.allclose(gem(x), torch.tensor([[((1 + 8 + 27 + 64) / 4) ** (1 / 3)]]))
    assert torch.allclose(GeneralizedMeanPooling(p=1.0)(x), x.mean(dim=(2, 3)))
    assert torch.allclose(GeneralizedMeanPooling(p=60.0)(x), torch.tensor([[4.0]]), atol=0.1)
    assert gem.p.requires_grad
    assert torch.allclose(AvgMaxPooling()(x), torch.tensor([[2.5 + 4.0]]))
    with pytest.raises(ValueError, match="unknown pooling"):
        build_pooling("max")


def test_bnneck_bias_is_frozen_at_zero_while_its_weight_trains():
    head = EmbeddingHead(8, 5)
    opt = torch.optim.SGD([p for p in head.parameters() if p.requires_grad], lr=0.5)
    out = head(torch.randn(6, 8, 2, 2))
    torch.nn.functional.cross_entropy(out["logits"], torch.tensor([0, 1, 2, 3, 4, 0])).backward()
    weight_before = head.bottleneck.weight.detach().clone()
    opt.step()
    assert not head.bottleneck.bias.requires_grad
    assert torch.equal(head.bottleneck.bias, torch.zeros(8))
    assert not torch.equal(head.bottleneck.weight, weight_before)
    assert head.classifier.bias is None


def test_head_outputs_in_training_and_evaluation():
    head = EmbeddingHead(16, 7, reduction_dim=4, pooling="avgmax")
    x = torch.randn(5, 16, 3, 2)
    out = head(x)
    assert set(out) == {"global_feat", "bn_feat", "logits"}
    assert out["global_feat"].shape == out["bn_feat"].shape == (5, 4)
    assert out["logits"].shape == (5, 7)
    # BN in training normalises with the batch statistics (zero mean per channel, frozen zero bias)
    assert torch.allclose(out["bn_feat"].mean(0), torch.zeros(4), atol=1e-5)
    head.eval()
    feat = head(x)
    expected = head.bottleneck(head.reduction(x.mean(dim=(2, 3)) + x.amax(dim=(2, 3))))
    assert torch.allclose(feat, expected)
    head.neck_feat = "before"
    assert torch.allclose(head(x), head.reduction(x.mean(dim=(2, 3)) + x.amax(dim=(2, 3))))


def test_head_without_classifier_and_classifier_reset():
    head = EmbeddingHead(8, 0)
    assert "logits" not in head(torch.randn(4, 8, 2, 2)) and head.num_classes == 0
    centres = torch.randn(3, 8)
    head.reset_classifier(3, centres)
    assert head.num_classes == 3 and torch.equal(head.classifier.weight, centres)
    with pytest.raises(ValueError, match=r"shape \(2, 8\)"):
        head.reset_classifier(2, torch.randn(3, 8))


def test_cosface_logits_by_hand():
    cos = torch.tensor([[0.5, -0.2, 0.1], [0.3, 0.9, 0.0]])
    logits = cosface_logits(cos, torch.tensor([0, 1]), scale=10.0, margin=0.25)
    assert torch.allclose(logits, torch.tensor([[2.5, -2.0, 1.0], [3.0, 6.5, 0.0]]))


def test_arcface_logits_by_hand():
    m = 0.5
    cos = torch.tensor([[0.6, 0.2], [-0.95, 0.1]])
    logits = arcface_logits(cos, torch.tensor([0, 0]), scale=2.0, margin=m)
    # theta + m < pi: cos(acos(0.6) + 0.5) = 0.6 cos 0.5 - 0.8 sin 0.5
    target0 = 0.6 * math.cos(m) - 0.8 * math.sin(m)
    # cos = -0.95 < cos(pi - m): the fallback cos - m sin(m)
    target1 = -0.95 - m * math.sin(m)
    expected = torch.tensor([[2 * target0, 0.4], [2 * target1, 0.2]])
    assert torch.allclose(logits, expected, atol=1e-6)


def test_circle_logits_by_hand_and_detached_weights():
    m, s = 0.25, 4.0
    cos = torch.tensor([[0.6, 0.3, -0.5]], requires_grad=True)
    logits = circle_logits(cos, torch.tensor([0]), scale=s, margin=m)
    a_p = 1 + m - 0.6                       # 0.65
    a_n = [0.3 + m, max(-0.5 + m, 0.0)]     # 0.55, 0
    expected = [s * a_p * (0.6 - (1 - m)), s * a_n[0] * (0.3 - m), 0.0]
    assert torch.allclose(logits, torch.tensor([expected]), atol=1e-6)
    logits.sum().backward()  # the weights a_p, a_n are constants: d logit / d cos = s * a
    assert torch.allclose(cos.grad, torch.tensor([[s * a_p, s * a_n[0], 0.0]]), atol=1e-6)


def test_margin_classifier_uses_cosine_and_scale():
    clf = MarginClassifier(4, 3, kind="cosface", scale=30.0, margin=0.35)
    feats = torch.randn(5, 4)
    cos = torch.nn.functional.normalize(feats) @ torch.nn.functional.normalize(clf.weight).t()
    assert torch.allclose(clf(feats), 30.0 * cos, atol=1e-5)  # no labels: plain scaled cosine
    targets = torch.tensor([0, 1, 2, 0, 1])
    assert torch.allclose(clf(feats, targets), cosface_logits(cos, targets, 30.0, 0.35), atol=1e-5)
    head = EmbeddingHead(4, 3, pooling="identity", classifier="arcface")
    with pytest.raises(ValueError, match="needs the labels"):
        head(torch.randn(2, 4))


def test_build_reid_model_normalises_inputs_with_buffers_and_checks_pooling():
    model = build_reid_model(4, dict(name="resnet18_ibn_a", base_channels=8), dict(pooling="gem"),
                             pixel_mean=(0.5, 0.5, 0.5), pixel_std=(0.5, 0.5, 0.5))
    assert "pixel_mean" in model.state_dict() and "pixel_std" in model.state_dict()
    model.eval()
    images = torch.rand(2, 3, 64, 32)
    with torch.no_grad():
        expected = model.head(model.backbone((images - 0.5) / 0.5))
        assert torch.allclose(model(images), expected)
    vit = build_reid_model(4, dict(name="vit_tiny_patch16_transreid", img_size=(32, 32), depth=1))
    assert vit.head.pool.__class__.__name__ == "IdentityPooling" and vit.feat_dim == 192
    with pytest.raises(ValueError, match="pooling='identity'"):
        build_reid_model(4, dict(name="vit_tiny_patch16_transreid", img_size=(32, 32), depth=1),
                         dict(pooling="gem"))
    with pytest.raises(ValueError, match="feature map"):
        build_reid_model(4, dict(name="resnet18_ibn_a"), dict(pooling="identity"))
    with pytest.raises(ValueError, match=r"expected images \[B, 3, H, W\]"):
        model(torch.rand(2, 64, 32))
