import matplotlib
import pytest
import torch

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The test networks are tiny: one thread avoids OpenMP spin-waits on a busy CPU."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """A tiny synthetic AI City data set (with crops), shared by the tests that only read it."""
    from reid_aicity.make_synthetic import SCALES, make_synthetic_dataset

    return make_synthetic_dataset(tmp_path_factory.mktemp("tiny_aic21"), SCALES["tiny"])
