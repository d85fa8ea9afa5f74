"""The ReID embedding head: pooling -> optional reduction -> BNNeck -> (dropout) -> classifier.

Following the "bag of tricks" baseline (Luo et al., CVPRW 2019) used by DMT, fast-reid and
Bias-Eliminate:

* ``global_feat``: the pooled descriptor (after the optional bias-free reduction ``Linear``); DMT
  computes its triplet loss on it.
* ``bn_feat``: ``global_feat`` after the BNNeck, a ``BatchNorm1d`` whose bias is frozen at zero
  (the batch-normalised feature separates identities on the hypersphere); the classifier reads it and
  it is the test-time feature, L2-normalised by ``common.reid.features.extract_features``.
* ``logits``: a bias-free ``Linear`` classifier, or a CosFace/ArcFace/Circle margin classifier.

Bias-Eliminate's head (GAP+GMP -> Linear 2048->512 -> BN -> dropout 0.7, with a trainable BN bias)
is ``pooling="avgmax", reduction_dim=512, bnneck_bias_frozen=False, dropout=0.7``.
"""
from __future__ import annotations

import torch
from torch import nn

from .margin_classifiers import MARGIN_LOGITS, MarginClassifier
from .pooling import build_pooling


class EmbeddingHead(nn.Module):
    """Pooling, reduction, BNNeck and identity classifier.

    Args:
        in_channels: channels C of the backbone output.
        num_classes: number of training identities; 0 builds no classifier (feature extraction only).
        pooling: ``"avg"``, ``"gem"``, ``"avgmax"`` or ``"identity"`` (see ``common.reid.pooling``).
        reduction_dim: if > 0, a bias-free ``Linear(C, reduction_dim)`` after pooling.
        bnneck: put the BNNeck ``BatchNorm1d`` before the classifier (``False``: ``bn_feat = global_feat``).
        bnneck_bias_frozen: keep the BNNeck bias at zero (the BNNeck of the bag of tricks / DMT).
        dropout: dropout probability on ``bn_feat`` during training.
        classifier: ``"linear"`` (bias-free), ``"cosface"``, ``"arcface"`` or ``"circle"``.
        scale, margin: of the margin classifiers (DMT: 64 and 0.35).
        neck_feat: test-time feature, ``"after"`` (post-BN, default) or ``"before"`` the BNNeck.

    Shapes: ``x`` is ``[B, C, h, w]`` (or ``[B, C]`` with ``pooling="identity"``), D = ``feat_dim``.
        Training: ``{"global_feat": [B, D], "bn_feat": [B, D], "logits": [B, num_classes]}``
        (no ``logits`` when ``num_classes == 0``). Evaluation: ``[B, D]``.
    """

    def __init__(self, in_channels: int, num_classes: int, *, pooling: str = "avg", reduction_dim: int = 0,
                 bnneck: bool = True, bnneck_bias_frozen: bool = True, dropout: float = 0.0,
                 classifier: str = "linear", scale: float = 64.0, margin: float = 0.35,
                 neck_feat: str = "after") -> None:
        super().__init__()
        if neck_feat not in ("after", "before"):
            raise ValueError(f"neck_feat must be 'after' or 'before', got {neck_feat!r}")
        if classifier != "linear" and classifier not in MARGIN_LOGITS:
            raise ValueError(f"unknown classifier '{classifier}': choose 'linear' or one of "
                             f"{', '.join(MARGIN_LOGITS)}")
        self.pool = build_pooling(pooling)
        self.reduction = None
        self.feat_dim = in_channels
        if reduction_dim > 0:
            self.reduction = nn.Linear(in_channels, reduction_dim, bias=False)
            nn.init.xavier_uniform_(self.reduction.weight)
            self.feat_dim = reduction_dim
        self.bottleneck = nn.BatchNorm1d(self.feat_dim) if bnneck else None
        if self.bottleneck is not None and bnneck_bias_frozen:
            self.bottleneck.bias.requires_grad_(False)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.neck_feat = neck_feat
        self.classifier_kind, self.scale, self.margin = classifier, scale, margin
        self.classifier = self._make_classifier(num_classes)

    def _make_classifier(self, num_classes: int) -> nn.Module | None:
        if num_classes <= 0:
            return None
        if self.classifier_kind == "linear":
            layer = nn.Linear(self.feat_dim, num_classes, bias=False)
            nn.init.normal_(layer.weight, std=0.001)
            return layer
        return MarginClassifier(self.feat_dim, num_classes, self.classifier_kind, self.scale, self.margin)

    @property
    def num_classes(self) -> int:
        return 0 if self.classifier is None else self.classifier.weight.shape[0]

    def reset_classifier(self, num_classes: int, weight: torch.Tensor | None = None) -> None:
        """Replace the classifier, e.g. for pseudo-labels after clustering.

        Args:
            num_classes: the new number of classes.
            weight: optional ``[num_classes, feat_dim]`` initial weights (DMT stage 2 initialises the
                classifier with the cluster-mean features).
        """
        device = next((p.device for p in self.parameters()), None)
        self.classifier = self._make_classifier(num_classes)
        if weight is not None:
            if self.classifier is None or tuple(weight.shape) != tuple(self.classifier.weight.shape):
                raise ValueError(f"classifier weight must have shape ({num_classes}, {self.feat_dim}), "
                                 f"got {tuple(weight.shape)}")
            with torch.no_grad():
                self.classifier.weight.copy_(weight)
        if self.classifier is not None and device is not None:
            self.classifier.to(device)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor] | torch.Tensor:
        global_feat = self.pool(x)
        if self.reduction is not None:
            global_feat = self.reduction(global_feat)
        bn_feat = global_feat if self.bottleneck is None else self.bottleneck(global_feat)
        if not self.training:
            return bn_feat if self.neck_feat == "after" else global_feat
        if self.dropout is not None:
            bn_feat = self.dropout(bn_feat)
        out = {"global_feat": global_feat, "bn_feat": bn_feat}
        if self.classifier is not None:
            if isinstance(self.classifier, MarginClassifier):
                if targets is None:
                    raise ValueError(f"the {self.classifier_kind} classifier needs the labels in training")
                out["logits"] = self.classifier(bn_feat, targets)
            else:
                out["logits"] = self.classifier(bn_feat)
        return out
