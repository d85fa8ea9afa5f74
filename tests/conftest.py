import pytest
import torch


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread for the test, restored afterwards: the test networks are tiny, and on
    two shared cores more threads only add OpenMP spin-waits (and run-to-run differences)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
