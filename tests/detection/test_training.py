"""Learning signal: the reduced DAMO-YOLO-T and GiraffeDet-D7 trained on the synthetic shapes
detect them; the trained T then serves the inference and evaluation entry points."""
import json

import pytest

from detection import demo, evaluate, infer

from .conftest import CONFIG_DIR, SLIM_T

SLIM_D7 = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7-slim_1xb8-20e_synthetic.py'


@pytest.fixture(scope='module')
def trained_t(tmp_path_factory):
    # In the default suite (about a minute): the reduced T with SADA and its schedule hook.
    work_dir = tmp_path_factory.mktemp('demo')
    return work_dir, demo.main(['--work-dir', str(work_dir)])


def test_short_cpu_training_reaches_map50_of_half(trained_t):
    work_dir, metrics = trained_t
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (work_dir / 'figures' / 'prediction.png').is_file()
    assert (work_dir / 'figures' / 'augmented_batch.png').is_file()
    assert (work_dir / 'tables' / 'evaluation.json').is_file()


def evaluate_args(work_dir, out_dir):
    data = work_dir / 'data'
    return [str(SLIM_T), str(work_dir / 'train' / 'epoch_15.pth'),
            f'val_dataloader.dataset.data_root={data}/', f'test_dataloader.dataset.data_root={data}/',
            f'test_evaluator.ann_file={data}/annotations/instances_val.json', '--work-dir', str(out_dir)]


@pytest.fixture(scope='module')
def evaluation(trained_t, tmp_path_factory):
    work_dir, _ = trained_t
    return evaluate.main(evaluate_args(work_dir, tmp_path_factory.mktemp('eval')))


def test_infer_on_a_folder_scores_as_the_evaluator(trained_t, evaluation, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    work_dir, _ = trained_t
    checkpoint = work_dir / 'train' / 'epoch_15.pth'
    data = work_dir / 'data'
    ann_file = data / 'annotations' / 'instances_val.json'
    out = infer.main([str(SLIM_T), str(checkpoint), str(data / 'val'), '--out-dir', str(tmp_path),
                      '--batch-size', '4', '--ann-file', str(ann_file)])
    images = json.loads(ann_file.read_text())['images']
    assert sorted(p.name for p in (tmp_path / 'vis').iterdir()) == sorted(i['file_name'] for i in images)
    gt = COCO(str(ann_file))
    cocoeval = COCOeval(gt, gt.loadRes(str(out)), 'bbox')
    cocoeval.evaluate()
    cocoeval.accumulate()
    cocoeval.summarize()
    # Same model, images and test pipeline: the COCO-results file scores as the evaluator.
    assert cocoeval.stats[0] == pytest.approx(evaluation['bbox_mAP'], abs=1e-3)
    assert cocoeval.stats[1] == pytest.approx(evaluation['bbox_mAP_50'], abs=1e-3)
    assert cocoeval.stats[1] >= 0.5
    # A config override reaches the model: a stricter score threshold keeps exactly the confident detections.
    strict = infer.main([str(SLIM_T), str(checkpoint), str(data / 'val'), 'model.test_cfg.score_thr=0.6',
                         '--out-dir', str(tmp_path / 'strict'), '--batch-size', '4', '--ann-file', str(ann_file)])
    every, kept = json.loads(out.read_text()), json.loads(strict.read_text())
    assert kept and min(d['score'] for d in kept) >= 0.6
    assert len(kept) == sum(d['score'] >= 0.6 for d in every) < len(every)


def test_evaluation_under_torchrun_splits_the_images_and_agrees(trained_t, evaluation, tmp_path):
    import os
    import socket
    import subprocess
    import sys

    work_dir, _ = trained_t
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
           f'--master_port={port}', '-m', 'detection.evaluate', *evaluate_args(work_dir, tmp_path)]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = '\n'.join(p.read_text() for p in tmp_path.glob('*/*.log'))  # MMEngine's run log
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # 2 processes
    table = json.loads((tmp_path / 'tables' / 'evaluation.json').read_text())
    distributed = {row['metric']: row['value'] for row in table}
    assert distributed['bbox_mAP'] == pytest.approx(evaluation['bbox_mAP'], abs=1e-3)
    assert distributed['bbox_mAP_50'] == pytest.approx(evaluation['bbox_mAP_50'], abs=1e-3)


@pytest.mark.slow
def test_short_cpu_training_of_reduced_giraffedet_reaches_map50_of_half(tmp_path):
    metrics = demo.main(['--config', str(SLIM_D7), '--work-dir', str(tmp_path)])
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (tmp_path / 'figures' / 'prediction.png').is_file()


def test_onnx_with_nms_in_the_graph_matches_the_models_predictions(trained_t, tmp_path):
    import numpy as np
    import onnxruntime as ort
    import torch
    from mmdet.structures import DetDataSample

    from detection import export
    from detection.runtime import build_detector_from_config

    work_dir, _ = trained_t
    checkpoint = work_dir / 'train' / 'epoch_15.pth'
    row = export.main([str(SLIM_T), str(checkpoint), '--nms', '--out', str(tmp_path / 'nms.onnx'),
                       '--work-dir', str(tmp_path)])
    assert row['onnxruntime max |d score|'] < 1e-3 and row['onnxruntime max |d box| (px)'] < 0.1
    # The in-graph NMS equals MMDetection's post-processing of the same model, at two sizes.
    model = build_detector_from_config(SLIM_T, str(checkpoint))
    session = ort.InferenceSession(str(tmp_path / 'nms.onnx'))
    images = sorted((work_dir / 'data' / 'val').iterdir())[:2]
    for size in ((128, 128), (160, 192)):
        import cv2
        batch = np.stack([cv2.resize(cv2.imread(str(p))[..., ::-1], size[::-1]) for p in images])
        batch = batch.transpose(0, 3, 1, 2).astype(np.float32)
        dets = session.run(None, {'images': batch})[0]
        meta = dict(img_shape=size, ori_shape=size, scale_factor=(1.0, 1.0), batch_input_shape=size)
        with torch.no_grad():
            preds = model.predict(torch.from_numpy(batch), [DetDataSample(metainfo=meta) for _ in images])
        for b, pred in enumerate(preds):
            mine = dets[dets[:, 0] == b]
            assert len(mine) == len(pred.pred_instances) > 0, size
            order = np.argsort(-mine[:, 5], kind='stable')
            np.testing.assert_allclose(mine[order, 5], pred.pred_instances.scores.numpy(), atol=1e-4)
            np.testing.assert_allclose(mine[order, 1:5], pred.pred_instances.bboxes.numpy(), atol=0.05)
            assert (mine[order, 6] == pred.pred_instances.labels.numpy()).all()
