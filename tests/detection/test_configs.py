"""Every shipped config loads, and its model, pipelines, dataset and evaluator types are registered."""
import pytest

from detection.runtime import all_configs, build_detector_from_config, load_config
from mmdet.registry import DATASETS, HOOKS, METRICS, TRANSFORMS

CONFIGS = all_configs()


def test_every_damoyolo_size_and_distillation_pair_has_a_config():
    names = {c.name for c in CONFIGS}
    for size in ('l20-t', 'l25-s', 'l35-m', 'l45-l', 'nano-s', 'nano-m', 'nano-l'):
        assert f'damoyolo_tinynas-{size}_8xb32-300e_coco.py' in names
    for student, teacher in (('l20-t', 'l25-s'), ('l25-s', 'l35-m'), ('l35-m', 'l45-l')):
        assert f'damoyolo-distill_tinynas-{student}-from-{teacher}_8xb32-300e_coco.py' in names


@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_builds(config):
    cfg = load_config(config)
    model = build_detector_from_config(cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    assert model.bbox_head.num_classes == len(cfg.train_dataloader.dataset.metainfo['classes'])
    for pipeline in (cfg.train_dataloader.dataset.pipeline, cfg.val_dataloader.dataset.pipeline):
        for step in pipeline:
            TRANSFORMS.build(step)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    assert METRICS.get(cfg.val_evaluator.type) is not None
    for hook in cfg.get('custom_hooks', []):
        assert HOOKS.get(hook['type']) is not None
