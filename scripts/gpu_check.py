"""One prepared GPU check: every pipeline's GPU path, in one call that fits a short device window.

    bash scripts/gpu_check.sh [--budget 540] [--dry-run] [--only STEP ...] [--work-dir work_dirs/gpu_check]
    make gpu-check

Without a GPU it says so in one line and exits 0; ``--dry-run`` prints the plan (with or without a GPU). With a
GPU the steps run in order of value, each limited to what is left of ``--budget`` seconds; a step whose estimate
no longer fits, or whose prerequisite failed or was skipped, is skipped with a note, so one call always ends with
a report: ``<work-dir>/gpu_check.md`` and ``gpu_check.json`` (versions, device, each step's status, time,
numbers and notes), its summary printed.

Training steps run the pipelines' own entrypoints on their synthetic data with ``device=cuda`` (and AMP where the
pipeline has it) through ``--run-module``, which reports the peak GPU memory the process allocated: a step passes
when its losses are finite and fall, and that peak is above zero (the model and its batches were on the GPU).
``--rehearse-on-cpu`` runs the same commands with ``device=cpu`` and no GPU-memory check, so that the commands and
their checks are exercised where no GPU exists (the slow test does).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import runpy
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
PEAK_LINE = "GPU_PEAK_BYTES"


class CheckFailed(RuntimeError):
    """A step ran but its outputs do not show what it checks."""


@dataclass
class Context:
    """Where a step works and how it runs its commands."""

    work_dir: Path
    device: str  # "cuda", or "cpu" for a rehearsal
    python: str = sys.executable

    def step_dir(self, name: str) -> Path:
        path = self.work_dir / name
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass(frozen=True)
class Step:
    """One check: ``run(ctx, seconds_left)`` returns its numbers or raises ``CheckFailed``.

    Attributes:
        value: order of the plan (highest first).
        estimate_s: expected seconds on one modern GPU (the budget decides with it what is skipped).
        needs: steps that must pass first.
        gpu_only: skipped in a CPU rehearsal (it checks nothing without a GPU).
    """

    name: str
    value: int
    estimate_s: float
    what: str
    run: Callable[[Context, float], dict]
    needs: tuple[str, ...] = ()
    gpu_only: bool = False


@dataclass
class Planned:
    step: Step
    action: str  # "run" or "skip"
    reason: str = ""


@dataclass
class StepResult:
    name: str
    status: str  # "pass", "fail" or "skipped"
    seconds: float = 0.0
    numbers: dict = field(default_factory=dict)
    note: str = ""


# --------------------------------------------------------------------------------------------- running commands
def run_command(argv: list[str], timeout: float, cwd: Path = REPO) -> str:
    """Run ``argv``; returns its output (stdout + stderr). Raises ``CheckFailed`` on a non-zero exit or timeout."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=max(timeout, 1))
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(f"timed out after {timeout:.0f} s: {' '.join(argv[:6])} ...") from exc
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-8:])
        raise CheckFailed(f"exit code {proc.returncode}: {' '.join(argv[:6])} ...\n{tail}")
    return output


def module_argv(ctx: Context, module: str, *args: str) -> list[str]:
    """``python scripts/gpu_check.py --run-module MODULE ARGS``: the module as ``__main__``, then its GPU peak."""
    return [ctx.python, str(Path(__file__).resolve()), "--run-module", module, *args]


def gpu_peak(output: str, ctx: Context) -> int:
    """The peak GPU bytes a ``--run-module`` process reported; ``CheckFailed`` when nothing was on the GPU."""
    values = [int(v) for v in re.findall(rf"{PEAK_LINE} (\d+)", output)]
    if ctx.device == "cpu":
        return 0
    if not values or max(values) <= 0:
        raise CheckFailed("no GPU memory was allocated: the model and batches did not run on the GPU")
    return max(values)


def falling_losses(metrics_file: Path, key: str = "epoch_loss") -> dict:
    """First and last ``key`` of a run's ``metrics.jsonl``; ``CheckFailed`` unless all are finite and the last is
    below the first."""
    if not metrics_file.is_file():
        raise CheckFailed(f"{metrics_file} was not written")
    values = [row[key] for row in map(json.loads, metrics_file.read_text().splitlines()) if key in row]
    if len(values) < 2:
        raise CheckFailed(f"{metrics_file}: fewer than 2 '{key}' values")
    if not all(math.isfinite(v) for v in values):
        raise CheckFailed(f"{metrics_file}: non-finite {key} {values}")
    if not values[-1] < values[0]:
        raise CheckFailed(f"{metrics_file}: {key} did not fall ({values[0]:.4g} -> {values[-1]:.4g})")
    return {f"first {key}": round(values[0], 4), f"last {key}": round(values[-1], 4)}


# --------------------------------------------------------------------------------------------- the steps
def step_environment(ctx: Context, seconds_left: float) -> dict:
    import torch

    numbers = {"torch": torch.__version__, "cuda": torch.version.cuda,
               "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"}
    try:
        import faiss
        numbers["faiss GPUs"] = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    except ImportError:
        numbers["faiss GPUs"] = "faiss missing"
    try:
        import mmcv
        numbers["mmcv"] = mmcv.__version__
    except ImportError:
        numbers["mmcv"] = "missing"
    return numbers


def step_retrieval(ctx: Context, seconds_left: float) -> dict:
    """faiss kNN and the sparse re-ranking on the GPU equal their CPU results on the same features."""
    import numpy as np

    sys.path.insert(0, str(REPO))
    from common.retrieval import k_reciprocal_rerank, knn_search

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 128)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    device = "gpu" if ctx.device == "cuda" else "cpu"
    _, on_device = knn_search(x[:500], x, 20, use_gpu=device)
    _, on_cpu = knn_search(x[:500], x, 20, use_gpu="cpu")
    same = float(np.mean(on_device == on_cpu))
    if same < 0.999:
        raise CheckFailed(f"faiss kNN: only {same:.4f} of the neighbour indices agree with the CPU")
    d_device = k_reciprocal_rerank(x[:300], x[300:], k1=20, k2=6, lambda_value=0.3, use_gpu="auto")
    d_cpu = k_reciprocal_rerank(x[:300], x[300:], k1=20, k2=6, lambda_value=0.3, use_gpu="cpu")
    diff = float(np.abs(d_device - d_cpu).max())
    if diff > 1e-4:
        raise CheckFailed(f"re-ranking: max |GPU - CPU| {diff:.3g}")
    return {"kNN indices equal": same, "re-ranking max |GPU - CPU|": diff}


def _reid_aicity_args(ctx: Context, data: Path, run: Path) -> list[str]:
    return ["reid_aicity/configs/stage1_resnet18_ibn_a_synthetic.py", f"data.root={data}", f"device={ctx.device}",
            "solver.amp=True", "solver.max_epochs=4", "solver.steps=[3]", "solver.warmup_epochs=1",
            "evaluate_after_training=False", "--work-dir", str(run)]


def _aicity_data(ctx: Context, timeout: float) -> Path:
    data = ctx.work_dir / "data" / "aic_tiny"
    if not (data / "done").is_file():
        run_command([ctx.python, "-m", "reid_aicity.make_synthetic", "--out", str(data), "--scale", "tiny"], timeout)
        (data / "done").write_text("")
    return data


def step_reid_aicity(ctx: Context, seconds_left: float) -> dict:
    """DMT stage 1 on the tiny synthetic AI City set with AMP."""
    start = time.time()
    data = _aicity_data(ctx, seconds_left)
    run = ctx.step_dir("reid_aicity_stage1")
    output = run_command(module_argv(ctx, "reid_aicity.train", *_reid_aicity_args(ctx, data, run)),
                         seconds_left - (time.time() - start))
    return {**falling_losses(run / "metrics.jsonl"), "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_torchrun(ctx: Context, seconds_left: float) -> dict:
    """The same stage 1 under ``torchrun --nproc_per_node=1`` (NCCL on a GPU)."""
    start = time.time()
    data = _aicity_data(ctx, seconds_left)
    run = ctx.step_dir("torchrun_reid_aicity")
    argv = [ctx.python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
            str(Path(__file__).resolve()), "--run-module", "reid_aicity.train", *_reid_aicity_args(ctx, data, run)]
    output = run_command(argv, seconds_left - (time.time() - start))
    return {**falling_losses(run / "metrics.jsonl"), "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_dynamics(ctx: Context, seconds_left: float) -> dict:
    """The batched-ensemble benchmark of the ghost-mechanism RNNs."""
    run = ctx.step_dir("dynamics_bench")
    output = run_command(module_argv(ctx, "dynamics.bench", "--device", ctx.device, "--runs", "100", "--epochs", "50",
                                     "--work-dir", str(run)), seconds_left)
    rows = json.loads((run / "tables" / "bench.json").read_text())
    ratio = next(r["run-epochs / s"] for r in rows if r["way"].startswith("throughput ratio"))
    return {"batched / one at a time": round(float(ratio), 2), "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_reid_gan_filter(ctx: Context, seconds_left: float) -> dict:
    """E_c training and scoring of the generated images of known quality (test scale)."""
    start = time.time()
    data = ctx.work_dir / "data" / "gan_filter"
    if not (data / "done").is_file():
        run_command([ctx.python, "-m", "reid_gan_filter.make_synthetic", "--root", str(data), "--scale", "test"],
                    seconds_left)
        (data / "done").write_text("")
    run = ctx.step_dir("reid_gan_filter_score")
    output = run_command(module_argv(ctx, "reid_gan_filter.score", "reid_gan_filter/configs/score_synthetic.py",
                                     f"data.real.root={data}",
                                     f"data.generated.manifest={data / 'generated' / 'manifest.csv'}",
                                     f"data.ground_truth={data / 'generated' / 'quality_synthetic.csv'}",
                                     f"device={ctx.device}", "--work-dir", str(run)),
                         seconds_left - (time.time() - start))
    quality = json.loads((run / "tables" / "selection_quality.json").read_text())
    kept = next(row for row in quality if row["selection"] == "intersection")
    return {**falling_losses(run / "consistency_encoder" / "metrics.jsonl"), "precision": kept["precision"],
            "recall": kept["recall"], "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def _cached_cuda_mmcv() -> bool:
    cache = Path(os.environ.get("REPROZOO_CACHE", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                                / "reprozoo")) / "wheels"
    return any("cuda" in p.name for p in cache.glob("mmcv-*")) if cache.is_dir() else False


def step_mmcv_cuda(ctx: Context, seconds_left: float) -> dict:
    """Build (or reuse) the CUDA mmcv wheel and run one CUDA op."""
    start = time.time()
    cached = _cached_cuda_mmcv()
    run_command(["bash", "scripts/build_mmcv.sh", ctx.python], seconds_left)
    build_s = time.time() - start
    run_command([ctx.python, "-c", "import torch, mmcv.ops as ops; b = torch.tensor([[0., 0., 1., 1.]]).cuda(); "
                 "print(ops.nms(b, torch.ones(1).cuda(), 0.5)[1])"], seconds_left - build_s)
    return {"wheel": "cached" if cached else "built", "build (s)": round(build_s, 1)}


def step_detection(ctx: Context, seconds_left: float) -> dict:
    """The detection demo (reduced DAMO-YOLO-T on the synthetic shapes) on the GPU."""
    run = ctx.step_dir("detection_demo")
    output = run_command(module_argv(ctx, "detection.demo", "--work-dir", str(run)), seconds_left)
    found = re.findall(r"mAP@0\.5[^0-9]*([0-9.]+)", output)
    return {"mAP@0.5": float(found[-1]) if found else "not printed", "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_retrieval_bench(ctx: Context, seconds_left: float) -> dict:
    """Sparse re-ranking at AI City's N = 32,341 with faiss on the GPU (bench row)."""
    run = ctx.step_dir("retrieval_bench")
    run_command([ctx.python, "-m", "common.retrieval.bench", "--sizes", "32341", "--dense-max", "0",
                 "--skip-evaluation", "--work-dir", str(run)], seconds_left)
    row = json.loads((run / "rerank_bench.json").read_text())["results"][0]
    return {"sparse (s)": round(row["sparse"]["seconds"], 2), "kNN (s)": round(row["knn"]["seconds"], 2)}


STEPS = (
    Step("environment", 100, 10, "versions, device, faiss GPUs, mmcv", step_environment),
    Step("retrieval_gpu", 90, 30, "faiss kNN and sparse re-ranking on the GPU equal the CPU", step_retrieval,
         gpu_only=True),
    Step("reid_aicity_stage1", 85, 90, "DMT stage 1, tiny synthetic set, AMP: losses fall, on the GPU",
         step_reid_aicity),
    Step("torchrun_nccl", 75, 90, "the same under torchrun --nproc_per_node=1 (NCCL)", step_torchrun),
    Step("dynamics_bench", 70, 40, "batched RNN ensembles vs one at a time", step_dynamics),
    Step("reid_gan_filter_score", 60, 90, "E_c training and scoring of generated images", step_reid_gan_filter),
    Step("mmcv_cuda", 50, 900, "the CUDA mmcv wheel (build or cache) and one CUDA op", step_mmcv_cuda,
         gpu_only=True),
    Step("detection_demo", 45, 150, "reduced DAMO-YOLO-T on the synthetic shapes", step_detection,
         needs=("mmcv_cuda",), gpu_only=True),
    Step("retrieval_bench", 30, 240, "sparse re-ranking at N = 32,341 (bench row)", step_retrieval_bench,
         gpu_only=True),
)


# --------------------------------------------------------------------------------------------- plan and report
def estimate(step: Step) -> float:
    """A step's expected seconds (the mmcv build is quick when its wheel is cached)."""
    return 60.0 if step.name == "mmcv_cuda" and _cached_cuda_mmcv() else step.estimate_s


def make_plan(steps: tuple[Step, ...], budget_s: float, only: list[str] | None = None, rehearsal: bool = False,
              estimate_of: Callable[[Step], float] = estimate) -> list[Planned]:
    """The steps in order of value, each to run or to skip with the reason (estimates over the budget, a
    prerequisite skipped, not chosen by ``only``, GPU-only in a rehearsal)."""
    unknown = sorted(set(only or ()) - {s.name for s in steps})
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}: choose among {', '.join(s.name for s in steps)}")
    plan, planned_s, running = [], 0.0, set()
    for step in sorted(steps, key=lambda s: -s.value):
        if only and step.name not in only:
            plan.append(Planned(step, "skip", "not chosen (--only)"))
        elif rehearsal and step.gpu_only:
            plan.append(Planned(step, "skip", "checks nothing without a GPU"))
        elif any(need not in running for need in step.needs):
            plan.append(Planned(step, "skip", f"needs {', '.join(step.needs)}"))
        elif planned_s + estimate_of(step) > budget_s:
            plan.append(Planned(step, "skip", f"budget: ~{estimate_of(step):.0f} s, "
                                              f"{max(budget_s - planned_s, 0):.0f} s left"))
        else:
            plan.append(Planned(step, "run"))
            planned_s += estimate_of(step)
            running.add(step.name)
    return plan


def run_plan(plan: list[Planned], ctx: Context, budget_s: float, clock: Callable[[], float] = time.time
             ) -> list[StepResult]:
    """Run the planned steps; a step is skipped when its estimate no longer fits what is left, or a step it
    needs did not pass."""
    start, passed, results = clock(), set(), []
    for item in plan:
        step = item.step
        if item.action == "skip":
            results.append(StepResult(step.name, "skipped", note=item.reason))
            continue
        left = budget_s - (clock() - start)
        if any(need not in passed for need in step.needs):
            results.append(StepResult(step.name, "skipped", note=f"needs {', '.join(step.needs)} to pass"))
            continue
        if estimate(step) > left:
            results.append(StepResult(step.name, "skipped", note=f"budget: {left:.0f} s left"))
            continue
        began = clock()
        try:
            numbers = step.run(ctx, left)
            results.append(StepResult(step.name, "pass", clock() - began, numbers))
            passed.add(step.name)
        except Exception as exc:  # a failed step is reported; the next ones still run
            results.append(StepResult(step.name, "fail", clock() - began, note=str(exc)))
    return results


def write_report(results: list[StepResult], work_dir: Path, header: dict) -> Path:
    """``gpu_check.md`` and ``gpu_check.json`` in ``work_dir``; returns the markdown path."""
    work_dir.mkdir(parents=True, exist_ok=True)
    lines = ["# GPU check", "", *(f"- {k}: {v}" for k, v in header.items()), "",
             "| step | status | seconds | numbers | note |", "|---|---|---|---|---|"]
    for r in results:
        numbers = "; ".join(f"{k} {v}" for k, v in r.numbers.items())
        note = r.note.replace("\n", " ").replace("|", "/")[:300]
        lines.append(f"| {r.name} | {r.status} | {r.seconds:.1f} | {numbers} | {note} |")
    md = work_dir / "gpu_check.md"
    md.write_text("\n".join(lines) + "\n")
    (work_dir / "gpu_check.json").write_text(json.dumps(
        {**header, "steps": [r.__dict__ for r in results]}, indent=2, default=str))
    return md


def gpu_name() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--run-module"]:
        return run_module(argv[1], argv[2:])
    parser = argparse.ArgumentParser(prog="scripts/gpu_check.sh", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=540.0, help="seconds for the whole check (default 540)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    parser.add_argument("--only", nargs="+", help="run only these steps")
    parser.add_argument("--work-dir", type=Path, default=REPO / "work_dirs" / "gpu_check")
    parser.add_argument("--rehearse-on-cpu", action="store_true",
                        help="run the steps' commands on the CPU (no GPU checks): tests the check itself")
    args = parser.parse_args(argv)
    name = gpu_name()
    plan = make_plan(STEPS, args.budget, args.only, rehearsal=args.rehearse_on_cpu)
    if args.dry_run:
        print(f"[gpu-check] plan for a {args.budget:.0f} s budget (device: {name or 'no GPU'}):")
        for i, p in enumerate(plan, 1):
            status = f"run   ~{estimate(p.step):.0f} s" if p.action == "run" else f"skip  ({p.reason})"
            print(f"  {i}. {p.step.name:22s} {status:40s} {p.step.what}")
        return 0
    if name is None and not args.rehearse_on_cpu:
        print("[gpu-check] no GPU visible to torch: nothing to check (run it on a GPU machine)")
        return 0
    ctx = Context(args.work_dir, "cuda" if not args.rehearse_on_cpu else "cpu")
    results = run_plan(plan, ctx, args.budget)
    md = write_report(results, args.work_dir, {"device": name or "cpu (rehearsal)", "budget (s)": args.budget,
                                               "date": time.strftime("%Y-%m-%d %H:%M")})
    print(md.read_text())
    return 1 if any(r.status == "fail" for r in results) else 0


def run_module(module: str, args: list[str]) -> int:
    """Run ``module`` as ``__main__`` with ``args``, then print the peak GPU memory it allocated."""
    import torch

    sys.path.insert(0, str(REPO))
    sys.argv = [module, *args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        peak = torch.cuda.max_memory_allocated() if torch.cuda.is_available() else 0
        print(f"{PEAK_LINE} {peak}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
