import shutil

import matplotlib
import numpy as np
import pytest
from PIL import Image

matplotlib.use("Agg")

#: The cameras of the synthetic target training set (VisDA: camera 2 is absent).
TARGET_CAMERAS = (0, 1, 3, 4, 5)


@pytest.fixture(autouse=True)
def _one_torch_thread_everywhere(one_torch_thread):
    """Every test in this folder runs with one torch thread (``tests/conftest.py``)."""


def stand_in_camstyle(train_dir, out_dir, cameras=TARGET_CAMERAS):
    """CamStyle folder without a GAN: one colour-shifted copy per camera of every image, named as
    ``common.gan.generate`` names them (the ReID stages only read the folder)."""
    from common.person import camstyle_copy_name

    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(train_dir.glob("*.jpg")):
        pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
        for cam in cameras:
            shifted = np.clip(pixels + 12 * (cam - 2), 0, 255).astype(np.uint8)
            Image.fromarray(shifted).save(out_dir / camstyle_copy_name(path.name, cam))


@pytest.fixture(scope="session")
def visda_trees(tmp_path_factory):
    """The ``test``-scale synthetic VisDA set as Corrected_* trees, with stand-in SPGAN (a copy) and CamStyle
    folders (shared by the tests that only read it)."""
    from common.person.make_synthetic import SCALES, make_synthetic_dataset
    from reid_visda.prepare_data import TREES, prepare_visda_trees

    root = tmp_path_factory.mktemp("visda")
    make_synthetic_dataset(root / "raw", SCALES["test"], layout="visda")
    prepare_visda_trees(root / "raw", root / "trees")
    source, target = root / "trees" / TREES["source"], root / "trees" / TREES["target"]
    shutil.copytree(source / "trainval", source / "trainval_spgan")
    stand_in_camstyle(source / "trainval_spgan", source / "trainval_spgan_camstyle")
    stand_in_camstyle(target / "trainval", target / "trainval_camstyle")
    return root / "trees"


def tiny_overrides(trees, **extra):
    """Overrides that make a synthetic config run in seconds on the test-scale data."""
    return {"data.root": str(trees), "solver.max_epochs": 2, "solver.steps": [1], "solver.warmup_epochs": 1,
            "solver.checkpoint_every": 1, "solver.ims_per_batch": 16, "sampler.num_instances": 4,
            "model.backbone.base_channels": 8, "test.post.smoothing.knn": 4, "test.post.rerank.k1": 4,
            "test.post.rerank.k2": 2, **extra}
