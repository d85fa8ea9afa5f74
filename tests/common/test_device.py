import numpy as np
import pytest
import torch

from common.device import autocast, faiss_use_gpu, resolve_device, seed_everything


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="not valid|not supported"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_request_without_gpu_is_a_clear_error():
    with pytest.raises(ValueError, match="no CUDA GPU is visible"):
        resolve_device("cuda:0")


def test_seed_everything_reproduces_all_generators():
    seed_everything(3)
    a = torch.rand(4), np.random.rand(4)
    seed_everything(3)
    b = torch.rand(4), np.random.rand(4)
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_autocast_switches_precision_on_cpu():
    x = torch.randn(4, 4)
    with autocast(torch.device("cpu"), enabled=True):
        assert (x @ x).dtype == torch.bfloat16
    with autocast(torch.device("cpu"), enabled=False):
        assert (x @ x).dtype == torch.float32


def test_faiss_choice():
    import faiss

    has_gpu = faiss.get_num_gpus() > 0
    assert faiss_use_gpu("cpu") is False
    assert faiss_use_gpu("auto") is has_gpu
    if not has_gpu:
        with pytest.raises(ValueError, match="sees no GPU"):
            faiss_use_gpu("gpu")
    with pytest.raises(ValueError, match="preference"):
        faiss_use_gpu("tpu")
