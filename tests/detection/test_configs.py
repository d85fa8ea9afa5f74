"""Every shipped config loads, and its model, pipelines, dataset and evaluator types are registered."""
import pytest

from detection.runtime import all_configs, build_detector_from_config, load_config, source_dataset_cfg
from mmdet.registry import DATASETS, HOOKS, METRICS, TRANSFORMS

CONFIGS = all_configs()


def test_every_damoyolo_size_and_distillation_pair_has_a_config():
    names = {c.name for c in CONFIGS}
    for size in ('l20-t', 'l25-s', 'l35-m', 'l45-l', 'l20-n', 'nano-s', 'nano-m', 'nano-l'):
        assert f'damoyolo_tinynas-{size}_8xb32-300e_coco.py' in names
    for student, teacher in (('l20-t', 'l25-s'), ('l25-s', 'l35-m'), ('l35-m', 'l45-l'), ('l45-l', 'l45-l')):
        assert f'damoyolo-distill_tinynas-{student}-from-{teacher}_8xb32-300e_coco.py' in names


@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_config_builds(config):
    cfg = load_config(config)
    model = build_detector_from_config(cfg)
    train_set = source_dataset_cfg(cfg.train_dataloader.dataset)
    assert model.bbox_head.num_classes == len(train_set.metainfo['classes'])
    for pipeline in (cfg.train_dataloader.dataset.pipeline, train_set.pipeline,
                     cfg.val_dataloader.dataset.pipeline):
        for step in pipeline:
            TRANSFORMS.build(step)
    assert DATASETS.get(cfg.train_dataloader.dataset.type) is not None
    assert METRICS.get(cfg.val_evaluator.type) is not None
    for hook in cfg.get('custom_hooks', []):
        assert HOOKS.get(hook['type']) is not None


DAMOYOLO = [c for c in CONFIGS if c.name.startswith('damoyolo')]


@pytest.mark.parametrize('config', DAMOYOLO, ids=[c.stem for c in DAMOYOLO])
def test_damoyolo_configs_follow_the_official_trainer(config):
    # damo/apis/detector_trainer.py converts the whole model to SyncBatchNorm; damo/dataset/datasets/coco.py
    # keeps the training images without boxes (mmdet's CocoDataset default drops them).
    cfg = load_config(config)
    assert cfg.sync_bn == 'torch'
    train_set = source_dataset_cfg(cfg.train_dataloader.dataset)
    assert train_set.filter_cfg['filter_empty_gt'] is False and train_set.keep_small_boxes is True


_SYNC_BN_SCRIPT = r'''
import os, sys, torch
import mmengine.runner.runner as runner_module
from detection.runtime import load_config
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=sys.argv[2], RANK="0", LOCAL_RANK="0", WORLD_SIZE="1")
# CPU stand-ins for what torchrun + CUDA give: a gloo group, and a plain wrapper in place of DDP,
# which refuses SyncBN on CPU (the conversion under test happens before the wrapper).
torch.distributed.init_process_group("gloo", rank=0, world_size=1)


class Wrapper(torch.nn.Module):
    def __init__(self, module, **kwargs):
        super().__init__()
        self.module = module


runner_module.MMDistributedDataParallel = Wrapper
cfg = load_config(sys.argv[1])
cfg.launcher = "pytorch"
cfg.env_cfg.dist_cfg = dict(backend="gloo")
cfg.work_dir = sys.argv[3]
runner = runner_module.Runner.from_cfg(cfg)
model = runner.model.module
norms = [type(m).__name__ for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
print(len(norms), sorted(set(norms)))
'''


def test_a_distributed_launch_converts_every_batchnorm_to_syncbn(tmp_path):
    import socket
    import subprocess
    import sys
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = str(s.getsockname()[1])
    config = next(c for c in DAMOYOLO if 'slim' in c.name)
    out = subprocess.run([sys.executable, '-c', _SYNC_BN_SCRIPT, str(config), port, str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    count, kinds = out.stdout.strip().splitlines()[-1].split(' ', 1)
    assert int(count) > 10 and kinds == "['SyncBatchNorm']"
