"""python -m common.retrieval.bench runs every method in a child process and records the results."""
import json

import numpy as np

from common.retrieval.bench import main, synthetic_features


def test_bench_small_run_writes_tables(tmp_path):
    main(["--sizes", "400", "--queries", "40", "--dim", "8", "--evaluation-size", "60", "500",
          "--work-dir", str(tmp_path)])
    result = json.loads((tmp_path / "rerank_bench.json").read_text())["results"][0]
    for method in ("knn", "sparse", "dense"):
        assert result[method]["seconds"] > 0
        assert result[method]["peak_rss_bytes"] >= result[method]["rss_before_bytes"] > 0
    assert result["agreement"]["top100_overlap"] > 0.9
    for name in ("rerank_bench_time", "rerank_bench_memory"):
        assert (tmp_path / "tables" / f"{name}.md").read_text().count("| 400 |") == 1
    assert not (tmp_path / "scratch").exists()
    evaluation = json.loads((tmp_path / "evaluation_bench.json").read_text())
    assert evaluation["queries"] == 60 and evaluation["|mAP, mINP diff|"] < 1e-9
    assert evaluation["|CMC diff| (torchreid's is float32)"] < 1e-6


def test_synthetic_features_are_unit_norm_and_clustered():
    x = synthetic_features(600, 32, seed=0, per_identity=30)
    assert x.shape == (600, 32) and abs(float((x ** 2).sum(1).mean()) - 1) < 1e-5
    sims = x @ x.T
    # each item has about 29 same-identity items with a clearly higher similarity
    assert np.median((sims > 0.3).sum(1)) >= 20
