"""The DAMO-YOLO training set as the configs build it: the official strong augmentation first,
then, after DAMOAugmentScheduleHook's switch, resized and flipped images (SADA stays on)."""
import json
import logging
import random

import numpy as np
import pytest
import torch
from mmdet.registry import DATASETS

from detection.datasets import make_synthetic_coco, train_on_synthetic
from detection.engine import DAMOAugmentScheduleHook
from detection.runtime import load_config

from .conftest import CONFIG_NS, CONFIG_T


def training_set(config, root):
    cfg = load_config(config)
    train_on_synthetic(cfg, root)
    return DATASETS.build(cfg.train_dataloader.dataset)


class _Runner:
    max_epochs, iter = 300, 0
    logger = logging.getLogger('test')

    def __init__(self, dataset, epoch):
        self.epoch = epoch
        self.train_dataloader = type('Loader', (), dict(dataset=dataset, __len__=lambda self: 10))()


@pytest.fixture(scope='module')
def shapes(tmp_path_factory):
    return make_synthetic_coco(tmp_path_factory.mktemp('shapes'), num_train=6, num_val=2, seed=5)


@pytest.mark.parametrize('config,size', [(CONFIG_T, 640), (CONFIG_NS, 416)])
def test_training_images_before_and_after_the_no_aug_switch(shapes, config, size):
    dataset = training_set(config, shapes)
    hook = DAMOAugmentScheduleHook(no_aug_epochs=16)
    hook.before_train_epoch(_Runner(dataset, epoch=100))
    random.seed(0)
    np.random.seed(0)
    stage1 = dataset[0]
    # Mosaic canvas 1280 -> affine 640 -> resized to the model size; SADA leaves float32.
    assert stage1['inputs'].shape == (3, size, size) and stage1['inputs'].dtype == torch.float32
    assert len(stage1['data_samples'].gt_instances) > 0

    hook.before_train_epoch(_Runner(dataset, epoch=300 - 16))
    ann = json.loads((shapes / 'annotations' / 'instances_train.json').read_text())
    image = ann['images'][0]
    boxes = np.array([a['bbox'] for a in ann['annotations'] if a['image_id'] == image['id']])
    boxes[:, 2:] += boxes[:, :2]
    boxes *= size / image['width']
    flipped = boxes.copy()
    flipped[:, [0, 2]] = size - boxes[:, [2, 0]]
    for _ in range(4):
        # load -> resize -> flip -> SADA (progress 0 at iteration 0: no change but float32):
        # the loaded boxes, scaled, maybe flipped
        stage2 = dataset[0]
        assert stage2['inputs'].shape == (3, size, size) and stage2['inputs'].dtype == torch.float32
        got = stage2['data_samples'].gt_instances.bboxes.tensor.numpy()
        assert np.allclose(got, boxes, atol=1e-3) or np.allclose(got, flipped, atol=1e-3)


def test_browse_dataset_draws_the_augmented_training_images(tmp_path):
    from PIL import Image

    from detection import browse_dataset
    out = browse_dataset.main([str(CONFIG_T), '--synthetic', '--num', '6', '--work-dir', str(tmp_path)])
    assert out == tmp_path / 'figures' / 'augmented_batch.png'
    with Image.open(out) as img:
        assert img.size == (1200, 600)  # 4 columns x 2 rows of 3-inch panels at 100 dpi
