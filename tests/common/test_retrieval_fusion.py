"""Distance fusion equals the numpy formulas, from arrays and from memory-mapped .npy files."""
import numpy as np
import pytest

import common.retrieval.fusion as fusion
from common.retrieval.fusion import average_distances, weighted_sum


def mats(seed, k=4, shape=(7, 11)):
    rng = np.random.default_rng(seed)
    return [rng.random(shape).astype(np.float32) for _ in range(k)]


def test_weighted_average_and_sum(tmp_path, monkeypatch):
    ds = mats(0)
    w = [2, 1, 2, 1]
    expected = sum(wi * d for wi, d in zip(w, ds)) / 6
    np.testing.assert_allclose(average_distances(ds, w), expected, rtol=1e-6)
    np.testing.assert_allclose(average_distances(ds), sum(ds) / 4, rtol=1e-6)
    np.testing.assert_allclose(weighted_sum(ds[:3], [1, -0.1, -0.05]),
                               ds[0] - 0.1 * ds[1] - 0.05 * ds[2], rtol=1e-6, atol=1e-7)
    paths = []
    for i, d in enumerate(ds):
        np.save(tmp_path / f"d{i}.npy", d)
        paths.append(tmp_path / f"d{i}.npy")
    monkeypatch.setattr(fusion, "_ROWS_PER_BLOCK", 3)  # several row blocks
    np.testing.assert_allclose(average_distances(paths, w), expected, rtol=1e-6)


def test_fusion_errors(tmp_path):
    ds = mats(1, k=2)
    with pytest.raises(ValueError, match="distmats\\[1\\] has shape \\(7, 10\\), expected \\(7, 11\\)"):
        weighted_sum([ds[0], ds[1][:, :10]], [1, 1])
    with pytest.raises(ValueError, match="weights has 3 entries but distmats has 2"):
        weighted_sum(ds, [1, 1, 1])
    with pytest.raises(ValueError, match="distmats\\[0\\] contains NaN"):
        weighted_sum([ds[0] * np.nan], [1])
    with pytest.raises(FileNotFoundError, match="missing.npy"):
        average_distances([tmp_path / "missing.npy"])
    with pytest.raises(ValueError, match="non-negative with a positive sum"):
        average_distances(ds, [1, -1])
