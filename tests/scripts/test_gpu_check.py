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


def test_plan_orders_by_value_and_skips_what_the_budget_cannot_hold():
    steps = (_step("c", 10, 50), _step("a", 30, 100), _step("b", 20, 300), _step("d", 5, 40, needs=("b",)))
    plan = gpu_check.make_plan(steps, budget_s=200, estimate_of=lambda s: s.estimate_s)
    assert _actions(plan) == [("a", "run", ""), ("b", "skip", "budget: ~300 s, 100 s left"), ("c", "run", ""),
                              ("d", "skip", "needs b")]


def test_plan_only_and_rehearsal():
    steps = (_step("a", 3, 1), _step("gpu", 2, 1, gpu_only=True), _step("b", 1, 1))
    plan = gpu_check.make_plan(steps, 100, only=["a", "gpu"], rehearsal=True, estimate_of=lambda s: s.estimate_s)
    assert _actions(plan) == [("a", "run", ""), ("gpu", "skip", "checks nothing without a GPU"),
                              ("b", "skip", "not chosen (--only)")]
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
    results = gpu_check.run_plan(plan, Context(tmp_path, "cpu"), 100, clock=lambda: now[0])
    status = {r.name: (r.status, r.note) for r in results}
    assert status["first"] == ("pass", "") and results[0].numbers == {"left at start": 100}
    assert status["broken"] == ("fail", "losses did not fall")
    assert status["dependent"] == ("skipped", "needs broken to pass")
    assert status["late"] == ("skipped", "budget: 20 s left")  # 80 s spent: its 30 s no longer fit
    assert status["small"][0] == "pass"


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
    cuda = Context(tmp_path, "cuda")
    assert gpu_check.gpu_peak("...\nGPU_PEAK_BYTES 2048\n", cuda) == 2048
    with pytest.raises(CheckFailed, match="did not run on the GPU"):
        gpu_check.gpu_peak("GPU_PEAK_BYTES 0", cuda)


def test_without_a_gpu_one_line_and_exit_zero(capsys):
    assert gpu_check.gpu_name() is None  # this test machine has no GPU
    assert gpu_check.main([]) == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "[gpu-check] no GPU visible to torch: nothing to check (run it on a GPU machine)"]
    assert gpu_check.main(["--dry-run"]) == 0
    plan = capsys.readouterr().out
    assert all(step.name in plan for step in gpu_check.STEPS) and "skip  (needs mmcv_cuda)" in plan


@pytest.mark.slow
def test_cpu_rehearsal_of_the_steps_commands(tmp_path):
    """The commands and checks of every step that means something without a GPU, run on the CPU."""
    code = gpu_check.main(["--rehearse-on-cpu", "--budget", "3000", "--work-dir", str(tmp_path)])
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    print((tmp_path / "gpu_check.md").read_text())
    status = {s["name"]: s["status"] for s in report["steps"]}
    assert code == 0
    assert all(status[name] == "pass" for name in ("environment", "reid_aicity_stage1", "torchrun_nccl",
                                                   "dynamics_bench", "reid_gan_filter_score"))
