"""The learning signals of DMT on the synthetic data set, from one run of the demo:

* stage 1 gives a mAP well above a randomly initialised network of the same architecture;
* stage 2 (UDA on the test set) improves the mAP of the queries from the test-only cameras;
* re-ranking with weighted tracklets improves the mAP over the plain distance of the same features;
* the ensemble writes a valid ``track2.txt``.
"""
import pytest

from common.retrieval import read_aicity_track2


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from reid_aicity.demo import run_demo

    work = tmp_path_factory.mktemp("demo")
    results = run_demo(work)
    stages = {row["method"]: row for row in results["training_stages"]}
    ablation = {row["method"]: row for row in results["post_processing_ablation"]}
    return work, stages, ablation


@pytest.mark.slow
def test_stage1_is_well_above_random_init(demo):
    _, stages, _ = demo
    assert stages["stage 1"]["mAP"] > stages["random init"]["mAP"] + 0.2
    assert stages["stage 1"]["R1"] > stages["random init"]["R1"] + 0.2


@pytest.mark.slow
def test_stage2_improves_the_held_out_cameras(demo):
    _, stages, _ = demo
    for variant in ("v1", "v2"):
        assert stages[f"stage 2 {variant}"]["mAP_new_cams"] > stages["stage 1"]["mAP_new_cams"] + 0.02


@pytest.mark.slow
def test_rerank_and_tracklets_beat_the_plain_distance(demo):
    _, _, ablation = demo
    plain = ablation["+ augmentation test"]["mAP"]  # the same features, plain distance
    assert ablation["+ weighted tracklet"]["mAP"] > plain + 0.03
    assert ablation["+ inter-camera fusion"]["mAP"] > ablation["baseline"]["mAP"] + 0.2


@pytest.mark.slow
def test_ensemble_submission_and_records(demo):
    work, stages, _ = demo
    ranked = read_aicity_track2(work / "ensemble" / "track2.txt")
    assert ranked.shape[1] == 100 and ranked.min() >= 0
    assert stages["ensemble v1+v2 + post"]["mAP"] > stages["stage 1"]["mAP"]
    for name in ("demo_post_processing_ablation.md", "demo_training_stages.json"):
        assert (work / "tables" / name).is_file()
    assert (work / "figures" / "demo.png").is_file()
