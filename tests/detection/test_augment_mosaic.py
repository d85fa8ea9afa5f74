"""DAMO-YOLO's mosaic, affine, mixup and box filter against hand-computed images, matrices and
boxes (official damo/dataset/datasets/mosaic_wrapper.py)."""
import math
import random

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes

from detection.datasets.transforms.mosaic_mixup import (DAMOBoxAreaFilter, DAMOMixUp, DAMOMosaic,
                                                        DAMORandomAffine, affine_matrix,
                                                        box_candidates)


def sample(img, boxes=(), labels=None, ignore=None):
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    return dict(img=img, gt_bboxes=HorizontalBoxes(torch.from_numpy(boxes)),
                gt_bboxes_labels=np.arange(len(boxes)) if labels is None else np.asarray(labels),
                gt_ignore_flags=np.zeros(len(boxes), bool) if ignore is None else np.asarray(ignore))


def solid(h, w, value):
    return np.full((h, w, 3), value, np.uint8)


def fixed_uniform(monkeypatch, values):
    draws = iter(values)
    monkeypatch.setattr(random, 'uniform', lambda a, b: next(draws))


def test_mosaic_places_stretched_tiles_around_the_split_point(monkeypatch):
    # Tiles of 40x50 (h x w) stretched 2x to the 80x100 tile size; split at (xc, yc) = (130, 70)
    # on the 160x200 canvas. Hand-placed: top-left canvas[0:70, 30:130] (tile rows 10:80),
    # top-right [0:70, 130:200] (rows 10:80, cols 0:70), bottom-left [70:150, 30:130],
    # bottom-right [70:150, 130:200]; the rest is 114.
    fixed_uniform(monkeypatch, [70.9, 130.2])
    tiles = [sample(solid(40, 50, v), [[5, 5, 15, 10]], labels=[i], ignore=[False])
             for i, v in enumerate((10, 20, 30, 40))]
    tiles[3]['gt_ignore_flags'] = np.array([True])  # a crowd box: dropped, as the official loader does
    out = DAMOMosaic(img_scale=(100, 80))({**tiles[0], 'mix_results': tiles[1:]})
    img = out['img']
    assert img.shape == (160, 200, 3)
    expected = np.full((160, 200), 114)
    expected[0:70, 30:130], expected[0:70, 130:200] = 10, 20
    expected[70:150, 30:130], expected[70:150, 130:200] = 30, 40
    assert (img[..., 0] == expected).all()
    # Box (5, 5, 15, 10) is (10, 10, 30, 20) in a stretched tile; tile offsets (canvas minus tile
    # origin): (30, -10), (130, -10), (30, 70).
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[40, 0, 60, 10], [140, 0, 160, 10],
                                                          [40, 80, 60, 90]])
    assert list(out['gt_bboxes_labels']) == [0, 1, 2]
    assert 'mix_results' not in out


def test_mosaic_partners_come_from_the_whole_dataset():
    random.seed(0)
    drawn = {i for _ in range(200) for i in DAMOMosaic().get_indexes(list(range(1000)))}
    assert len(drawn) > 400 and max(drawn) > 990


def test_affine_matrix_is_translate_shear_rotate_about_the_centre():
    # Scale 2, shear_x 45 degrees (tan = 1), origin moved to (0.5, 0.5) x (200, 100):
    # p' = [[2, 2], [0, 2]] (p - (50, 40)) + (100, 50) for a 80x100 (h x w) source.
    M = affine_matrix((80, 100), (200, 100), angle=0, scale=2, shear_x=45, shear_y=0, tx=0.5, ty=0.5)
    np.testing.assert_allclose(M, [[2, 2, 100 - 2 * 50 - 2 * 40], [0, 2, 50 - 2 * 40], [0, 0, 1]],
                               atol=1e-12)
    # A 90-degree turn (counter-clockwise on screen) about the centre: (x, y) -> (y, -x).
    M = affine_matrix((100, 100), (100, 100), angle=90, scale=1, shear_x=0, shear_y=0, tx=0.5, ty=0.5)
    np.testing.assert_allclose(M @ [60, 50, 1], [50, 40, 1], atol=1e-9)
    np.testing.assert_allclose(M @ [50, 70, 1], [70, 50, 1], atol=1e-9)


def test_affine_draws_in_the_official_order():
    t = DAMORandomAffine(max_rotate_degree=10, max_translate_ratio=0.2, scaling_ratio_range=(0.1, 2.0),
                         max_shear_degree=2.0)
    random.seed(5)
    params = t.sample()
    rng = random.Random(5)
    expected = [rng.uniform(-10, 10), rng.uniform(0.1, 2.0), rng.uniform(-2, 2), rng.uniform(-2, 2),
                rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)]
    assert list(params.values()) == expected


def test_affine_maps_pixels_and_boxes_and_filters_like_the_official_code(monkeypatch):
    # Half scale, no rotation/shear, centre to (0.5, 0.5) x (100, 100): p' = (p - 100) / 2 + 50,
    # i.e. p / 2 for a 200x200 canvas.
    t = DAMORandomAffine(img_scale=(100, 100))
    monkeypatch.setattr(t, 'sample', lambda: dict(angle=0.0, scale=0.5, shear_x=0.0, shear_y=0.0,
                                                  tx=0.5, ty=0.5))
    img = solid(200, 200, 114)
    img[40:60, 100:140] = 200
    boxes = [[100, 40, 140, 60],    # -> (50, 20, 70, 30): kept
             [10, 10, 14, 30],      # -> 2 px wide: dropped (sides must exceed 2 px)
             [0, 0, 100, 4.4],      # -> aspect 50/2.2 >= 20: dropped
             [160, 160, 220, 220]]  # -> (80, 80, 110, 110) clipped to 20x20 = 0.44 x (60 x 0.5)^2: kept
    out = t(sample(img, boxes, labels=[0, 1, 2, 3]))
    assert out['img'].shape == (100, 100, 3)
    assert (out['img'][21:29, 51:69] == 200).all() and (out['img'][35:45, 5:15] == 114).all()
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[50, 20, 70, 30], [80, 80, 100, 100]])
    assert list(out['gt_bboxes_labels']) == [0, 3]


def test_box_candidates_sides_and_area_ratio():
    before = np.array([[0, 0, 0], [0, 0, 0], [10, 10, 10], [10, 10, 10]], float)  # (4, n) columns
    after = np.array([[0, 0, 0], [0, 0, 0], [3.2, 3.2, 2.0], [3.2, 3.1, 50]])
    # Area ratios 10.24 / 100 (kept) and 9.92 / 100 (dropped: needs > 0.1); a 2 px side is dropped.
    assert list(box_candidates(before, after)) == [True, False, False]


class _Dataset(list):
    def get_data_info(self, i):
        return self[i]


def test_mixup_blends_a_letterboxed_partner_with_uint8_truncation(monkeypatch):
    origin = sample(solid(100, 100, 101), [[0, 0, 50, 50]], labels=[7])
    partner = sample(solid(50, 100, 50), [[10, 10, 30, 20]], labels=[3])
    # Letterbox ratio min(100/50, 100/100) = 1: rows 0:50 are the partner, rows 50:100 pad 114.
    # No jitter, no flip: (101 + 50) / 2 = 75.5 -> 75 and (101 + 114) / 2 = 107.5 -> 107.
    fixed_uniform(monkeypatch, [1.0, 0.2])  # jitter 1.0, flip draw 0.2 (no flip)
    out = DAMOMixUp(img_scale=(100, 100), prob=1.0)({**origin, 'mix_results': [partner]})
    assert (out['img'][:50] == 75).all() and (out['img'][50:] == 107).all()
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[0, 0, 50, 50], [10, 10, 30, 20]])
    assert list(out['gt_bboxes_labels']) == [7, 3]


def test_mixup_jitter_flip_and_crop_offsets(monkeypatch):
    origin = sample(solid(100, 100, 100), [[0, 0, 50, 50]])
    partner = sample(solid(100, 100, 50), [[10, 10, 30, 20]], labels=[3])
    # Jitter 2: the partner becomes 200x200 and its box (20, 20, 60, 40); flipped:
    # (200 - 60, 20, 200 - 20, 40) = (140, 20, 180, 40); crop at y 30, x 90 (y drawn first):
    # (50, -10, 90, 10) clipped to the 100x100 image -> (50, 0, 90, 10).
    fixed_uniform(monkeypatch, [2.0, 0.9])
    offsets = iter([30, 90])
    monkeypatch.setattr(random, 'randint', lambda a, b: (b == 99 and next(offsets)))
    out = DAMOMixUp(img_scale=(100, 100), prob=1.0)({**origin, 'mix_results': [partner]})
    np.testing.assert_allclose(out['gt_bboxes'].numpy()[1], [50, 0, 90, 10])
    assert (out['img'] == 75).all()


def test_mixup_skips_images_without_boxes_and_draws_partners_with_boxes():
    out = DAMOMixUp(prob=1.0)({**sample(solid(10, 10, 9)), 'mix_results': [sample(solid(10, 10, 0))]})
    assert (out['img'] == 9).all() and 'mix_results' not in out
    data = _Dataset([dict(instances=[]), dict(instances=[dict(ignore_flag=1)]),
                     dict(instances=[dict(ignore_flag=0)])])
    random.seed(1)
    assert {DAMOMixUp().get_indexes(data)[0] for _ in range(20)} == {2}
    assert DAMOMixUp(max_draws=50).get_indexes(_Dataset(data[:2])) == []  # none has boxes: no mixup
    # The mixup probability is drawn first: 15% of the samples load a partner.
    random.seed(2)
    drawn = sum(bool(DAMOMixUp(prob=0.15).get_indexes(data)) for _ in range(2000))
    assert 250 <= drawn <= 350
    out = DAMOMixUp()({**sample(solid(10, 10, 9), [[0, 0, 5, 5]]), 'mix_results': []})
    assert (out['img'] == 9).all() and 'mix_results' not in out
    with pytest.raises(ValueError, match='MultiImageMixDataset'):
        DAMOMixUp()(sample(solid(10, 10, 9), [[0, 0, 5, 5]]))


def test_area_filter_keeps_boxes_above_four_square_pixels_and_empty_images():
    out = DAMOBoxAreaFilter()(sample(solid(10, 10, 0), [[0, 0, 2, 2], [0, 0, 2, 2.01]], labels=[1, 2]))
    assert list(out['gt_bboxes_labels']) == [2]
    out = DAMOBoxAreaFilter()(sample(solid(10, 10, 0), [[0, 0, 1, 1]]))
    assert len(out['gt_bboxes']) == 0 and out['img'].shape == (10, 10, 3)


def test_affine_zero_height_box_can_survive_a_rotation(monkeypatch):
    # Official behaviour kept: a box clipped to zero height by the mosaic still enters the
    # affine, and a rotation gives it height (its before-area is 0, so the area ratio passes).
    t = DAMORandomAffine(img_scale=(200, 200))
    monkeypatch.setattr(t, 'sample', lambda: dict(angle=30.0, scale=1.0, shear_x=0.0, shear_y=0.0,
                                                  tx=0.5, ty=0.5))
    out = t(sample(solid(200, 200, 0), [[60, 100, 140, 100]]))
    box = out['gt_bboxes'].numpy()[0]
    assert box[3] - box[1] == pytest.approx(80 * math.sin(math.radians(30)), abs=1e-3)


def test_affine_boxes_follow_the_polygons_when_every_box_has_one(monkeypatch):
    # A diamond (50,40)-(60,50)-(50,60)-(40,50) turned 45 degrees about the centre of a 100x100
    # canvas becomes an axis-aligned square of side 10 sqrt(2) centred at (50, 50): the polygon
    # path gives that square; the corner path the 20x20 box's turned corners, side 20 sqrt(2).
    t = DAMORandomAffine(img_scale=(100, 100))
    monkeypatch.setattr(t, 'sample', lambda: dict(angle=45.0, scale=1.0, shear_x=0.0, shear_y=0.0,
                                                  tx=0.5, ty=0.5))
    diamond = np.array([[50, 40], [60, 50], [50, 60], [40, 50]], np.float32)
    half = 5 * math.sqrt(2)
    out = t({**sample(solid(100, 100, 0), [[40, 40, 60, 60]]), 'mosaic_segments': [diamond]})
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[50 - half, 50 - half, 50 + half, 50 + half]],
                               atol=1e-3)
    assert 'mosaic_segments' not in out
    # One polygon for two boxes (an object without one): every box takes the corner path.
    out = t({**sample(solid(100, 100, 0), [[40, 40, 60, 60], [10, 10, 20, 20]]),
             'mosaic_segments': [diamond]})
    np.testing.assert_allclose(out['gt_bboxes'].numpy()[0], [50 - 2 * half, 50 - 2 * half,
                                                          50 + 2 * half, 50 + 2 * half], atol=1e-3)


def test_mosaic_carries_each_objects_polygons_concatenated(monkeypatch):
    fixed_uniform(monkeypatch, [70.9, 130.2])  # the split of the first mosaic test
    tiles = [sample(solid(40, 50, 10 * (i + 1)), [[5, 5, 15, 10]], labels=[i]) for i in range(4)]
    for tile in tiles:  # two polygon parts, concatenated as one point list (official pull_item)
        tile['instances'] = [dict(mask=[[5, 5, 15, 5, 15, 10], [5, 10, 10, 10, 10, 5]], ignore_flag=0)]
    tiles[2]['instances'] = [dict(mask=None, ignore_flag=0)]  # no polygon: no entry
    out = DAMOMosaic(img_scale=(100, 80))({**tiles[0], 'mix_results': tiles[1:]})
    segments = out['mosaic_segments']
    assert len(segments) == 3 and segments[0].shape == (6, 2)
    # Tile 0: x 2x + 30, y 2y - 10 (as its box); then clipped to the 200x160 canvas.
    np.testing.assert_allclose(segments[0][:3], [[40, 0], [60, 0], [60, 10]])
