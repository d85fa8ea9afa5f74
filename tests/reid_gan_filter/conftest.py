from pathlib import Path

import matplotlib
import pytest

import reid_gan_filter
from common.config import load_config
from reid_gan_filter.defaults import DEFAULTS
from reid_gan_filter.synthetic_generated import GENERATED_DIR, GROUND_TRUTH_FILE

matplotlib.use("Agg")

CONFIG_DIR = Path(reid_gan_filter.__file__).parent / "configs"


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


def synthetic_config(root: Path, config: str = "score_synthetic.py", **overrides):
    """A config of ``reid_gan_filter/configs`` on the synthetic set written under ``root``."""
    return load_config(CONFIG_DIR / config, {"data.real.root": str(root),
                                             "data.generated.manifest": str(root / GENERATED_DIR / "manifest.csv"),
                                             "data.ground_truth": str(root / GENERATED_DIR / GROUND_TRUTH_FILE),
                                             **overrides}, schema=DEFAULTS)


@pytest.fixture(scope="session")
def scored(synthetic_root, tmp_path_factory):
    """The scoring run of ``score_synthetic.py`` on the test-scale set: ``(run directory, ScoreResult)``."""
    from reid_gan_filter.score import run_scoring

    work = tmp_path_factory.mktemp("score")
    return work, run_scoring(synthetic_config(synthetic_root), work)


@pytest.fixture(scope="session")
def source_root(tmp_path_factory):
    """A labelled PersonX-like source domain (VisDA layout, ``test`` scale) for the UDA setting."""
    from common.person.make_synthetic import SCALES, make_synthetic_dataset

    root = tmp_path_factory.mktemp("source")
    make_synthetic_dataset(root, SCALES["test"], layout="visda")
    return root
