"""detection.bench's pieces on small modules: output flattening in ONNX order, ONNX Runtime with I/O binding
against PyTorch, the row kept (with a note) when a provider is missing, the ratios and the argument checks.
The whole bench runs in the GPU check's CPU rehearsal (tests/scripts/test_gpu_check.py)."""
import pytest
import torch
import torch.nn as nn

from detection import bench


class TwoHeads(nn.Module):
    """(N, 3, H, W) -> ((N, 4, H, W), [(N, 2, H/2, W/2)]): nested outputs, as a detector's."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 2, 3, stride=2, padding=1)

    def forward(self, x):
        return self.a(x), [self.b(x) * 100]


def test_flat_tensors_is_depth_first():
    a, b, c, d = (torch.full((1, ), float(i)) for i in range(4))
    assert [float(t) for t in bench.flat_tensors(((a, [b, c]), d))] == [0, 1, 2, 3]


def test_onnx_runtime_with_io_binding_matches_pytorch(tmp_path):
    model, images = TwoHeads().eval(), torch.rand(2, 3, 16, 24)
    session = bench.OnnxRuntimeModel(model, images, threads=1, path=tmp_path / 'm.onnx')
    outputs = [o.numpy() for o in session()]
    assert [o.shape for o in outputs] == [(2, 4, 16, 24), (2, 2, 8, 12)]
    with torch.no_grad():
        reference = bench.flat_tensors(model(images))
    assert session.max_difference(reference) < 1e-5
    shifted = [reference[0], reference[1] + 1]  # relative to the output's largest magnitude
    assert session.max_difference(shifted) == pytest.approx(1 / float(shifted[1].abs().max()), rel=1e-3)


def test_missing_provider_leaves_the_row_empty_with_a_note(monkeypatch):
    import onnxruntime

    monkeypatch.setattr(onnxruntime, 'get_available_providers', lambda: ['AzureExecutionProvider'])
    ms, difference, note = bench._onnx_timings({'m': TwoHeads().eval()}, torch.rand(1, 3, 8, 8), 1, 0, 1)
    assert ms == {'m': None} and difference is None and 'no CPUExecutionProvider' in note


def test_ratios():
    row = bench._ratios({'RTMDet-tiny': 10.0, 'DAMO-YOLO-T': 5.0, 'GiraffeDet-D7': 20.0}, damo_pytorch=8.0)
    assert row['T / RTMDet-tiny'] == 0.5 and row['D7 / T'] == 4.0 and row['T / T in PyTorch'] == 0.625
    assert bench._ratios(dict.fromkeys(bench.MODEL_NAMES), 8.0)['D7 / T'] is None


@pytest.mark.parametrize('kwargs, message', [(dict(input_size=100), 'multiple of 128'),
                                             (dict(batch_sizes=(0, )), 'positive'),
                                             (dict(device='cuda'), 'no CUDA GPU')])
def test_bad_arguments_are_refused_before_any_model_is_built(kwargs, message, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 0)  # as on a machine without a GPU
    args = {**dict(input_size=128, iters=1, warmup=0, threads=1), **kwargs}
    with pytest.raises(ValueError, match=message):
        bench.run(**args)
