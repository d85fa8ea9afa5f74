"""Synthetic COCO data, and config/annotation class checks (a mismatch is an error, not AP 0)."""
import json

import numpy as np
import pytest
from mmengine.config import Config

from detection.datasets import (CheckedCocoDataset, ClassMismatchError, make_synthetic_coco,
                                ordered_category_ids)
from detection.evaluation import CheckedCocoMetric
from detection.train import check_num_classes

CLASSES = ('circle', 'square', 'triangle')


@pytest.fixture(scope='module')
def synthetic(tmp_path_factory):
    return make_synthetic_coco(tmp_path_factory.mktemp('shapes'), num_train=12, num_val=4, seed=3)


def test_generator_writes_valid_coco_with_boxes_inside_images(synthetic):
    ann = json.loads((synthetic / 'annotations' / 'instances_train.json').read_text())
    assert [c['name'] for c in ann['categories']] == list(CLASSES)
    assert len(ann['images']) == 12 and len(ann['annotations']) >= 12
    sizes = {im['id']: (im['width'], im['height']) for im in ann['images']}
    for a in ann['annotations']:
        x, y, w, h = a['bbox']
        W, H = sizes[a['image_id']]
        assert w > 4 and h > 4 and x >= 0 and y >= 0 and x + w <= W + 1 and y + h <= H + 1
        assert (synthetic / 'train' / ann['images'][a['image_id'] - 1]['file_name']).is_file()
    # Same settings reuse the files; the content is deterministic in the seed.
    before = (synthetic / 'annotations' / 'instances_val.json').read_text()
    make_synthetic_coco(synthetic, num_train=12, num_val=4, seed=3)
    assert (synthetic / 'annotations' / 'instances_val.json').read_text() == before


def dataset(root, classes):
    return CheckedCocoDataset(data_root=str(root), ann_file='annotations/instances_train.json',
                              data_prefix=dict(img='train/'), metainfo=dict(classes=classes),
                              pipeline=[], test_mode=True)


def test_labels_follow_the_config_order_whatever_the_file_order(synthetic):
    ann = json.loads((synthetic / 'annotations' / 'instances_train.json').read_text())
    first = ann['annotations'][0]
    name = CLASSES[first['category_id'] - 1]
    for classes in (CLASSES, tuple(reversed(CLASSES))):
        ds = dataset(synthetic, classes)
        info = next(d for d in ds.load_data_list() if d['img_id'] == first['image_id'])
        assert classes[info['instances'][0]['bbox_label']] == name


@pytest.mark.parametrize('classes,match', [
    (('circle', 'square'), "in the file but not the config: \\['triangle'\\]"),
    (('circle', 'square', 'triangle', 'star'), "in the config but not the file: \\['star'\\]"),
    (('circle', 'square', 'triangel'), 'triangel'),
])
def test_class_mismatch_is_rejected_with_the_names(synthetic, classes, match):
    with pytest.raises(ClassMismatchError, match=match):
        dataset(synthetic, classes)


def test_duplicate_category_names_are_rejected():
    cats = [dict(id=1, name='a'), dict(id=2, name='a')]
    with pytest.raises(ClassMismatchError, match='more than once'):
        ordered_category_ids(cats, ('a', ), 'x.json')


def perfect_predictions(root, classes):
    """Every val GT box as a prediction, labelled by its index in ``classes``."""
    ann = json.loads((root / 'annotations' / 'instances_val.json').read_text())
    results = []
    for image in ann['images']:
        boxes = [a for a in ann['annotations'] if a['image_id'] == image['id']]
        results.append((dict(), dict(
            img_id=image['id'],
            bboxes=np.array([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in boxes)]),
            scores=np.ones(len(boxes)),
            labels=np.array([classes.index(CLASSES[a['category_id'] - 1]) for a in boxes]))))
    return results


@pytest.mark.parametrize('classes', [CLASSES, ('triangle', 'circle', 'square')])
def test_metric_maps_labels_to_categories_by_name(synthetic, classes):
    metric = CheckedCocoMetric(ann_file=str(synthetic / 'annotations' / 'instances_val.json'))
    metric.dataset_meta = dict(classes=classes)
    metrics = metric.compute_metrics(perfect_predictions(synthetic, classes))
    assert metrics['bbox_mAP_50'] == pytest.approx(1.0)


def test_metric_rejects_a_class_mismatch(synthetic):
    metric = CheckedCocoMetric(ann_file=str(synthetic / 'annotations' / 'instances_val.json'))
    metric.dataset_meta = dict(classes=('circle', 'square'))
    with pytest.raises(ClassMismatchError):
        metric.compute_metrics(perfect_predictions(synthetic, CLASSES))


def test_head_classes_must_match_the_dataset_classes():
    cfg = Config(dict(model=dict(bbox_head=dict(num_classes=80)),
                      train_dataloader=dict(dataset=dict(metainfo=dict(classes=CLASSES)))))
    with pytest.raises(ValueError, match='num_classes=80'):
        check_num_classes(cfg)


def test_plain_mmdet_metric_would_mislabel_a_reordered_class_list(synthetic):
    # Why CheckedCocoMetric exists: mmdet numbers categories in the file's order.
    from mmdet.evaluation import CocoMetric
    classes = ('triangle', 'circle', 'square')
    metric = CocoMetric(ann_file=str(synthetic / 'annotations' / 'instances_val.json'))
    metric.dataset_meta = dict(classes=classes)
    assert metric.compute_metrics(perfect_predictions(synthetic, classes))['bbox_mAP_50'] < 0.5


def test_small_boxes_are_kept_as_the_official_loader_keeps_them(tmp_path):
    ann = dict(images=[dict(id=1, file_name='a.png', width=50, height=40)],
               categories=[dict(id=1, name='circle'), dict(id=2, name='square'), dict(id=3, name='triangle')],
               annotations=[dict(id=1, image_id=1, category_id=1, bbox=[5, 5, 0.5, 8], area=4, iscrowd=0),
                            dict(id=2, image_id=1, category_id=2, bbox=[10, 10, 6, 6], area=0, iscrowd=0),
                            dict(id=3, image_id=1, category_id=3, bbox=[60, 10, 6, 6], area=36, iscrowd=0),
                            dict(id=4, image_id=1, category_id=3, bbox=[20, 20, 9, 9], area=81, iscrowd=1)])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))

    def instances(keep):
        ds = CheckedCocoDataset(data_root=str(tmp_path), ann_file='ann.json', data_prefix=dict(img=''),
                                metainfo=dict(classes=CLASSES), pipeline=[], test_mode=True,
                                keep_small_boxes=keep)
        return [(i['bbox_label'], i['ignore_flag']) for i in ds.get_data_info(0)['instances']]

    # MMDetection drops the 0.5-px-wide box and the area-0 box; the official loader keeps both.
    # The box outside the image is dropped by both; the crowd box stays, flagged as ignored.
    assert instances(False) == [(2, 1)]
    assert instances(True) == [(0, 0), (1, 0), (2, 1)]
