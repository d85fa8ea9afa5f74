import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread_everywhere(one_torch_thread):
    """Every test in this folder runs with one torch thread (``tests/conftest.py``)."""
