"""ONNX export of a ReID model: onnxruntime gives PyTorch's test features (dynamic batch and size), the same
features the extraction pipeline computes, and a bad graph is refused."""
import numpy as np
import onnxruntime as ort
import pytest
import torch

from common.reid.export import export_reid_onnx
from common.reid.features import embed_batch
from common.reid.model import build_reid_model


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_reid_model(7, dict(name="resnet18_ibn_a", base_channels=8, last_stride=1, pretrained=None)).eval()


def test_onnx_features_equal_pytorch_at_several_shapes(model, tmp_path):
    report = export_reid_onnx(model, tmp_path / "m.onnx", (64, 32), dynamic_size=True)
    assert set(report.max_abs_diff) == {(1, 64, 32), (3, 64, 32), (2, 80, 48)}
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    images = torch.rand(5, 3, 64, 32, generator=torch.Generator().manual_seed(3))
    (features,) = session.run(None, {"images": images.numpy()})
    assert features.shape == (5, report.feature_dim)
    # L2-normalised, the graph's output is the extraction pipeline's feature of the original view
    expected = embed_batch(model, images, views=("original",)).numpy()
    np.testing.assert_allclose(features / np.linalg.norm(features, axis=1, keepdims=True), expected, atol=1e-5)


def test_fixed_size_graph_and_refused_parity(model, tmp_path, monkeypatch):
    report = export_reid_onnx(model, tmp_path / "fixed.onnx", (64, 32))
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception):
        session.run(None, {"images": np.zeros((1, 3, 80, 48), np.float32)})

    class Drifting(torch.nn.Module):  # traced once, then PyTorch changes: the parity check must notice
        def __init__(self):
            super().__init__()
            self.inner, self.scale = model, 1.0

        def forward(self, images):
            return self.inner(images) * self.scale

    drifting = Drifting()
    original = torch.onnx.export

    def export_then_drift(*args, **kwargs):
        original(*args, **kwargs)
        drifting.scale = 2.0

    monkeypatch.setattr(torch.onnx, "export", export_then_drift)
    with pytest.raises(RuntimeError, match="differs from PyTorch"):
        export_reid_onnx(drifting, tmp_path / "drift.onnx", (64, 32))
