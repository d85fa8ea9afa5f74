"""AlignedOTA: DAMO-YOLO's label assignment (official ``AlignOTAAssigner``)."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.task_modules.assigners import AssignResult, DynamicSoftLabelAssigner
from mmdet.registry import TASK_UTILS
from mmdet.utils import ConfigType

INF = 100000000.0
EPS = 1.0e-7


@TASK_UTILS.register_module()
class AlignedOTAAssigner(DynamicSoftLabelAssigner):
    """SimOTA-style dynamic-k matching with a classification cost aligned to localisation quality.

    1. Candidates: priors whose centre lies inside some GT box or within ``center_radius`` strides
       of some GT centre (a square of half-side ``center_radius * stride``).
    2. Cost of prior i for GT j, with ``IoU_ij`` between the prior's predicted box and the GT::

           soft_ij   = onehot(label_j) * IoU_ij                            (C,)
           cls_ij    = sum_c BCE(p_ic, soft_ijc) * |soft_ijc - p_ic|^2     (QFL form)
           cost_ij   = cls_weight * cls_ij + iou_weight * (-log(IoU_ij + 1e-7))
                       + 1e8 * [prior i not both inside box j and its centre region]

    3. Dynamic k per GT: ``max(1, int(sum of its candidate_topk largest IoUs))``; the k cheapest
       candidates are matched. A prior matched to several GTs keeps the cheapest GT.
    4. ``max_overlaps`` of a matched prior is its IoU with its GT (the QFL quality target).

    The matching step is mmdet's :meth:`DynamicSoftLabelAssigner.dynamic_k_matching` (identical
    algorithm); the candidate region and cost differ from RTMDet's soft centre prior.

    Args:
        center_radius: half-side of the centre region, in strides.
        candidate_topk: IoUs summed for dynamic k.
        iou_weight: weight of the IoU cost.
        cls_weight: weight of the classification cost.
        iou_calculator: pairwise IoU config.
    """

    def __init__(self,
                 center_radius: float = 2.5,
                 candidate_topk: int = 10,
                 iou_weight: float = 3.0,
                 cls_weight: float = 1.0,
                 iou_calculator: ConfigType = dict(type='BboxOverlaps2D')) -> None:
        super().__init__(topk=candidate_topk, iou_weight=iou_weight, iou_calculator=iou_calculator)
        self.center_radius = center_radius
        self.cls_weight = cls_weight

    def candidate_masks(self, priors: Tensor, gt_bboxes: Tensor) -> tuple[Tensor, Tensor]:
        """Candidate priors and, for those, which GTs they are inside both box and centre region of.

        Args:
            priors: ``(P, 4)`` as ``(x, y, stride_x, stride_y)``.
            gt_bboxes: ``(K, 4)`` as ``(x1, y1, x2, y2)``.

        Returns:
            ``valid (P,)`` bool: inside any box or any centre region;
            ``in_both (P_valid, K)`` bool: inside box j and its centre region, for valid priors.
        """
        centers = priors[:, None, :2]
        strides = priors[:, None, 2:]
        in_box = torch.cat([centers - gt_bboxes[None, :, :2], gt_bboxes[None, :, 2:] - centers],
                           -1).min(-1).values > 0
        gt_centers = (gt_bboxes[:, :2] + gt_bboxes[:, 2:]) / 2.0
        radius = self.center_radius * strides
        in_center = torch.cat([centers - (gt_centers - radius), (gt_centers + radius) - centers],
                              -1).min(-1).values > 0
        valid = in_box.any(1) | in_center.any(1)
        return valid, (in_box & in_center)[valid]

    def assign(self,
               pred_instances: InstanceData,
               gt_instances: InstanceData,
               gt_instances_ignore: Optional[InstanceData] = None,
               **kwargs) -> AssignResult:
        """Assign GTs to priors.

        Args:
            pred_instances: ``priors (P, 4)``, ``scores (P, C)`` (probabilities) and decoded
                ``bboxes (P, 4)``.
            gt_instances: ``bboxes (K, 4)`` and ``labels (K,)``.
            gt_instances_ignore: unused (no ignore regions in AlignedOTA).

        Returns:
            ``AssignResult`` with ``gt_inds (P,)`` (0 background, j + 1 for GT j), ``max_overlaps``
            (IoU with the assigned GT, -1e8 for unmatched priors) and ``labels`` (-1 for
            background).
        """
        gt_bboxes, gt_labels = gt_instances.bboxes, gt_instances.labels
        priors, pred_scores, pred_bboxes = (pred_instances.priors, pred_instances.scores,
                                            pred_instances.bboxes)
        num_gt, num_priors = gt_bboxes.size(0), pred_bboxes.size(0)
        assigned_gt_inds = pred_bboxes.new_zeros((num_priors, ), dtype=torch.long)
        if num_gt == 0 or num_priors == 0:
            return AssignResult(num_gt, assigned_gt_inds, pred_bboxes.new_zeros((num_priors, )),
                                labels=assigned_gt_inds.new_full((num_priors, ), -1))
        valid, in_both = self.candidate_masks(priors, gt_bboxes)
        num_valid = int(valid.sum())
        if num_valid == 0:
            return AssignResult(num_gt, assigned_gt_inds, pred_bboxes.new_zeros((num_priors, )),
                                labels=assigned_gt_inds.new_full((num_priors, ), -1))

        ious = self.iou_calculator(pred_bboxes[valid], gt_bboxes)
        iou_cost = -torch.log(ious + EPS)
        scores = pred_scores[valid].unsqueeze(1).expand(num_valid, num_gt, -1)
        soft_label = F.one_hot(gt_labels.long(), pred_scores.size(-1)).float()[None] * ious[..., None]
        cls_cost = (F.binary_cross_entropy(scores, soft_label, reduction='none')
                    * (soft_label - scores).abs().pow(2.0)).sum(-1)
        cost = self.cls_weight * cls_cost + self.iou_weight * iou_cost + (~in_both).float() * INF

        matched_ious, matched_gt_inds = self.dynamic_k_matching(cost, ious, num_gt, valid)
        assigned_gt_inds[valid] = matched_gt_inds + 1
        assigned_labels = assigned_gt_inds.new_full((num_priors, ), -1)
        assigned_labels[valid] = gt_labels[matched_gt_inds].long()
        max_overlaps = pred_bboxes.new_full((num_priors, ), -INF)
        max_overlaps[valid] = matched_ious
        return AssignResult(num_gt, assigned_gt_inds, max_overlaps, labels=assigned_labels)
