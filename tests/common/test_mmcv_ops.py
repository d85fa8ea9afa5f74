"""The compiled MMCV ops that mmdet needs are present and agree with torchvision."""
import torch
import torchvision


def random_boxes(n, seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 100
    wh = torch.rand(n, 2, generator=g) * 30 + 1
    scores = torch.rand(n, generator=g)
    return torch.cat([xy, xy + wh], dim=1), scores


def test_compiled_ops_import():
    import mmcv._ext  # noqa: F401  (the compiled extension)
    import mmdet.models  # noqa: F401  (imports mmcv.ops, i.e. needs the compiled ops)


def test_nms_matches_torchvision():
    from mmcv.ops import nms

    for seed in range(3):
        boxes, scores = random_boxes(300, seed)
        dets, keep = nms(boxes, scores, iou_threshold=0.5)
        expected = torchvision.ops.nms(boxes, scores, 0.5)
        assert torch.equal(keep.sort().values, expected.sort().values)
        assert torch.allclose(dets[:, 4], scores[keep])
        assert 0 < len(keep) < 300  # the threshold actually suppressed something


def test_batched_nms_matches_torchvision():
    from mmcv.ops import batched_nms

    boxes, scores = random_boxes(400, 7)
    labels = torch.randint(0, 5, (400,), generator=torch.Generator().manual_seed(1))
    _, keep = batched_nms(boxes, scores, labels, dict(type="nms", iou_threshold=0.4))
    expected = torchvision.ops.batched_nms(boxes, scores, labels, 0.4)
    assert torch.equal(keep.sort().values, expected.sort().values)
