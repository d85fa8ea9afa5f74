"""Learning signal: the reduced DAMO-YOLO-T trained on the synthetic shapes detects them."""
import pytest

from detection import demo


@pytest.mark.slow
def test_short_cpu_training_reaches_map50_of_half(tmp_path):
    metrics = demo.main(['--work-dir', str(tmp_path)])
    assert metrics['bbox_mAP_50'] >= 0.5
    assert (tmp_path / 'figures' / 'prediction.png').is_file()
    assert (tmp_path / 'tables' / 'evaluation.json').is_file()
