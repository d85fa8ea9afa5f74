import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread_everywhere(one_torch_thread):
    """Every test in this folder runs with one torch thread (``tests/conftest.py``)."""


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    """A tiny synthetic AI City data set (with crops), shared by the tests that only read it."""
    from reid_aicity.make_synthetic import SCALES, make_synthetic_dataset

    return make_synthetic_dataset(tmp_path_factory.mktemp("tiny_aic21"), SCALES["tiny"])
