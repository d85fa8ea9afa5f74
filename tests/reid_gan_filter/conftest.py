import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread_everywhere(one_torch_thread):
    """Every test in this folder runs with one torch thread (``tests/conftest.py``)."""


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """The ``test``-scale real + generated synthetic set (shared by the tests that only read it)."""
    from reid_gan_filter.synthetic_generated import SCALES, make_generated_set

    root = tmp_path_factory.mktemp("gan_filter_data")
    make_generated_set(root, SCALES["test"])
    return root
