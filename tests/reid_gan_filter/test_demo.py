"""The demo on the demo-sized synthetic set at two seeds (slow): the kept set's precision and recall, and
training with the kept generated images beats training with all of them on the held-out query / gallery, in the
supervised and in the UDA setting."""
import json

import pytest

from ..conftest import run_demo_process
from .test_score import _check_quality

#: mAP by which real + filtered must beat real + all (measured, seeds 0 / 1: supervised 0.09 / 0.09, UDA
#: 0.08 / 0.13; the README's demo table).
MARGIN = 0.02


@pytest.fixture(scope="module", params=[0, 1], ids=lambda seed: f"seed{seed}")
def demo(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"demo_seed{request.param}")
    return work, run_demo_process("reid_gan_filter", work, seed=request.param)


def _map(out, setting, training_set):
    return next(r["mAP"] for r in out["comparison"] if (r["setting"], r["training set"]) == (setting, training_set))


@pytest.mark.slow
def test_demo_scale_precision_and_recall(demo):
    _check_quality(demo[1]["selection_quality"])


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["supervised", "uda"])
def test_filtered_beats_all_generated(demo, setting):
    _, out = demo
    filtered, everything = _map(out, setting, "real + filtered"), _map(out, setting, "real + all generated")
    print(f"{setting}: real + filtered {filtered:.4f}, real + all {everything:.4f}")
    assert filtered > everything + MARGIN


@pytest.mark.slow
def test_demo_outputs(demo):
    work, out = demo
    assert json.loads((work / "tables" / "demo_comparison.json").read_text()) == out["comparison"]
    assert [(r["setting"], r["training set"]) for r in out["comparison"]] == [
        (s, t) for s in ("supervised", "uda") for t in ("real only", "real + all generated", "real + filtered")]
    for path in ("figures/demo_comparison.png", "tables/demo_comparison.md", "ablation/figures/ablation_heatmap.png",
                 "score/figures/score_scatter.png", "score/kept/manifest.csv"):
        assert (work / path).stat().st_size > 0, path
