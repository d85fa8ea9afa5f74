"""Losses against hand-computed values: label-smoothed CE, batch-hard and weighted triplets."""
import math

import pytest
import torch
import torch.nn.functional as F

from common.reid.losses import (ReIDLoss, cross_entropy_loss, euclidean_distance, hard_example_mining,
                                triplet_loss, weighted_example_mining)

# 1-D embeddings: identity 0 at 0 and 1, identity 1 at 3 and 7.
FEATS = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
PIDS = torch.tensor([0, 0, 1, 1])


def softplus(x):
    return math.log1p(math.exp(x))


def test_label_smoothed_cross_entropy_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    eps = 0.1
    log_p = [2.0 - math.log(math.exp(2) + 1 + math.exp(-1)), -math.log(math.exp(2) + 1 + math.exp(-1)),
             -1.0 - math.log(math.exp(2) + 1 + math.exp(-1))]
    # targets (1 - eps) onehot + eps / K (Szegedy et al.; DMT/Bias-Eliminate CrossEntropyLabelSmooth)
    expected = -((1 - eps) * log_p[0] + eps / 3 * sum(log_p))
    smoothed = cross_entropy_loss(logits, torch.tensor([0]), label_smoothing=eps)
    assert smoothed.item() == pytest.approx(expected)
    assert cross_entropy_loss(logits, torch.tensor([0])).item() == pytest.approx(-log_p[0])


def test_euclidean_distance_matches_cdist():
    x, y = torch.randn(5, 7), torch.randn(4, 7)
    assert torch.allclose(euclidean_distance(x, y), torch.cdist(x, y), atol=1e-5)


def test_batch_hard_mining_by_hand():
    d_ap, d_an = hard_example_mining(euclidean_distance(FEATS, FEATS), PIDS)
    assert torch.allclose(d_ap, torch.tensor([1.0, 1.0, 4.0, 4.0]), atol=1e-5)
    assert torch.allclose(d_an, torch.tensor([3.0, 2.0, 2.0, 6.0]), atol=1e-5)


def test_batch_hard_triplet_with_margin_and_soft_margin_by_hand():
    # hinge max(0, d_ap - d_an + 0.3): only anchor 2 (4 - 2 + 0.3) is active
    assert triplet_loss(FEATS, PIDS, margin=0.3).item() == pytest.approx(2.3 / 4, abs=1e-5)
    soft = (softplus(1 - 3) + softplus(1 - 2) + softplus(4 - 2) + softplus(4 - 6)) / 4
    assert triplet_loss(FEATS, PIDS, margin=0.0).item() == pytest.approx(soft, abs=1e-5)


def test_weighted_triplet_by_hand():
    def wmean(values, weights):
        return sum(v * w for v, w in zip(values, weights)) / sum(weights)

    # positives include the anchor itself (distance 0), weights exp(d); negatives weights exp(-d)
    pos = [[0, 1], [1, 0], [0, 4], [4, 0]]
    neg = [[3, 7], [2, 6], [3, 2], [7, 6]]
    d_ap = [wmean(p, [math.exp(v) for v in p]) for p in pos]
    d_an = [wmean(n, [math.exp(-v) for v in n]) for n in neg]
    got_ap, got_an = weighted_example_mining(euclidean_distance(FEATS, FEATS), PIDS)
    assert torch.allclose(got_ap, torch.tensor(d_ap), atol=1e-5)
    assert torch.allclose(got_an, torch.tensor(d_an), atol=1e-5)
    expected = sum(softplus(a - n) for a, n in zip(d_ap, d_an)) / 4
    assert triplet_loss(FEATS, PIDS, mining="weighted").item() == pytest.approx(expected, abs=1e-5)


def test_triplet_normalize_uses_unit_vectors():
    feats = torch.tensor([[2.0, 0.0], [0.0, 5.0], [3.0, 0.1], [0.1, 1.0]])
    pids = torch.tensor([0, 1, 0, 1])
    assert triplet_loss(feats, pids, 0.3, normalize=True).item() == pytest.approx(
        triplet_loss(F.normalize(feats), pids, 0.3).item(), abs=1e-6)


def test_triplet_with_unequal_instances_and_duplicates_has_finite_gradients():
    feats = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], requires_grad=True)
    pids = torch.tensor([0, 0, 0, 1, 2])
    for mining in ("hard", "weighted"):
        loss = triplet_loss(feats, pids, mining=mining)
        (grad,) = torch.autograd.grad(loss, feats)
        assert torch.isfinite(loss) and torch.isfinite(grad).all()


def test_triplet_needs_two_identities():
    with pytest.raises(ValueError, match="at least two identities"):
        triplet_loss(torch.randn(4, 3), torch.zeros(4, dtype=torch.long))


def test_reid_loss_named_weighted_terms():
    outputs = {"logits": torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.0]]),
               "global_feat": FEATS, "bn_feat": FEATS * 2}
    pids = torch.tensor([0, 0, 1, 1])
    loss = ReIDLoss(ce=dict(weight=0.5, label_smoothing=0.1), triplet=dict(weight=2.0, margin=0.3))
    values = loss(outputs, pids)
    assert set(values) == {"loss_ce", "loss_triplet"}
    assert values["loss_ce"].item() == pytest.approx(
        0.5 * F.cross_entropy(outputs["logits"], pids, label_smoothing=0.1).item())
    assert values["loss_triplet"].item() == pytest.approx(2.0 * 2.3 / 4, abs=1e-5)
    on_bn = ReIDLoss(triplet=dict(feature="bn_feat", margin=0.3))(outputs, pids)
    assert set(on_bn) == {"loss_triplet"}
    assert on_bn["loss_triplet"].item() == pytest.approx(triplet_loss(FEATS * 2, pids, 0.3).item())
    with pytest.raises(ValueError, match="unknown triplet loss option"):
        ReIDLoss(triplet=dict(margn=0.3))
    with pytest.raises(ValueError, match="logits"):
        ReIDLoss(ce={})({"global_feat": FEATS}, pids)
