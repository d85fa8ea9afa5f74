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


def test_infer_on_a_folder_scores_as_the_evaluator(trained_t, tmp_path):
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
    root = f'{data}/'
    metrics = evaluate.main([str(SLIM_T), str(checkpoint), f'val_dataloader.dataset.data_root={root}',
                             f'test_dataloader.dataset.data_root={root}',
                             f'test_evaluator.ann_file={ann_file}', '--work-dir', str(tmp_path / 'eval')])
    # Same model, images and test pipeline: the COCO-results file scores as the evaluator.
    assert cocoeval.stats[0] == pytest.approx(metrics['bbox_mAP'], abs=1e-3)
    assert cocoeval.stats[1] == pytest.approx(metrics['bbox_mAP_50'], abs=1e-3) and cocoeval.stats[1] >= 0.5


@pytest.mark.slow
def test_short_cpu_training_of_reduced_giraffedet_reaches_map50_of_half(tmp_path):
    metrics = demo.main(['--config', str(SLIM_D7), '--work-dir', str(tmp_path)])
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (tmp_path / 'figures' / 'prediction.png').is_file()
