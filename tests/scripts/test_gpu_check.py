"""scripts/gpu_check.py on a CPU machine: the plan (value order, budget, prerequisites, --only, rehearsal), the
run-time skip rules, the report, the one-line exit without a GPU, and (slow) a rehearsal of its commands."""
import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gpu_check.py"
spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
gpu_check = importlib.util.module_from_spec(spec)
sys.modules["gpu_check"] = gpu_check  # dataclasses look their module up
spec.loader.exec_module(gpu_check)
Step, Context, CheckFailed = gpu_check.Step, gpu_check.Context, gpu_check.CheckFailed


def _step(name, value, estimate, run=lambda ctx, left: {}, needs=(), gpu_only=False):
    return Step(name, value, estimate, name, run, needs=needs, gpu_only=gpu_only)


def _actions(plan):
    return [(p.step.name, p.action, p.reason) for p in plan]


def test_plan_orders_by_value_and_marks_what_the_budget_may_not_hold():
    steps = (_step("c", 10, 50), _step("a", 30, 100), _step("b", 20, 300), _step("d", 5, 40, needs=("b",)),
             _step("e", 1, 10, needs=("c",)))
    plan = gpu_check.make_plan(steps, budget_s=200, estimate_of=lambda s: s.estimate_s)
    assert _actions(plan) == [("a", "run", ""), ("b", "maybe", "budget: ~300 s, 100 s left"), ("c", "run", ""),
                              ("d", "maybe", "needs b"), ("e", "run", "")]
    assert [p.needs for p in plan] == [(), (), (), ("b",), ("c",)]


def test_plan_only_and_rehearsal():
    steps = (_step("a", 3, 1), _step("gpu", 2, 1, gpu_only=True), _step("b", 1, 1), _step("after_gpu", 0, 1,
             needs=("gpu",)), _step("after_b", -1, 1, needs=("b",)))
    plan = gpu_check.make_plan(steps, 100, only=["a", "gpu", "after_gpu", "after_b"], rehearsal=True,
                               estimate_of=lambda s: s.estimate_s)
    # a rehearsal waives GPU-only prerequisites; a prerequisite left out by --only is not waived
    assert _actions(plan) == [("a", "run", ""), ("gpu", "skip", "checks nothing without a GPU"),
                              ("b", "skip", "not chosen (--only)"), ("after_gpu", "run", ""),
                              ("after_b", "skip", "needs b")]
    assert plan[3].needs == ()
    with pytest.raises(ValueError, match="unknown step"):
        gpu_check.make_plan(steps, 100, only=["nope"])


def test_run_plan_reports_failures_and_skips_what_no_longer_fits(tmp_path, monkeypatch):
    now = [0.0]

    def slow(seconds):
        def run(ctx, left):
            now[0] += seconds
            return {"left at start": left}
        return run

    def broken(ctx, left):
        raise CheckFailed("losses did not fall")

    steps = (_step("first", 5, 10, slow(80)), _step("broken", 4, 10, broken), _step("dependent", 3, 10,
             needs=("broken",)), _step("late", 2, 30, slow(1)), _step("small", 1, 10, slow(1)))
    monkeypatch.setattr(gpu_check, "estimate", lambda s: s.estimate_s)
    plan = gpu_check.make_plan(steps, 100, estimate_of=lambda s: s.estimate_s)
    assert [p.action for p in plan] == ["run"] * 5  # 70 s of estimates: the run-time clock decides
    results = gpu_check.run_plan(plan, Context(tmp_path, "cpu"), 100, clock=lambda: now[0])
    status = {r.name: (r.status, r.note) for r in results}
    assert status["first"] == ("pass", "") and results[0].numbers == {"left at start": 100}
    assert status["broken"] == ("fail", "losses did not fall")
    assert status["dependent"] == ("skipped", "needs broken to pass")
    assert status["late"] == ("skipped", "budget: ~30 s, 20 s left")  # 80 s spent: its 30 s no longer fit
    assert status["small"][0] == "pass"


def test_a_maybe_step_runs_when_the_steps_before_it_were_quicker(tmp_path, monkeypatch):
    now = [0.0]

    def quick(ctx, left):
        now[0] += 5
        return {}

    steps = (_step("a", 2, 60, quick), _step("b", 1, 60, quick))
    monkeypatch.setattr(gpu_check, "estimate", lambda s: s.estimate_s)
    plan = gpu_check.make_plan(steps, 100, estimate_of=lambda s: s.estimate_s)
    assert [p.action for p in plan] == ["run", "maybe"]
    results = gpu_check.run_plan(plan, Context(tmp_path, "cpu"), 100, clock=lambda: now[0])
    assert [r.status for r in results] == ["pass", "pass"]  # a took 5 s of its 60: b's 60 s fit in the 95 left


def test_report_and_losses_checks(tmp_path):
    results = [gpu_check.StepResult("a", "pass", 1.25, {"x": 1}), gpu_check.StepResult("b", "fail", 2, note="bad|x")]
    md = gpu_check.write_report(results, tmp_path, {"device": "H100"})
    text = md.read_text()
    assert "- device: H100" in text and "| a | pass | 1.2 | x 1 |  |" in text
    assert "| b | fail | 2.0 |  | bad/x |" in text
    assert json.loads((tmp_path / "gpu_check.json").read_text())["steps"][1]["status"] == "fail"
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("\n".join(json.dumps(r) for r in ({"epoch_loss": 3.0}, {"lr": 1}, {"epoch_loss": 2.0})))
    assert gpu_check.falling_losses(metrics) == {"first epoch_loss": 3.0, "last epoch_loss": 2.0}
    for values, message in (([2.0, 3.0], "did not fall"), ([3.0, math.nan], "non-finite"), ([1.0], "fewer than 2")):
        metrics.write_text("\n".join(json.dumps({"epoch_loss": v}) for v in values))
        with pytest.raises(CheckFailed, match=message):
            gpu_check.falling_losses(metrics)
    with pytest.raises(CheckFailed, match="was not written"):
        gpu_check.falling_losses(tmp_path / "none.jsonl")
    rising_then_falling = [{"loss": v} for v in (0.5, 1.4, 0.9)]  # DAMO-YOLO's shape
    assert gpu_check.falling(rising_then_falling, "loss", tmp_path, from_peak=True) == {"peak loss": 1.4,
                                                                                         "last loss": 0.9}
    with pytest.raises(CheckFailed, match="first 0.5 -> last 0.9"):
        gpu_check.falling(rising_then_falling, "loss", tmp_path)
    assert gpu_check.falling([{"loss": 1.0}, {"loss": 2.0}], "loss", tmp_path, check_fall=False)["last loss"] == 2.0
    with pytest.raises(CheckFailed, match="non-finite"):
        gpu_check.falling([{"loss": 1.0}, {"loss": math.inf}], "loss", tmp_path, check_fall=False)
    cuda = Context(tmp_path, "cuda")
    assert gpu_check.gpu_peak("...\nGPU_PEAK_BYTES 2048\n", cuda) == 2048
    with pytest.raises(CheckFailed, match="did not run on the GPU"):
        gpu_check.gpu_peak("GPU_PEAK_BYTES 0", cuda)
    assert gpu_check.process_group_backend("x\nDIST_BACKEND nccl\n", cuda) == "nccl"
    for output in ("no group", "DIST_BACKEND gloo"):
        with pytest.raises(CheckFailed, match="expected a nccl process group"):
            gpu_check.process_group_backend(output, cuda)
    assert gpu_check.process_group_backend("DIST_BACKEND gloo", Context(tmp_path, "cpu")) == "gloo"


def test_without_a_gpu_one_line_and_exit_zero(capsys, monkeypatch):
    monkeypatch.setattr(gpu_check, "_cached_cuda_mmcv", lambda: False)  # the plan then waits on the mmcv build
    assert gpu_check.gpu_name() is None  # this test machine has no GPU
    assert gpu_check.main([]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "[gpu-check] no GPU visible to torch: nothing to check (run it on a GPU machine)"]
    assert gpu_check.main(["--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert all(step.name in plan for step in gpu_check.STEPS) and "(needs mmcv_cuda)" in plan


@pytest.mark.slow
def test_cpu_rehearsal_of_the_steps_commands(tmp_path):
    """The commands and checks of every step that means something without a GPU, run on the CPU (~2.5 min).
    detection_giraffedet_d7 is left out: it is detection_damoyolo_t's code with another config, whose training
    tests/detection/test_giraffedet.py runs through the same entry point."""
    rehearsed = ("environment", "reid_aicity_stage1", "torchrun_nccl", "dynamics_bench", "reid_visda",
                 "reid_gan_filter_score", "detection_damoyolo_t", "detection_latency", "detection_torchrun_infer")
    code = gpu_check.main(["--rehearse-on-cpu", "--budget", "3000", "--work-dir", str(tmp_path), "--only", *rehearsed])
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    status = {s["name"]: s["status"] for s in report["steps"]}
    assert code == 0 and all(status[name] == "pass" for name in rehearsed)
    numbers = {s["name"]: s["numbers"] for s in report["steps"]}
    assert 2 <= numbers["reid_visda"]["pseudo-label classes"] <= 8  # at most adaptation.top_clusters (8 here)
    assert {"T eager b1 (ms)", "T re-param b2 (ms)", "T ORT b2 (ms)"} <= set(numbers["detection_latency"])


def test_coco_map50_of_a_results_file(tmp_path):
    ann = {"images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64}],
           "categories": [{"id": 1, "name": "circle"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "area": 400,
                            "iscrowd": 0}]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    results = tmp_path / "results.json"
    results.write_text("[]")
    assert gpu_check.coco_map50(results, tmp_path / "ann.json") == 0.0
    # IoU 324 / 476 = 0.68 with the one object: a hit at 0.5, so AP50 = 1
    results.write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [12, 12, 20, 20], "score": 0.9}]))
    assert gpu_check.coco_map50(results, tmp_path / "ann.json") == pytest.approx(1.0)
    results.write_text(json.dumps([{"image_id": 1, "category_id": 1, "bbox": [25, 25, 20, 20], "score": 0.9}]))
    assert gpu_check.coco_map50(results, tmp_path / "ann.json") == 0.0  # IoU 25 / 775
