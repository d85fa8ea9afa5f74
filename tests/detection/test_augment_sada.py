"""SADA (official damo/augmentations): the decoded policy, the operations' closed forms, the
Gaussian blending, the schedule, and the progress shared with loader workers."""
import math
import random

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from PIL import Image, ImageOps

from detection.datasets.transforms.sada import (OFFICIAL_AUTOAUG_PARAMS, SADA, blend,
                                                box_pick_probability, brightness, color, contrast,
                                                decode_policy, equalize, gaussian_map, geometric_op,
                                                sharpness, solarize_add)
from detection.engine import DAMOAugmentScheduleHook


def test_official_policy_decodes_to_the_searched_sub_policies():
    # Decoded by hand from damo/config/augmentations.py: entries 4.. in groups of six
    # (colour op index mod 7, prob x 0.1, level, geometric op index mod 6, prob x 0.1, level).
    official = (6, 9, 5, 3, 3, 4, 2, 4, 4, 4, 5, 2, 4, 1, 4, 2, 6, 4, 2, 2, 2, 6, 2, 2, 2, 0, 5, 1, 3,
                0, 8, 5, 2, 8, 7, 5, 1, 3, 3, 3)  # damo/config/augmentations.py SADA['autoaug_params']
    assert OFFICIAL_AUTOAUG_PARAMS == official
    policies, ratios = decode_policy(official)
    expected = [(('Color', 0.4, 2), ('translateX', 0.4, 4)),
                (('Brightness', 0.2, 4), ('rotate', 0.4, 2)),
                (('Sharpness', 0.4, 2), ('shearX', 0.2, 6)),
                (('SolarizeAdd', 0.2, 2), ('hflip', 0.5, 1)),
                (('Color', 0.0, 8), ('translateY', 0.2, 8))]
    for got, want in zip(policies, expected):
        for (name, p, level), (wname, wp, wlevel) in zip(got, want):
            assert (name, level) == (wname, wlevel) and p == pytest.approx(wp)
    assert ratios == {'area': [7, 5, 1], 'prob': [3, 3, 3]}
    with pytest.raises(ValueError, match='expected 40 numbers'):
        decode_policy((1, 2, 3))


def test_box_pick_probability_by_size_class():
    splits = (100, 1000, 5000)
    small, medium, large = [0, 0, 5, 5], [0, 0, 20, 20], [0, 0, 50, 50]
    assert box_pick_probability(small, [7, 5, 1], splits, 0.3) == pytest.approx(0.3 * 7 / 13)
    assert box_pick_probability(medium, [7, 5, 1], splits, 0.3) == pytest.approx(0.3 * 5 / 13)
    assert box_pick_probability(large, [7, 5, 1], splits, 0.3) == pytest.approx(0.3 / 13)
    assert box_pick_probability(large, [3, 3, 3], splits, 0.3) == pytest.approx(0.1)
    assert box_pick_probability([4, 4, 4, 9], [3, 3, 3], splits, 0.3) == 0


def test_colour_operations_closed_forms():
    g = torch.Generator().manual_seed(0)
    img = torch.rand(3, 6, 7, generator=g)
    torch.testing.assert_close(brightness(img, 0.5), img * 0.5)
    torch.testing.assert_close(brightness(img, 1.9), (img * 1.9).clamp(0, 1))  # extrapolation clamps
    gray = 0.2989 * img[0] + 0.5870 * img[1] + 0.1140 * img[2]
    torch.testing.assert_close(color(img, 0.0), gray.expand(3, -1, -1))
    torch.testing.assert_close(contrast(img, 0.0), gray.mean().expand(3, 6, 7), atol=1e-6, rtol=0)
    torch.testing.assert_close(blend(img, 1 - img, 0.25), 0.75 * img + 0.25 * (1 - img))
    added = solarize_add(img, 0.3)
    torch.testing.assert_close(added, torch.where(img <= 0.5, (img + 0.3).clamp(max=1), img))


def test_sharpness_interior_matches_pil():
    rng = np.random.default_rng(1)
    arr = rng.integers(0, 256, (12, 15, 3), dtype=np.uint8)
    ours = sharpness(torch.from_numpy(arr).permute(2, 0, 1).float() / 255, 0.0)
    from PIL import ImageFilter
    smooth = np.asarray(Image.fromarray(arr).filter(ImageFilter.SMOOTH)).astype(np.float32)
    # PIL rounds to uint8 and keeps the border; compare the interior within rounding.
    np.testing.assert_allclose(ours.permute(1, 2, 0).numpy()[1:-1, 1:-1] * 255, smooth[1:-1, 1:-1],
                               atol=0.5 + 1e-3)


def test_equalize_matches_pil_on_integer_images():
    rng = np.random.default_rng(2)
    # Values whose v / 255 * 255 round-trips exactly in float32 (the official gather truncates).
    exact = [v for v in range(256) if float(torch.tensor(v / 255.0) * 255) == v]
    arr = rng.choice(exact, size=(20, 30, 3)).astype(np.uint8)
    ours = equalize(torch.from_numpy(arr).permute(2, 0, 1).float() / 255)
    pil = np.asarray(ImageOps.equalize(Image.fromarray(arr)))
    np.testing.assert_allclose(ours.permute(1, 2, 0).numpy() * 255, pil, atol=1e-3)


def test_gaussian_map_widths():
    # Without scale ratios: sigma_r = (h / H) r, sigma_c = (w / W) r, r = sqrt(H W / (2 pi)).
    H, W = 60, 80
    g = gaussian_map(H, W, [torch.tensor([10., 20., 30., 30.])])  # x1, y1, x2, y2: h 10, w 20
    r = math.sqrt(H * W / (2 * math.pi))
    sr, sc = 10 / H * r, 20 / W * r
    assert g[25, 20] == pytest.approx(1.0)
    assert g[25 + 3, 20] == pytest.approx(math.exp(-9 / (2 * sr ** 2)), rel=1e-5)
    assert g[25, 20 + 7] == pytest.approx(math.exp(-49 / (2 * sc ** 2)), rel=1e-5)
    # A small box (area 200 < split 1000) is widened: s = ratio[idx] * split0 / area.
    g = gaussian_map(H, W, [torch.tensor([10., 20., 30., 30.])], scale_splits=(1000, 2000, 3000),
                     scale_ratios=[7, 5, 1])
    r = math.sqrt(6 * 1000 / 200 * H * W / (2 * math.pi))
    assert g[25 + 3, 20] == pytest.approx(math.exp(-9 / (2 * (10 / H * r) ** 2)), rel=1e-5)


def test_hflip_blends_the_flipped_crop_through_a_gaussian(monkeypatch):
    img = torch.zeros(3, 40, 50)
    img[:, 10:30, 10:30] = torch.linspace(0, 1, 20)  # a horizontal ramp inside the box
    boxes = torch.tensor([[10., 10., 30., 30.]])
    monkeypatch.setattr(random, 'random', lambda: 0.0)  # pick the box; the sign draw is irrelevant
    out, out_boxes, labels = geometric_op('hflip', img, 5, boxes, np.array([4]), [1.0])
    flipped = img[:, 10:30, 10:30].flip(-1)
    g = gaussian_map(20, 20, [[0, 0, 20, 20]])
    torch.testing.assert_close(out[:, 10:30, 10:30], g * flipped + (1 - g) * img[:, 10:30, 10:30])
    assert out[0, 20, 20] == flipped[0, 10, 10]  # the Gaussian's centre takes the flipped pixel
    torch.testing.assert_close(out[:, :10], img[:, :10])
    assert torch.equal(out_boxes, boxes) and list(labels) == [4]


def test_translate_pastes_a_shifted_copy_and_adds_its_box(monkeypatch):
    img = torch.zeros(3, 40, 100)
    img[:, 5:15, 10:30] = 0.8
    boxes = torch.tensor([[10., 5., 30., 15.]])
    draws = iter([0.0, 0.9])  # pick the box; sign draw 0.9 >= 0.5 keeps +x
    monkeypatch.setattr(random, 'random', lambda: next(draws))
    out, out_boxes, labels = geometric_op('translateX', img, 5, boxes, np.array([2]), [1.0])
    # level 5 -> 60 px; the crop's right edge 30 + 60 = 90 stays inside: the copy is at x 70..90.
    np.testing.assert_allclose(out_boxes.numpy(), [[10, 5, 30, 15], [70, 5, 90, 15]])
    assert list(labels) == [2, 2]
    assert out[0, 10, 80] == pytest.approx(0.8)  # the copy's centre
    torch.testing.assert_close(out[:, :, :70], img[:, :, :70])


def _brightness_everywhere(progress):
    # Every sub-policy: Brightness prob 1.0 level 0 (factor 0.1), then hflip prob 0; colour box
    # weights (0, 0, 9): a large box is always picked.
    params = (0, 0, 0, 0) + (5, 10, 0, 0, 0, 0) * 5 + (0, 0, 9, 3, 3, 3)
    return SADA(autoaug_params=params, box_prob=1.0, initial_progress=progress)


def sample(img, boxes):
    return dict(img=img, gt_bboxes=HorizontalBoxes(torch.tensor(boxes, dtype=torch.float32)),
                gt_bboxes_labels=np.zeros(len(boxes), np.int64), gt_ignore_flags=np.zeros(len(boxes), bool))


@pytest.mark.parametrize('progress,draw,applied', [(0.5, 0.49, True), (0.5, 0.51, False),
                                                   (1.0, 0.99, True), (1.2, 0.0, False)])
def test_image_probability_follows_progress(monkeypatch, progress, draw, applied):
    # Official: skipped when random() > p * progress, and no SADA at all once progress > 1.
    monkeypatch.setattr(random, 'random', lambda: draw)
    img = np.full((64, 64, 3), 200, np.uint8)
    out = _brightness_everywhere(progress)(sample(img.copy(), [[16, 16, 48, 48]]))
    centre = out['img'][32, 32, 0]
    assert centre == pytest.approx(20.0 if applied else 200.0, abs=1e-3)
    assert out['img'].dtype == (np.float32 if progress <= 1 else np.uint8)


def test_bgr_images_are_augmented_as_rgb():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    params = (0, 0, 0, 0) + (3, 10, 0, 0, 0, 0) * 5 + (0, 0, 9, 3, 3, 3)  # Color, factor 0.1
    random.seed(4)
    a = SADA(autoaug_params=params, box_prob=1.0, bgr=False)(sample(rgb.copy(), [[8, 8, 40, 40]]))
    random.seed(4)
    b = SADA(autoaug_params=params, box_prob=1.0, bgr=True)(sample(rgb[..., ::-1].copy(), [[8, 8, 40, 40]]))
    assert not np.allclose(a['img'], rgb)
    np.testing.assert_array_equal(a['img'], b['img'][..., ::-1])


class _ProgressProbe(torch.utils.data.Dataset):
    def __init__(self):
        self.pipeline = [SADA(initial_progress=0.0)]

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return float(self.pipeline[0].progress)


def test_progress_reaches_persistent_loader_workers():
    dataset = _ProgressProbe()
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2, persistent_workers=True)
    assert [v for batch in loader for v in batch.tolist()] == [0.0] * 4
    hook = DAMOAugmentScheduleHook(no_aug_epochs=2)

    class Runner:
        max_epochs, epoch, iter = 10, 3, 6
        train_dataloader = loader
    # progress = iter / (max_epochs * iters_per_epoch) = 6 / (10 * 2): the official SA_Aug is built
    # without no_aug_epochs (damo/apis/detector_trainer.py get_data_loader), so it ramps over the run.
    hook.before_train_iter(Runner, 0)
    assert [v for batch in loader for v in batch.tolist()] == [6 / 20] * 4
    loader._iterator = None  # stop the workers now, not at a later garbage collection (release_loader_workers)


def test_crowd_boxes_are_never_augmented_or_copied(monkeypatch):
    # Every sub-policy: translateX at level 5 (60 px) with image and box probability 1; the
    # sign draw (0.0 < 0.5) shifts left. The crowd (ignored) box gets no copy; the other does.
    params = (0, 0, 0, 0) + (0, 0, 0, 4, 10, 5) * 5 + (7, 5, 1, 3, 3, 3)
    monkeypatch.setattr(random, 'random', lambda: 0.0)
    img = np.zeros((64, 128, 3), np.uint8)
    out = SADA(autoaug_params=params, box_prob=3.0)(
        dict(img=img, gt_bboxes=HorizontalBoxes(torch.tensor([[70., 10., 90., 30.], [100., 40., 120., 60.]])),
             gt_bboxes_labels=np.array([1, 2]), gt_ignore_flags=np.array([False, True])))
    np.testing.assert_allclose(out['gt_bboxes'].numpy(), [[70, 10, 90, 30], [100, 40, 120, 60],
                                                          [10, 10, 30, 30]])
    assert list(out['gt_bboxes_labels']) == [1, 2, 1] and list(out['gt_ignore_flags']) == [False, True, False]
