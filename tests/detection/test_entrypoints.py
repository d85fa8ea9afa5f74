"""The command-line entrypoints: help, bad input, export and a one-epoch train + evaluate run."""
import json

import pytest

from detection import evaluate, export, train
from detection.datasets import make_synthetic_coco

from .conftest import SLIM_T


@pytest.mark.parametrize('module', [train, evaluate, export])
def test_help(module, capsys):
    with pytest.raises(SystemExit) as exc:
        module.main(['--help'])
    assert exc.value.code == 0 and 'usage' in capsys.readouterr().out


def test_misspelt_override_is_rejected_by_name(tmp_path):
    # A key under a section without a `type` is checked against the config before anything is
    # built (since common.config accepts new arguments of registry-built components, a typo in
    # one of those, e.g. train_cfg.max_epoch, is reported by the component's constructor).
    with pytest.raises(KeyError, match='train_dataloader.batch_sise'):
        train.main([str(SLIM_T), 'train_dataloader.batch_sise=4', '--work-dir', str(tmp_path)])


def test_export_cli_reports_parity(tmp_path):
    row = export.main([str(SLIM_T), '--input-size', '64', '64', '--work-dir', str(tmp_path)])
    assert row['onnxruntime max |d score|'] < 1e-3
    assert (tmp_path / 'damoyolo_tinynas-l20-t-slim_1xb8-15e_synthetic.onnx').is_file()
    row = json.loads((tmp_path / 'tables' / 'export.json').read_text())[0]
    assert row['input (H, W)'] == '64x64 and 96x128' and row['NMS in graph'] is False


def test_train_one_epoch_then_evaluate_and_resume(tmp_path):
    root = make_synthetic_coco(tmp_path / 'data', num_train=8, num_val=4)
    data = [f'train_dataloader.dataset.dataset.data_root={root}/',  # inside MultiImageMixDataset
            f'val_dataloader.dataset.data_root={root}/',
            f'test_dataloader.dataset.data_root={root}/',
            f'val_evaluator.ann_file={root}/annotations/instances_val.json',
            f'test_evaluator.ann_file={root}/annotations/instances_val.json',
            'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
            'test_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'val_dataloader.persistent_workers=False', 'test_dataloader.persistent_workers=False',
            'default_hooks.checkpoint.interval=1', 'train_cfg.val_interval=100']
    work = tmp_path / 'run'
    runner = train.main([str(SLIM_T), *data, 'train_cfg.max_epochs=1', '--work-dir', str(work)])
    assert runner.epoch == 1 and (work / 'epoch_1.pth').is_file()
    # After one iteration every score is below the 0.05 threshold: keep them all.
    metrics = evaluate.main([str(SLIM_T), str(work / 'epoch_1.pth'), *data, 'model.test_cfg.score_thr=0.0',
                             '--work-dir', str(tmp_path / 'eval')])
    table = json.loads((tmp_path / 'eval' / 'tables' / 'evaluation.json').read_text())
    assert {row['metric']: row['value'] for row in table} == {k: round(v, 4) for k, v in metrics.items()}
    assert set(metrics) == {'bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'bbox_mAP_s', 'bbox_mAP_m',
                            'bbox_mAP_l'}
    resumed = train.main([str(SLIM_T), *data, 'train_cfg.max_epochs=2', '--work-dir', str(work), '--resume'])
    assert resumed.epoch == 2 and (work / 'epoch_2.pth').is_file()


def test_infer_on_a_video_writes_every_frame_and_frame_indexed_results(tmp_path):
    import cv2
    import numpy as np

    from common.checkpoint import save_checkpoint
    from detection import infer
    from detection.runtime import build_detector_from_config
    model = build_detector_from_config(SLIM_T)
    checkpoint = save_checkpoint(tmp_path / 'model.pth', dict(
        state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=['circle', 'square', 'triangle']))))
    writer = cv2.VideoWriter(str(tmp_path / 'clip.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 5, (96, 64))
    rng = np.random.default_rng(0)
    for _ in range(11):
        writer.write(rng.integers(0, 256, (64, 96, 3), dtype=np.uint8))
    writer.release()
    # Every score is kept (a random model scores below the configured threshold).
    cfg = infer.load_config(SLIM_T, {'model.test_cfg.score_thr': 0.0, 'model.test_cfg.max_per_img': 3})
    out = infer.infer(cfg, checkpoint, tmp_path / 'clip.mp4', tmp_path / 'out', batch_size=4)
    video = cv2.VideoCapture(str(tmp_path / 'out' / 'clip.mp4'))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 11
    results = json.loads(out.read_text())
    assert sorted({r['image_id'] for r in results}) == list(range(11))  # frame order, not name order
    assert {r['category_id'] for r in results} <= {1, 2, 3}


def test_amp_switches_the_optimiser_wrapper_as_mmdetection(tmp_path):
    import argparse

    from mmengine.config import Config

    args = argparse.Namespace(config=str(SLIM_T), overrides={}, cfg_options={}, work_dir=str(tmp_path), resume=False,
                              auto_scale_lr=False, amp=True)
    wrapper = train.build_runner(args).cfg.optim_wrapper  # built lazily: no GPU needed here
    assert wrapper.type == 'AmpOptimWrapper' and wrapper.loss_scale == 'dynamic'
    assert wrapper.optimizer.type == 'AdamW'  # the rest of the config's wrapper is kept
    static = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=512.0)))
    train.enable_amp(static)
    assert static.optim_wrapper.loss_scale == 512.0
    with pytest.raises(ValueError, match='OptimWrapperDict'):
        train.enable_amp(Config(dict(optim_wrapper=dict(type='OptimWrapperDict'))))


def test_release_loader_workers_stops_persistent_workers_cleanly():
    import types

    import torch
    from torch.utils.data import DataLoader

    from detection.runtime import release_loader_workers

    loader = DataLoader(torch.arange(8.), batch_size=4, num_workers=2, persistent_workers=True)
    runner = types.SimpleNamespace(_test_loop=types.SimpleNamespace(dataloader=loader), _val_loop={})
    runner._test_loop.runner = runner  # a reference cycle, as MMEngine's runner and loops form
    assert torch.cat(list(loader)).tolist() == list(range(8))
    workers = list(loader._iterator._workers)
    release_loader_workers(runner)
    # the workers received the stop signal and exited (a worker PyTorch has to terminate exits non-zero)
    assert [w.exitcode for w in workers] == [0, 0]
    assert torch.cat(list(loader)).tolist() == list(range(8))  # iterated again: new workers
    release_loader_workers(runner)
