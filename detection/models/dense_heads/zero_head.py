"""ZeroHead: DAMO-YOLO's head with no stacked convs, one projection per task and level."""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmcv.cnn import Scale
from mmengine.config import ConfigDict
from mmengine.model import bias_init_with_prob, normal_init
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.dense_heads.base_dense_head import BaseDenseHead
from mmdet.models.dense_heads.gfl_head import Integral
from mmdet.models.utils import filter_scores_and_topk, multi_apply
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.utils import (ConfigType, InstanceList, OptConfigType, OptInstanceList,
                         OptMultiConfig, reduce_mean)
from .fp32_loss import fp32_loss


@MODELS.register_module()
class ZeroHead(BaseDenseHead):
    """Anchor-free head of DAMO-YOLO ("large neck, small head").

    Per level ``l`` there is one classification projection ``gfl_cls[l]`` (followed by a sigmoid)
    and one regression projection ``gfl_reg[l]`` predicting, for each side of the box, a
    distribution over ``reg_max + 1`` bins (DFL), multiplied by a learnable ``scales[l]``. Nothing
    is shared across levels. Box sides are the distribution's expectation times the stride,
    measured from grid points ``(x * s, y * s)`` (offset 0).

    Losses, as in the official code: QFL (weight 1.0, averaged over positives) on the sigmoid
    scores against IoU soft labels from :class:`AlignedOTAAssigner`; GIoU (2.0) and DFL (0.25)
    on positives, each weighted by the prior's highest predicted class score and normalised by
    the sum of those weights (x4 for DFL).

    Args:
        num_classes: number of object classes C.
        in_channels: channels of each input level.
        reg_max: largest distance bin, in strides (16; 7 for the Nano models).
        kernel_size: kernel of the two projections. The official default is 3 (T/S/M/L); the
            Nano models use 1 (a linear projection per prior).
        prior_generator: grid points (``MlvlPointGenerator``, offset 0, one stride per level).
        bbox_coder: distances <-> boxes (``DistancePointBBoxCoder``).
        loss_cls: ``QualityFocalLoss`` on probabilities (``activated=True``).
        loss_bbox: ``GIoULoss``.
        loss_dfl: ``DistributionFocalLoss``.
        train_cfg: holds ``assigner`` (``AlignedOTAAssigner``).
        test_cfg: ``score_thr``, ``nms_pre``, ``nms``, ``max_per_img``, ``min_bbox_size``, and
            ``clip_border`` (clip boxes to the image before NMS; default False, as the official
            post-processing, which neither clips nor drops degenerate boxes).
        init_cfg: mmengine initialisation config (the default follows the official init).
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 reg_max: int = 16,
                 kernel_size: int = 3,
                 prior_generator: ConfigType = dict(type='MlvlPointGenerator', offset=0,
                                                    strides=[8, 16, 32]),
                 bbox_coder: ConfigType = dict(type='DistancePointBBoxCoder'),
                 loss_cls: ConfigType = dict(type='QualityFocalLoss', use_sigmoid=True,
                                             activated=True, beta=2.0, loss_weight=1.0),
                 loss_bbox: ConfigType = dict(type='GIoULoss', loss_weight=2.0),
                 loss_dfl: ConfigType = dict(type='DistributionFocalLoss', loss_weight=0.25),
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.num_classes = num_classes
        self.cls_out_channels = num_classes
        self.in_channels = list(in_channels)
        self.reg_max = reg_max
        self.prior_generator = TASK_UTILS.build(prior_generator)
        if self.prior_generator.num_levels != len(self.in_channels):
            raise ValueError(f'ZeroHead: {len(self.in_channels)} input levels but the prior '
                             f'generator has {self.prior_generator.num_levels} strides')
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        self.loss_dfl = MODELS.build(loss_dfl)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        if train_cfg is not None:
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])
        self.integral = Integral(reg_max)
        pad = kernel_size // 2
        self.gfl_cls = nn.ModuleList(
            nn.Conv2d(c, num_classes, kernel_size, padding=pad) for c in self.in_channels)
        self.gfl_reg = nn.ModuleList(
            nn.Conv2d(c, 4 * (reg_max + 1), kernel_size, padding=pad) for c in self.in_channels)
        self.scales = nn.ModuleList(Scale(1.0) for _ in self.in_channels)

    def init_weights(self) -> None:
        """Official init: N(0, 0.01) projections, classification bias for a 0.01 prior."""
        super().init_weights()
        bias_cls = bias_init_with_prob(0.01)
        for cls_conv, reg_conv in zip(self.gfl_cls, self.gfl_reg):
            normal_init(cls_conv, std=0.01, bias=bias_cls)
            normal_init(reg_conv, std=0.01)

    # ------------------------------------------------------------------------------------ forward
    def forward(self, x: tuple[Tensor, ...]) -> tuple[list[Tensor], list[Tensor]]:
        """Per-level predictions.

        Args:
            x: neck features, level ``l`` of shape ``(N, in_channels[l], H_l, W_l)``.

        Returns:
            ``cls_scores``: per level ``(N, C, H_l, W_l)``, probabilities (after the sigmoid);
            ``bbox_preds``: per level ``(N, 4 * (reg_max + 1), H_l, W_l)``, scaled DFL logits.
        """
        return multi_apply(self.forward_single, x, self.gfl_cls, self.gfl_reg, self.scales)

    def forward_single(self, x: Tensor, cls_conv: nn.Module, reg_conv: nn.Module,
                       scale: Scale) -> tuple[Tensor, Tensor]:
        return cls_conv(x).sigmoid(), scale(reg_conv(x)).float()

    def _flatten(self, cls_scores: Sequence[Tensor],
                 bbox_preds: Sequence[Tensor]) -> tuple[Tensor, Tensor, Tensor]:
        """Scores ``(N, P, C)``, DFL logits ``(N, P, 4 * (reg_max + 1))`` and priors ``(P, 4)``
        as ``(x, y, stride_x, stride_y)``, over the ``P`` grid points of all levels."""
        featmap_sizes = [s.shape[-2:] for s in cls_scores]
        priors = torch.cat(self.prior_generator.grid_priors(
            featmap_sizes, dtype=cls_scores[0].dtype, device=cls_scores[0].device, with_stride=True))
        scores = torch.cat([s.flatten(2) for s in cls_scores], 2).permute(0, 2, 1)
        logits = torch.cat([b.flatten(2) for b in bbox_preds], 2).permute(0, 2, 1)
        return scores, logits, priors

    def _decode(self, logits: Tensor, priors: Tensor) -> Tensor:
        """Unclipped boxes ``(N, P, 4)`` (x1, y1, x2, y2) from DFL logits ``(N, P, 4 * (R + 1))``."""
        n, p, _ = logits.shape
        distances = self.integral(logits.reshape(n * p, -1)).reshape(n, p, 4) * priors[:, 2:3]
        return self.bbox_coder.decode(priors[None, :, :2].expand(n, p, 2), distances)

    def decode_all(self, cls_scores: Sequence[Tensor],
                   bbox_preds: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        """Scores ``(N, P, C)`` and unclipped boxes ``(N, P, 4)`` for every prior, before NMS
        (what the deployment graph outputs)."""
        scores, logits, priors = self._flatten(cls_scores, bbox_preds)
        return scores, self._decode(logits, priors)

    # --------------------------------------------------------------------------------------- loss
    @fp32_loss
    def loss_by_feat(self,
                     cls_scores: list[Tensor],
                     bbox_preds: list[Tensor],
                     batch_gt_instances: InstanceList,
                     batch_img_metas: list[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict[str, Tensor]:
        """QFL, GIoU and DFL losses after AlignedOTA assignment.

        Args:
            cls_scores, bbox_preds: outputs of :meth:`forward`.
            batch_gt_instances: per image ``bboxes (K, 4)`` and ``labels (K,)``.
            batch_img_metas: per image meta information (unused; kept for the mmdet interface).
            batch_gt_instances_ignore: per image ignored boxes (passed to the assigner).

        Returns:
            ``loss_cls``, ``loss_bbox``, ``loss_dfl`` (scalars).
        """
        scores, logits, priors = self._flatten(cls_scores, bbox_preds)
        boxes = self._decode(logits, priors)
        num_imgs, num_priors, _ = scores.shape
        if batch_gt_instances_ignore is None:
            batch_gt_instances_ignore = [None] * num_imgs
        labels = scores.new_full((num_imgs, num_priors), self.num_classes, dtype=torch.long)
        label_scores = scores.new_zeros((num_imgs, num_priors))
        bbox_targets = scores.new_zeros((num_imgs, num_priors, 4))
        for i, (gt, ignore) in enumerate(zip(batch_gt_instances, batch_gt_instances_ignore)):
            if len(gt) == 0:
                continue
            pred = InstanceData(priors=priors, scores=scores[i].detach(), bboxes=boxes[i].detach())
            result = self.assigner.assign(pred, gt, ignore)
            pos = torch.nonzero(result.gt_inds > 0).squeeze(1)
            matched = result.gt_inds[pos] - 1
            labels[i, pos] = gt.labels[matched].long()
            label_scores[i, pos] = result.max_overlaps[pos]
            bbox_targets[i, pos] = gt.bboxes[matched]

        flat_scores = scores.reshape(-1, self.num_classes)
        labels, label_scores = labels.reshape(-1), label_scores.reshape(-1)
        num_pos = torch.tensor(float((labels < self.num_classes).sum()), device=scores.device)
        num_pos = max(reduce_mean(num_pos).item(), 1.0)
        loss_cls = self.loss_cls(flat_scores, (labels, label_scores), avg_factor=num_pos)

        pos_inds = torch.nonzero(labels < self.num_classes).squeeze(1)
        weights = flat_scores.detach().max(dim=1)[0][pos_inds]
        norm = max(reduce_mean(weights.sum()).item(), 1.0)
        if len(pos_inds) == 0:
            zero = logits.sum() * 0.0
            return dict(loss_cls=loss_cls, loss_bbox=zero, loss_dfl=zero)
        pos_targets = bbox_targets.reshape(-1, 4)[pos_inds]
        loss_bbox = self.loss_bbox(boxes.reshape(-1, 4)[pos_inds], pos_targets, weight=weights,
                                   avg_factor=norm)
        pos_priors = priors.repeat(num_imgs, 1)[pos_inds]
        strides = pos_priors[:, 2:3]
        dfl_targets = self.bbox_coder.encode(pos_priors[:, :2] / strides, pos_targets / strides,
                                             self.reg_max, eps=0.1)
        loss_dfl = self.loss_dfl(logits.reshape(-1, 4 * (self.reg_max + 1))[pos_inds]
                                 .reshape(-1, self.reg_max + 1),
                                 dfl_targets.reshape(-1),
                                 weight=weights[:, None].expand(-1, 4).reshape(-1),
                                 avg_factor=4.0 * norm)
        return dict(loss_cls=loss_cls, loss_bbox=loss_bbox, loss_dfl=loss_dfl)

    # ------------------------------------------------------------------------------------ predict
    def predict_by_feat(self,
                        cls_scores: list[Tensor],
                        bbox_preds: list[Tensor],
                        batch_img_metas: Optional[list[dict]] = None,
                        cfg: Optional[ConfigDict] = None,
                        rescale: bool = False,
                        with_nms: bool = True) -> InstanceList:
        """Boxes after score filtering and multi-class NMS (each class of a prior is a candidate).

        Returns:
            per image an ``InstanceData`` with ``bboxes (K, 4)``, ``scores (K,)``, ``labels (K,)``.
        """
        cfg = self.test_cfg if cfg is None else cfg
        scores, boxes = self.decode_all(cls_scores, bbox_preds)
        results_list = []
        for img_scores, img_boxes, img_meta in zip(scores, boxes, batch_img_metas):
            if cfg.get('clip_border', False):
                height, width = img_meta['img_shape'][:2]
                img_boxes = torch.stack([img_boxes[:, 0].clamp(0, width), img_boxes[:, 1].clamp(0, height),
                                         img_boxes[:, 2].clamp(0, width), img_boxes[:, 3].clamp(0, height)], 1)
            kept_scores, kept_labels, _, kept = filter_scores_and_topk(
                img_scores, cfg.get('score_thr', 0), cfg.get('nms_pre', img_scores.numel()),
                dict(bboxes=img_boxes))
            results = InstanceData(bboxes=kept['bboxes'], scores=kept_scores, labels=kept_labels)
            results_list.append(self._bbox_post_process(results, cfg, rescale, with_nms, img_meta))
        return results_list
