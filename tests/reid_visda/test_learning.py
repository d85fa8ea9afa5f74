"""The learning signals of the pipeline on the synthetic data, from the demo run with two seeds:

* domain adaptation (pseudo-labelled target) beats direct transfer (source only);
* the post-processing beats the finetuned model's plain distance;
* SPGAN and the CamStyle StarGAN lower their losses and move images towards the target domain / camera;
* the demo leaves its tables, figure and Table 1 rows.
"""
import pytest

from ..conftest import run_demo_process

SEEDS = (0, 1)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"seed{s}")
def demo(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"demo_seed{request.param}")
    results = run_demo_process("reid_visda", work, seed=request.param)
    return work, results, {row["method"]: row for row in results["table1"]}


@pytest.mark.slow
def test_adaptation_beats_direct_transfer(demo):
    _, _, table = demo
    # measured (seeds 0 / 1): mAP 0.124 vs 0.103 / 0.164 vs 0.077, R5 0.285 vs 0.176 / 0.361 vs 0.139
    assert table["+ Domain adaptation"]["mAP"] > table["Direct transfer"]["mAP"] + 0.01
    assert table["+ Domain adaptation"]["R5"] > table["Direct transfer"]["R5"] + 0.05


@pytest.mark.slow
def test_post_processing_beats_finetuning(demo):
    _, _, table = demo
    # measured (seeds 0 / 1): mAP 0.196 vs 0.153 / 0.220 vs 0.184
    assert table["+ Post processing"]["mAP"] > table["+ Finetuning"]["mAP"] + 0.02


@pytest.mark.slow
def test_gans_learn_and_translate_towards_the_target(demo):
    work, results, _ = demo
    import json

    for run in ("gan_spgan", "gan_camstyle"):
        losses = json.loads((work / run / "results.json").read_text())["losses"]
        key = "cycle" if run == "gan_spgan" else "g_rec"
        start = {k: v for k, v in losses["start"].items() if key in k}
        assert start and all(losses["end"][k] < v for k, v in start.items())
    for row in results["domain_distance"]:
        assert row["fd_translated"] < row["fd_raw"], row
    assert list((work / "gan_camstyle" / "samples").glob("*.png"))


@pytest.mark.slow
def test_demo_records(demo):
    work, results, table = demo
    assert list(table) == ["Direct transfer", "+ SPGAN", "+ CamStyle", "+ Domain adaptation", "+ Finetuning",
                           "+ Post processing"]
    for name in ("demo_table1.md", "demo_table1.json", "demo_post_processing.md", "demo_domain_distance.md"):
        assert (work / "tables" / name).is_file()
    assert (work / "figures" / "demo_table1.png").is_file()
    assert (work / "data" / "visda" / "Corrected_personX" / "trainval_spgan" / "manifest.csv").is_file()
