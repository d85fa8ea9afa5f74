"""Learning signal: the reduced DAMO-YOLO-T and GiraffeDet-D7 trained on the synthetic shapes
detect them."""
import pytest

from detection import demo

from .conftest import CONFIG_DIR

SLIM_D7 = CONFIG_DIR / 'giraffedet' / 'giraffedet_s2d-gfpn-d7-slim_1xb8-20e_synthetic.py'


def test_short_cpu_training_reaches_map50_of_half(tmp_path):
    # In the default suite (about a minute): the reduced T with SADA and its schedule hook.
    metrics = demo.main(['--work-dir', str(tmp_path)])
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (tmp_path / 'figures' / 'prediction.png').is_file()
    assert (tmp_path / 'figures' / 'augmented_batch.png').is_file()
    assert (tmp_path / 'tables' / 'evaluation.json').is_file()


@pytest.mark.slow
def test_short_cpu_training_of_reduced_giraffedet_reaches_map50_of_half(tmp_path):
    metrics = demo.main(['--config', str(SLIM_D7), '--work-dir', str(tmp_path)])
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (tmp_path / 'figures' / 'prediction.png').is_file()
