"""GFLV2Head: the Generalized Focal Loss V2 head (GFocalV2, with DGQP) used by GiraffeDet."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, Scale
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.dense_heads import GFLHead
from mmdet.models.utils import filter_scores_and_topk
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import ConfigType, InstanceList, MultiConfig, OptConfigType
from ..layers import DistributionGuidedQualityPredictor
from .fp32_loss import fp32_loss


@MODELS.register_module()
class GFLV2Head(GFLHead):
    """GFocalV2 head: mmdet's GFL head whose classification score is multiplied by a
    localization quality predicted from the box distributions (DGQP).

    Per level: ``stacked_convs`` Conv-Norm-Act on a classification and a regression branch;
    ``gfl_reg`` gives per side a distribution over ``reg_max + 1`` bins (times a learnable
    ``Scale``); :class:`DistributionGuidedQualityPredictor` turns its top-k statistics into a
    quality ``q``; the score is ``sigmoid(gfl_cls) * q``, a probability of "class and IoU". One
    anchor point per location (``AnchorGenerator`` with one square anchor, used by ATSS for
    assignment; boxes are decoded from its centre).

    Losses as in the official code: QFL (weight 1.0, on probabilities, target = IoU of the decoded
    box with its ground truth, averaged over positives); GIoU (2.0) and DFL (0.25) on positives,
    weighted by the prior's highest score and normalised by the sum of those weights (x4 for DFL).
    Assignment is mmdet's ``ATSSAssigner`` (``train_cfg.assigner``, topk 9) inherited from
    ``GFLHead``, with its ``PseudoSampler``.

    Args:
        num_classes: number of object classes C.
        in_channels: channels of every input level.
        feat_channels: width of the stacked convs.
        stacked_convs: convs per branch (GiraffeDet: 2).
        reg_max: largest distance bin, in strides (16).
        reg_topk: DGQP statistics per side (4).
        reg_channels: DGQP hidden width (64).
        add_mean: DGQP also uses the mean of the top-k values.
        conv_cfg: conv config of the stacked convs.
        norm_cfg: norm of the stacked convs (official: GN, 32 groups).
        act_cfg: activation of the stacked convs (official: ReLU, ``ConvModule``'s default).
        anchor_generator: one anchor per location (octave_base_scale 8, strides 8-128).
        bbox_coder: ``DistancePointBBoxCoder``.
        loss_cls: ``QualityFocalLoss`` with ``activated=True`` (scores are probabilities).
        loss_bbox: ``GIoULoss``.
        loss_dfl: ``DistributionFocalLoss``.
        train_cfg: holds ``assigner`` (``ATSSAssigner``), ``allowed_border``, ``pos_weight``.
        test_cfg: ``nms_pre`` (per level), ``score_thr``, ``nms``, ``max_per_img``.
        init_cfg: mmengine initialisation config (official: N(0, 0.01) for every conv, DGQP
            included, classification bias for a 0.01 prior).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 feat_channels: int = 256,
                 stacked_convs: int = 2,
                 reg_max: int = 16,
                 reg_topk: int = 4,
                 reg_channels: int = 64,
                 add_mean: bool = True,
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='GN', num_groups=32, requires_grad=True),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 anchor_generator: ConfigType = dict(
                     type='AnchorGenerator', ratios=[1.0], octave_base_scale=8,
                     scales_per_octave=1, strides=[8, 16, 32, 64, 128]),
                 bbox_coder: ConfigType = dict(type='DistancePointBBoxCoder'),
                 loss_cls: ConfigType = dict(type='QualityFocalLoss', use_sigmoid=True,
                                             activated=True, beta=2.0, loss_weight=1.0),
                 loss_bbox: ConfigType = dict(type='GIoULoss', loss_weight=2.0),
                 loss_dfl: ConfigType = dict(type='DistributionFocalLoss', loss_weight=0.25),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: MultiConfig = dict(
                     type='Normal', layer='Conv2d', std=0.01,
                     override=dict(type='Normal', name='gfl_cls', std=0.01, bias_prob=0.01))
                 ) -> None:
        if not loss_cls.get('activated', False):
            raise ValueError('GFLV2Head scores are probabilities (sigmoid x DGQP quality): '
                             'loss_cls must be QualityFocalLoss with activated=True')
        # Read by _init_layers, which the parent constructor calls.
        self.reg_topk = reg_topk
        self.reg_channels = reg_channels
        self.add_mean = add_mean
        self.act_cfg = act_cfg
        super().__init__(
            num_classes=num_classes,
            in_channels=in_channels,
            stacked_convs=stacked_convs,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            loss_dfl=loss_dfl,
            bbox_coder=bbox_coder,
            reg_max=reg_max,
            init_cfg=init_cfg,
            feat_channels=feat_channels,
            anchor_generator=anchor_generator,
            loss_cls=loss_cls,
            loss_bbox=loss_bbox,
            train_cfg=train_cfg,
            test_cfg=test_cfg)

    def _init_layers(self) -> None:
        """Stacked convs, ``gfl_cls``, ``gfl_reg``, per-level ``scales`` and the DGQP."""
        def tower() -> nn.ModuleList:
            return nn.ModuleList(
                ConvModule(self.in_channels if i == 0 else self.feat_channels, self.feat_channels,
                           3, padding=1, conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                           act_cfg=self.act_cfg) for i in range(self.stacked_convs))

        if self.num_base_priors != 1:
            raise ValueError(f'GFLV2Head is anchor-point based: one anchor per location, got '
                             f'{self.num_base_priors} (anchor_generator ratios/scales)')
        self.cls_convs = tower()
        self.reg_convs = tower()
        self.gfl_cls = nn.Conv2d(self.feat_channels, self.cls_out_channels, 3, padding=1)
        self.gfl_reg = nn.Conv2d(self.feat_channels, 4 * (self.reg_max + 1), 3, padding=1)
        self.scales = nn.ModuleList(Scale(1.0) for _ in self.prior_generator.strides)
        self.dgqp = DistributionGuidedQualityPredictor(self.reg_max, self.reg_topk,
                                                       self.reg_channels, self.add_mean)

    # ------------------------------------------------------------------------------------ forward
    def forward_single(self, x: Tensor, scale: Scale) -> tuple[Tensor, Tensor]:
        """One level.

        Args:
            x: ``(N, in_channels, H, W)``.
            scale: the level's learnable scale of the distribution logits.

        Returns:
            ``cls_score (N, C, H, W)``: joint class-quality probabilities
            ``sigmoid(gfl_cls) * DGQP``; ``bbox_pred (N, 4 * (reg_max + 1), H, W)``: DFL logits.
        """
        cls_feat, reg_feat = x, x
        for conv in self.cls_convs:
            cls_feat = conv(cls_feat)
        for conv in self.reg_convs:
            reg_feat = conv(reg_feat)
        bbox_pred = scale(self.gfl_reg(reg_feat)).float()
        cls_score = self.gfl_cls(cls_feat).sigmoid() * self.dgqp(bbox_pred)
        return cls_score, bbox_pred

    # --------------------------------------------------------------------------------------- loss
    @fp32_loss
    def loss_by_feat(self, cls_scores: list[Tensor], bbox_preds: list[Tensor], *args, **kwargs) -> dict:
        """mmdet's ``GFLHead.loss_by_feat`` (ATSS targets, then :meth:`loss_by_feat_single` per level),
        in float32 under mixed precision."""
        return super().loss_by_feat(cls_scores, bbox_preds, *args, **kwargs)

    def loss_by_feat_single(self, anchors: Tensor, cls_score: Tensor, bbox_pred: Tensor,
                            labels: Tensor, label_weights: Tensor, bbox_targets: Tensor,
                            stride: tuple[int, int], avg_factor: float) -> tuple:
        """QFL, GIoU and DFL of one level (GIoU/DFL still to be divided by the summed weights).

        Args:
            anchors: ``(N, P_l, 4)`` anchors of the level.
            cls_score: ``(N, C, H, W)`` probabilities; ``bbox_pred``: ``(N, 4 * (R + 1), H, W)``.
            labels, label_weights: ``(N, P_l)``; background label is C.
            bbox_targets: ``(N, P_l, 4)`` matched ground-truth boxes (pixels).
            stride: the level's stride.
            avg_factor: number of positives over all levels and GPUs (QFL normaliser).

        Returns:
            ``loss_cls``, ``loss_bbox``, ``loss_dfl`` and the sum of the positives' weights.
        """
        anchors = anchors.reshape(-1, 4)
        scores = cls_score.permute(0, 2, 3, 1).reshape(-1, self.cls_out_channels)
        logits = bbox_pred.permute(0, 2, 3, 1).reshape(-1, 4 * (self.reg_max + 1))
        bbox_targets = bbox_targets.reshape(-1, 4)
        labels = labels.reshape(-1)
        label_weights = label_weights.reshape(-1)
        pos = torch.nonzero((labels >= 0) & (labels < self.num_classes)).squeeze(1)
        iou_targets = label_weights.new_zeros(labels.shape)
        if len(pos) > 0:
            centers = self.anchor_center(anchors[pos]) / stride[0]  # in units of the stride
            weights = scores.detach().max(dim=1).values[pos]
            pred_boxes = self.bbox_coder.decode(centers, self.integral(logits[pos]))
            target_boxes = bbox_targets[pos] / stride[0]
            iou_targets[pos] = bbox_overlaps(pred_boxes.detach(), target_boxes, is_aligned=True)
            loss_bbox = self.loss_bbox(pred_boxes, target_boxes, weight=weights, avg_factor=1.0)
            target_distances = self.bbox_coder.encode(centers, target_boxes, self.reg_max)
            loss_dfl = self.loss_dfl(logits[pos].reshape(-1, self.reg_max + 1),
                                     target_distances.reshape(-1),
                                     weight=weights[:, None].expand(-1, 4).reshape(-1),
                                     avg_factor=4.0)
            weight_sum = weights.sum()
        else:
            loss_bbox = logits.sum() * 0
            loss_dfl = logits.sum() * 0
            weight_sum = logits.new_tensor(0.)
        loss_cls = self.loss_cls(scores, (labels, iou_targets), weight=label_weights,
                                 avg_factor=avg_factor)
        return loss_cls, loss_bbox, loss_dfl, weight_sum

    # ------------------------------------------------------------------------------------ predict
    def decode_all(self, cls_scores: Sequence[Tensor],
                   bbox_preds: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Scores ``(N, P, C)`` and unclipped boxes ``(N, P, 4)`` (x1, y1, x2, y2, input pixels)
        for the ``P`` anchor points of all levels, before NMS (the deployment graph's output)."""
        sizes = [s.shape[-2:] for s in cls_scores]
        anchors = self.prior_generator.grid_priors(sizes, dtype=cls_scores[0].dtype,
                                                   device=cls_scores[0].device)
        centers = self.anchor_center(torch.cat(anchors))
        strides = torch.cat([a.new_full((a.shape[0], 1), float(s[0]))
                             for a, s in zip(anchors, self.prior_generator.strides)])
        scores = torch.cat([s.flatten(2) for s in cls_scores], 2).permute(0, 2, 1)
        logits = torch.cat([b.flatten(2) for b in bbox_preds], 2).permute(0, 2, 1)
        n, p, _ = logits.shape
        distances = self.integral(logits.reshape(n * p, -1)).reshape(n, p, 4) * strides
        return scores, self.bbox_coder.decode(centers[None].expand(n, p, 2), distances)

    def predict_by_feat(self,
                        cls_scores: list[Tensor],
                        bbox_preds: list[Tensor],
                        score_factors: Optional[list[Tensor]] = None,
                        batch_img_metas: Optional[list[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Boxes after per-level score filtering (``score_thr``, at most ``nms_pre`` candidates
        per level, as the official code) and class-aware NMS.

        Returns:
            per image an ``InstanceData`` with ``bboxes (K, 4)``, ``scores (K,)``, ``labels (K,)``.
        """
        cfg = self.test_cfg if cfg is None else cfg
        scores, boxes = self.decode_all(cls_scores, bbox_preds)
        level_sizes = [s.shape[-2:].numel() for s in cls_scores]
        nms_pre = cfg.get('nms_pre', -1)
        results_list = []
        for img_scores, img_boxes, img_meta in zip(scores, boxes, batch_img_metas):
            height, width = img_meta['img_shape'][:2]
            img_boxes = torch.minimum(img_boxes.clamp(min=0),
                                      img_boxes.new_tensor([width, height, width, height]))
            kept = [filter_scores_and_topk(s, cfg.get('score_thr', 0),
                                           nms_pre if nms_pre > 0 else s.numel(), dict(bboxes=b))
                    for s, b in zip(img_scores.split(level_sizes), img_boxes.split(level_sizes))]
            results = InstanceData(bboxes=torch.cat([k[3]['bboxes'] for k in kept]),
                                   scores=torch.cat([k[0] for k in kept]),
                                   labels=torch.cat([k[1] for k in kept]))
            results_list.append(self._bbox_post_process(results, cfg, rescale, with_nms, img_meta))
        return results_list
