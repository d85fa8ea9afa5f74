"""ONNX export of the re-parameterised model runs in onnxruntime with PyTorch's outputs, at two
image sizes (dynamic axes); the NMS graph is checked on the trained model in test_training."""
import torch

from detection.deployment import DeployModel, export_onnx
from detection.models import reparameterize
from detection.runtime import build_detector_from_config

from .conftest import SLIM_T, calibrate_bn, randomise_head


def test_onnxruntime_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    model = build_detector_from_config(SLIM_T)
    randomise_head(model)
    calibrate_bn(model, torch.rand(8, 3, 64, 64) * 255)
    reparameterize(model)
    report = export_onnx(DeployModel(model), tmp_path / 'model.onnx', (64, 64), check_sizes=((96, 128),))
    assert report.path.is_file() and report.path.stat().st_size > 100_000
    assert report.max_score_diff < 1e-3
    assert report.max_box_diff < 1e-3 * 64  # boxes in pixels of a 64-px input: relative 1e-3
