"""ReID losses as small pure functions, and ``ReIDLoss``, which combines them into a named dict.

* ``cross_entropy_loss``: identity classification, optionally with label smoothing in the form of
  Szegedy et al. used by DMT, Bias-Eliminate and torchreid: targets ``(1 - eps) * onehot + eps / K``
  (this equals PyTorch's ``label_smoothing``; fast-reid spreads ``eps`` over the K - 1 other classes
  instead).
* ``triplet_loss`` (Hermans et al., 2017): Euclidean distances on the batch, with
  - ``mining="hard"``: for each anchor the farthest positive and the nearest negative (batch-hard);
  - ``mining="weighted"``: softmax-weighted positives (weights ``softmax(d)`` over positives,
    the anchor itself included, as in both official codes) and negatives (``softmax(-d)``), Bias-
    Eliminate's ``soft_example_mining`` / fast-reid's ``weighted_example_mining``;
  and either a hinge ``max(0, d_ap - d_an + margin)`` or, for ``margin=0``, the soft margin
  ``log(1 + exp(d_ap - d_an))`` (DMT: batch-hard soft margin; Bias-Eliminate: weighted soft margin
  on L2-normalised features).

Under DDP each process holds a share of the P x K batch (``IdentitySampler`` splits it by identity),
so a triplet loss on the local share would never see the other processes' identities as negatives.
``ReIDLoss`` therefore mines each local anchor against the features of *all* processes
(``gather_with_grad``): with DDP's gradient averaging this gives the single-process gradient of the
global batch (BatchNorm statistics aside). The official DMT DDP code mines per process.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


def cross_entropy_loss(logits: torch.Tensor, targets: torch.Tensor,
                       label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean cross-entropy. ``logits``: ``[B, K]``; ``targets``: ``[B]`` in ``[0, K)``; returns a scalar."""
    return F.cross_entropy(logits.float(), targets.long(), label_smoothing=label_smoothing)


def euclidean_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Pairwise Euclidean distances ``[M, D] x [N, D] -> [M, N]`` (squared distances clamped at 1e-12
    before the square root, so the gradient stays finite on the diagonal)."""
    squared = x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1).unsqueeze(0) - 2.0 * x @ y.t()
    return squared.clamp(min=1e-12).sqrt()


class _GatherWithGrad(torch.autograd.Function):
    """``all_gather`` along dim 0 whose backward returns this process's slice of the summed gradient."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.rank, ctx.rows = dist.get_rank(), x.shape[0]
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` (``[n, ...]``, the same shape on every process) over the processes, in rank
    order, keeping the gradient path to each process's own rows; ``x`` itself without a process group."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x
    if not x.requires_grad:
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return torch.cat(parts)
    return _GatherWithGrad.apply(x)


def _identity_masks(targets: torch.Tensor, gallery_targets: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    same = targets.view(-1, 1) == gallery_targets.view(1, -1)
    return same, ~same


def hard_example_mining(dist_mat: torch.Tensor, targets: torch.Tensor,
                        gallery_targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch-hard mining. ``dist_mat``: ``[N, M]`` anchor-to-gallery distances, ``targets``: ``[N]``,
    ``gallery_targets``: ``[M]`` (default: ``targets``, the batch against itself) -> ``(d_ap, d_an)``,
    each ``[N]``: the largest distance to a same-identity sample and the smallest to another identity
    (``inf`` if the anchor has no negative)."""
    is_pos, is_neg = _identity_masks(targets, targets if gallery_targets is None else gallery_targets)
    d_ap = dist_mat.masked_fill(~is_pos, float("-inf")).amax(dim=1)
    d_an = dist_mat.masked_fill(~is_neg, float("inf")).amin(dim=1)
    return d_ap, d_an


def _masked_softmax(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Row-wise softmax over the ``mask``-ed entries (zero elsewhere, and on rows without any)."""
    filled = values.masked_fill(~mask, torch.finfo(values.dtype).min)
    return torch.softmax(filled, dim=1) * mask


def weighted_example_mining(dist_mat: torch.Tensor, targets: torch.Tensor,
                            gallery_targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax-weighted mining. Shapes as in ``hard_example_mining``: ``d_ap = sum_p softmax(d)_p d_p``
    over positives (anchor included), ``d_an = sum_n softmax(-d)_n d_n`` over negatives."""
    is_pos, is_neg = _identity_masks(targets, targets if gallery_targets is None else gallery_targets)
    d_ap = (_masked_softmax(dist_mat, is_pos) * dist_mat).sum(dim=1)
    d_an = (_masked_softmax(-dist_mat, is_neg) * dist_mat).sum(dim=1)
    return d_ap, d_an


MINING = {"hard": hard_example_mining, "weighted": weighted_example_mining}


def triplet_loss(features: torch.Tensor, targets: torch.Tensor, margin: float = 0.0, mining: str = "hard",
                 normalize: bool = False, gather: bool = False) -> torch.Tensor:
    """Triplet loss over a batch.

    Args:
        features: ``[N, D]`` embeddings.
        targets: ``[N]`` identity labels.
        margin: hinge margin; 0 selects the soft margin ``softplus(d_ap - d_an)``.
        mining: ``"hard"`` or ``"weighted"``.
        normalize: L2-normalise the features first.
        gather: under DDP, mine the local anchors against the batches of all processes
            (``gather_with_grad``); a no-op in a single process.

    Returns:
        Scalar mean over the (local) anchors that have a negative.

    Raises:
        ValueError: the batch holds a single identity (no triplet can be formed).
    """
    if mining not in MINING:
        raise ValueError(f"unknown triplet mining '{mining}': choose one of {', '.join(MINING)}")
    features = features.float()
    if normalize:
        features = F.normalize(features, dim=1)
    gallery, gallery_targets = features, targets
    if gather:
        gallery, gallery_targets = gather_with_grad(features), gather_with_grad(targets)
    dist_mat = euclidean_distance(features, gallery)
    d_ap, d_an = MINING[mining](dist_mat, targets, gallery_targets)
    has_negative = (targets.view(-1, 1) != gallery_targets.view(1, -1)).any(dim=1)
    if not bool(has_negative.any()):
        raise ValueError("triplet loss needs at least two identities in the batch; use the P x K "
                         "IdentitySampler with P >= 2 identities per batch (per process)")
    d_ap, d_an = d_ap[has_negative], d_an[has_negative]
    if margin > 0:
        return F.relu(d_ap - d_an + margin).mean()
    return F.softplus(d_ap - d_an).mean()


class ReIDLoss(nn.Module):
    """Identity loss + triplet loss of a ``ReIDModel``'s training outputs, as a named dict.

    Args:
        ce: ``dict(weight=1.0, label_smoothing=0.0)``, or ``None`` for no classification loss.
        triplet: ``dict(weight=1.0, margin=0.0, mining="hard", feature="global_feat", normalize=False,
            gather=True)`` or ``None``. ``feature`` names the head output the triplet loss reads:
            ``"global_feat"`` (before the BNNeck; DMT, bag of tricks) or ``"bn_feat"`` (Bias-Eliminate).
            ``gather``: under DDP, mine against all processes' features (see the module docstring).

    ``forward(outputs, targets)`` returns ``{"loss_ce": ..., "loss_triplet": ...}`` (weighted scalar
    tensors, only the configured ones); their sum is the training objective.

    Examples::

        # DMT stage 1: plain CE + batch-hard soft-margin triplet on the pre-BNNeck feature
        ReIDLoss(ce=dict(weight=1.0), triplet=dict(weight=1.0, margin=0.0, mining="hard"))
        # Bias-Eliminate (trp_cls): label smoothing 0.1 + weighted soft-margin triplet on the
        # L2-normalised reduced, batch-normalised feature
        ReIDLoss(ce=dict(label_smoothing=0.1),
                 triplet=dict(mining="weighted", feature="bn_feat", normalize=True))
    """

    _CE_DEFAULTS = {"weight": 1.0, "label_smoothing": 0.0}
    _TRIPLET_DEFAULTS = {"weight": 1.0, "margin": 0.0, "mining": "hard", "feature": "global_feat",
                         "normalize": False, "gather": True}

    def __init__(self, ce: Mapping[str, Any] | None = None, triplet: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.ce = None if ce is None else self._merge("ce", self._CE_DEFAULTS, ce)
        self.triplet = None if triplet is None else self._merge("triplet", self._TRIPLET_DEFAULTS, triplet)
        if self.ce is None and self.triplet is None:
            raise ValueError("ReIDLoss needs at least one of 'ce' and 'triplet'")
        if self.triplet is not None:
            if self.triplet["feature"] not in ("global_feat", "bn_feat"):
                raise ValueError("triplet.feature must be 'global_feat' or 'bn_feat', "
                                 f"got {self.triplet['feature']!r}")
            if self.triplet["mining"] not in MINING:
                raise ValueError(f"triplet.mining must be one of {', '.join(MINING)}")

    @staticmethod
    def _merge(name: str, defaults: dict, cfg: Mapping[str, Any]) -> dict:
        unknown = sorted(set(cfg) - set(defaults))
        if unknown:
            raise ValueError(f"unknown {name} loss option(s) {unknown}; known: {sorted(defaults)}")
        return {**defaults, **cfg}

    def forward(self, outputs: Mapping[str, torch.Tensor], targets: torch.Tensor) -> dict[str, torch.Tensor]:
        losses = {}
        if self.ce is not None:
            if "logits" not in outputs:
                raise ValueError("the cross-entropy loss needs classifier logits: build the head with "
                                 "num_classes > 0")
            losses["loss_ce"] = self.ce["weight"] * cross_entropy_loss(
                outputs["logits"], targets, self.ce["label_smoothing"])
        if self.triplet is not None:
            t = self.triplet
            losses["loss_triplet"] = t["weight"] * triplet_loss(
                outputs[t["feature"]], targets, t["margin"], t["mining"], t["normalize"], t["gather"])
        return losses
