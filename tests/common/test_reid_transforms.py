"""Zhong et al.'s random erasing (the sampling of reid-strong-baseline and the VisDA winner)."""
import math

import numpy as np
import pytest
import torch

from common.reid.transforms import ZhongRandomErasing, build_train_transform


def erased_box(before, after):
    rows, cols = np.nonzero((before != after).any(axis=0))
    if len(rows) == 0:
        return None
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def test_erased_rectangles_follow_the_published_sampling():
    torch.manual_seed(0)
    erase = ZhongRandomErasing(p=1.0, scale=(0.02, 0.2), r1=0.3, value=(0.5, 0.25, 0.75))
    areas, aspects = [], []
    for _ in range(400):
        img = torch.rand(3, 96, 32) * 0.1  # never equal to the fill value
        out = erase(img)
        box = erased_box(img.numpy(), out.numpy())
        assert box is not None  # p = 1: every image is erased (some rectangle always fits here)
        top, bottom, left, right = box
        h, w = bottom - top, right - left
        assert h < 96 and w < 32
        np.testing.assert_allclose(out[:, top:bottom, left:right].mean(dim=(1, 2)), [0.5, 0.25, 0.75], atol=1e-6)
        areas.append(h * w / (96 * 32))
        aspects.append(h / w)
    # area ~ U(0.02, 0.2) and aspect ~ U(0.3, 1/0.3) before rounding and the fit test
    assert 0.015 < min(areas) and max(areas) < 0.23
    assert min(aspects) > 0.3 * 0.8 and max(aspects) < (1 / 0.3) * 1.25


def test_aspect_ratio_is_uniform_not_log_uniform():
    torch.manual_seed(1)
    erase = ZhongRandomErasing(p=1.0, scale=(0.02, 0.2), r1=0.3, value=(1.0, 1.0, 1.0))
    aspects = []
    for _ in range(300):
        img = torch.zeros(3, 200, 200)  # every drawn rectangle fits: no selection by the fit test
        top, bottom, left, right = erased_box(img.numpy(), erase(img).numpy())
        aspects.append((bottom - top) / (right - left))
    # U(0.3, 3.33) has median 1.82; torchvision's log-uniform draw has median 1.0
    assert 1.6 < np.median(aspects) < 2.05


def test_probability_zero_and_transform_choice():
    img = torch.rand(3, 8, 4)
    assert torch.equal(ZhongRandomErasing(p=0.0)(img), img)
    assert isinstance(build_train_transform((16, 8), erasing_sampling="zhong").transforms[-1], ZhongRandomErasing)
    with pytest.raises(ValueError, match="unknown erasing_sampling 'both'"):
        build_train_transform((16, 8), erasing_sampling="both")
    assert math.isclose(build_train_transform((16, 8)).transforms[-1].ratio[1], 3.3)
