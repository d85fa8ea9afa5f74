"""AlignedOTA against hand-worked cases: candidate region, dynamic k, conflicts, soft targets."""
import torch
from mmengine.structures import InstanceData

from detection.models import AlignedOTAAssigner


def priors_at(points, stride=8.0):
    pts = torch.tensor(points, dtype=torch.float32)
    return torch.cat([pts, torch.full_like(pts, stride)], 1)


def assign(priors, pred_boxes, scores, gt_boxes, gt_labels, **kwargs):
    pred = InstanceData(priors=priors, bboxes=torch.tensor(pred_boxes, dtype=torch.float32),
                        scores=torch.tensor(scores, dtype=torch.float32))
    gt = InstanceData(bboxes=torch.tensor(gt_boxes, dtype=torch.float32),
                      labels=torch.tensor(gt_labels))
    return AlignedOTAAssigner(**kwargs).assign(pred, gt)


def test_candidates_are_inside_the_box_or_within_radius_strides_of_its_centre():
    # GT (0, 0, 100, 100): centre (50, 50); centre region half-side 2.5 * 8 = 20 px.
    priors = priors_at([[50, 50],    # in box and centre region
                        [90, 90],    # in box only
                        [50, 105],   # centre region is (30..70); 105 is outside box and region
                        [65, 65],    # in both
                        [200, 200]])  # neither
    gt = torch.tensor([[0., 0., 100., 100.]])
    valid, in_both = AlignedOTAAssigner().candidate_masks(priors, gt)
    assert valid.tolist() == [True, True, False, True, False]
    assert in_both[:, 0].tolist() == [True, False, True]
    # A prior outside the box but inside the centre region of a small box is a candidate.
    small = torch.tensor([[48., 48., 52., 52.]])
    valid, in_both = AlignedOTAAssigner().candidate_masks(priors_at([[60, 50]]), small)
    assert valid.tolist() == [True] and in_both.tolist() == [[False]]


def test_outside_both_regions_is_never_assigned_and_inside_only_pays_the_penalty():
    priors = priors_at([[50, 50], [90, 90], [200, 200]])
    gt = [[0, 0, 100, 100]]
    # The in-box-only prior has the perfect box; the in-both prior a worse one. With k = 1
    # (IoUs sum < 2), the 1e8 penalty makes the in-both prior win.
    boxes = [[10, 10, 90, 90], [0, 0, 100, 100], [0, 0, 100, 100]]
    scores = [[0.5], [0.5], [0.9]]
    result = assign(priors, boxes, scores, gt, [0])
    assert result.gt_inds.tolist() == [1, 0, 0]
    assert abs(result.max_overlaps[0].item() - 0.64) < 1e-5  # IoU of (10,10,90,90) with the GT


def test_dynamic_k_is_the_integer_part_of_the_top10_iou_sum():
    # 12 priors inside both regions of a 160x160 box; predicted boxes with known IoUs.
    gt = [[0, 0, 160, 160]]
    points = [[80 + dx, 80 + dy] for dx in (-16, -8, 0, 8) for dy in (-8, 0, 8)]
    ious = [0.95, 0.9, 0.85, 0.8, 0.3, 0.2, 0.1, 0.05, 0.05, 0.05, 0.02, 0.01]
    # A box (0, 0, 160, 160 * iou) has IoU = iou with the GT.
    boxes = [[0, 0, 160, 160 * v] for v in ious]
    scores = [[0.5]] * 12
    result = assign(priors_at(points), boxes, scores, gt, [0])
    top10 = sorted(ious, reverse=True)[:10]
    k = int(sum(top10))  # 4.25 -> 4
    assert k == 4
    assigned = (result.gt_inds == 1).nonzero().squeeze(1).tolist()
    assert assigned == [0, 1, 2, 3]  # the four cheapest: highest IoU, same score
    assert torch.allclose(result.max_overlaps[assigned], torch.tensor(ious[:4]), atol=1e-5)
    assert result.labels[assigned].tolist() == [0] * 4


def test_dynamic_k_is_at_least_one():
    gt = [[0, 0, 64, 64]]
    result = assign(priors_at([[32, 32], [40, 32]]), [[0, 0, 64, 6.4], [0, 0, 64, 3.2]],
                    [[0.5], [0.5]], gt, [0])
    assert (result.gt_inds > 0).sum().item() == 1  # sum of IoUs 0.15 -> k = max(1, 0)


def test_a_prior_claimed_by_two_gts_keeps_the_cheaper_one():
    # Two overlapping GTs of different classes; prior 0 is a candidate of both. Its box fits
    # GT 2 better and its score favours class 1 (GT 2's label), so GT 2 costs less.
    gt = [[0, 0, 96, 96], [16, 16, 112, 112]]
    priors = priors_at([[56, 56], [40, 40], [72, 72]])
    boxes = [[14, 14, 110, 110], [0, 0, 96, 96], [16, 16, 112, 112]]
    scores = [[0.1, 0.8], [0.8, 0.1], [0.1, 0.8]]
    result = assign(priors, boxes, scores, gt, [0, 1])
    assert result.gt_inds.tolist() == [2, 1, 2]
    assert result.labels.tolist() == [1, 0, 1]


def test_cost_uses_the_qfl_form_and_iou_weight():
    # Same IoU, different scores: the assigner picks the prior whose score is closer to the
    # IoU soft label (QFL-form cost), not simply the highest score.
    gt = [[0, 0, 80, 80]]
    priors = priors_at([[40, 40], [44, 40]])
    boxes = [[0, 0, 80, 40], [0, 0, 80, 40]]  # IoU 0.5 each
    result = assign(priors, boxes, [[0.95], [0.5]], gt, [0])
    assert result.gt_inds.tolist() == [0, 1]


def test_no_gt_assigns_background():
    pred = InstanceData(priors=priors_at([[8, 8]]), bboxes=torch.tensor([[0., 0, 16, 16]]),
                        scores=torch.tensor([[0.3]]))
    gt = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long))
    result = AlignedOTAAssigner().assign(pred, gt)
    assert result.gt_inds.tolist() == [0] and result.labels.tolist() == [-1]
