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
import functools
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
BACKEND_LINE = "DIST_BACKEND"


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
    action: str  # "run", "maybe" (runs if the time it needs is left when its turn comes) or "skip"
    reason: str = ""
    needs: tuple[str, ...] = ()  # the prerequisites that must pass (GPU-only ones are waived in a rehearsal)


@dataclass
class StepResult:
    name: str
    status: str  # "pass", "fail" or "skipped"
    seconds: float = 0.0
    numbers: dict = field(default_factory=dict)
    note: str = ""


# --------------------------------------------------------------------------------------------- running commands
def run_command(argv: list[str], timeout: float, cwd: Path = REPO, python_path: tuple[Path, ...] = ()) -> str:
    """Run ``argv`` (the repository, after ``python_path``, on ``PYTHONPATH``); returns its output (stdout +
    stderr). Raises ``CheckFailed`` on a non-zero exit or timeout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (*python_path, REPO)))}
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


def torchrun_argv(ctx: Context, module: str, *args: str) -> list[str]:
    """``module_argv`` as the one process of ``torchrun --nproc_per_node=1``."""
    return [ctx.python, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=1",
            *module_argv(ctx, module, *args)[1:]]


def made_once(folder: Path, commands: list[list[str]], timeout: float) -> Path:
    """``folder`` after running ``commands`` (which write it) unless an earlier step already did."""
    if not (folder / "done").is_file():
        for argv in commands:
            run_command(argv, timeout)
        (folder / "done").write_text("")
    return folder


def gpu_peak(output: str, ctx: Context) -> int:
    """The peak GPU bytes a ``--run-module`` process reported; ``CheckFailed`` when nothing was on the GPU."""
    values = [int(v) for v in re.findall(rf"{PEAK_LINE} (\d+)", output)]
    if ctx.device == "cpu":
        return 0
    if not values or max(values) <= 0:
        raise CheckFailed("no GPU memory was allocated: the model and batches did not run on the GPU")
    return max(values)


def json_rows(path: Path) -> list[dict]:
    """The rows of a JSON-lines file (``metrics.jsonl``, MMEngine's ``scalars.json``)."""
    if not path.is_file():
        raise CheckFailed(f"{path} was not written")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def process_group_backend(output: str, ctx: Context) -> str:
    """The backend a ``--run-module`` process under torchrun joined (NCCL on a GPU, gloo in a rehearsal);
    ``CheckFailed`` when it joined none or another."""
    found = re.findall(rf"{BACKEND_LINE} (\w+)", output)
    expected = "nccl" if ctx.device == "cuda" else "gloo"
    if found[-1:] != [expected]:
        raise CheckFailed(f"expected a {expected} process group under torchrun, got {found or 'none'}")
    return expected


def falling(rows: list[dict], key: str, where: Path, from_peak: bool = False, check_fall: bool = True) -> dict:
    """First (or, ``from_peak``, largest) and last ``key`` of ``rows``; ``CheckFailed`` unless all are finite and
    (``check_fall``) the last is below the first (the peak). DAMO-YOLO's loss first rises while its assigner finds
    more positives, hence ``from_peak``."""
    values = [row[key] for row in rows if key in row]
    if len(values) < 2:
        raise CheckFailed(f"{where}: fewer than 2 '{key}' values")
    if not all(math.isfinite(v) for v in values):
        raise CheckFailed(f"{where}: non-finite {key} {values}")
    first, name = (max(values), "peak") if from_peak else (values[0], "first")
    if check_fall and not values[-1] < first:
        raise CheckFailed(f"{where}: {key} did not fall ({name} {first:.4g} -> last {values[-1]:.4g})")
    return {f"{name} {key}": round(first, 4), f"last {key}": round(values[-1], 4)}


def falling_losses(metrics_file: Path, key: str = "epoch_loss") -> dict:
    """``falling`` on a run's ``metrics.jsonl``."""
    return falling(json_rows(metrics_file), key, metrics_file)


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
    return made_once(data, [[ctx.python, "-m", "reid_aicity.make_synthetic", "--out", str(data), "--scale", "tiny"]],
                     timeout)


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
    output = run_command(torchrun_argv(ctx, "reid_aicity.train", *_reid_aicity_args(ctx, data, run)),
                         seconds_left - (time.time() - start))
    return {**falling_losses(run / "metrics.jsonl"), "backend": process_group_backend(output, ctx),
            "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


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
    made_once(data, [[ctx.python, "-m", "reid_gan_filter.make_synthetic", "--root", str(data), "--scale", "test"]],
              seconds_left)
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


# Detection runs in <work-dir>/detection, where the synthetic configs' relative data root
# (data/synthetic_shapes/) is the generated copy.
DETECTION_CONFIGS = {
    "damoyolo_t": REPO / "detection/configs/damoyolo/damoyolo_tinynas-l20-t-slim_1xb8-15e_synthetic.py",
    "giraffedet_d7": REPO / "detection/configs/giraffedet/giraffedet_s2d-gfpn-d7-slim_1xb8-20e_synthetic.py"}


def _detection_dir(ctx: Context, timeout: float) -> Path:
    """The step folder with the synthetic shapes (the demo's 160 + 48 images; 32 + 8 in a rehearsal)."""
    folder = ctx.step_dir("detection")
    sizes = "num_train=160, num_val=48" if ctx.device == "cuda" else "num_train=32, num_val=8"
    run_command([ctx.python, "-c", "import sys; from detection.datasets import make_synthetic_coco; "
                 f"make_synthetic_coco(sys.argv[1], {sizes})", str(folder / "data" / "synthetic_shapes")], timeout)
    return folder


def _last_checkpoint(run: Path) -> Path:
    found = sorted(run.glob("epoch_*.pth"), key=lambda p: int(p.stem.split("_")[1]))
    if not found:
        raise CheckFailed(f"no epoch_*.pth checkpoint in {run}")
    return found[-1]


def _train_detector(ctx: Context, seconds_left: float, model: str) -> dict:
    """A reduced detector's full synthetic schedule with AMP: the iteration losses are finite and end below their
    peak, and the last validation mAP@0.5 is at least 0.5 (the CPU demos reach ~0.9). A rehearsal trains one
    epoch (4 iterations) without AMP and checks only that the losses are finite."""
    start = time.time()
    folder = _detection_dir(ctx, seconds_left)
    run = folder / model
    schedule = ["--amp"] if ctx.device == "cuda" else ["train_cfg.max_epochs=1", "default_hooks.logger.interval=1"]
    output = run_command(module_argv(ctx, "detection.train", str(DETECTION_CONFIGS[model]), "--work-dir", str(run),
                                     *schedule), seconds_left - (time.time() - start), cwd=folder)
    scalars = sorted(run.glob("*/vis_data/scalars.json"))
    rows = json_rows(scalars[-1]) if scalars else json_rows(run / "vis_data" / "scalars.json")
    numbers = {**falling(rows, "loss", run, from_peak=True, check_fall=ctx.device == "cuda"),
               "checkpoint": _last_checkpoint(run).name}
    maps = [row["coco/bbox_mAP_50"] for row in rows if "coco/bbox_mAP_50" in row]
    if ctx.device == "cuda":
        if not maps or maps[-1] < 0.5:
            raise CheckFailed(f"{model}: validation mAP@0.5 {maps} (expected >= 0.5 after the schedule)")
        numbers["val mAP@0.5"] = maps[-1]
    return {**numbers, "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_damoyolo_t(ctx: Context, seconds_left: float) -> dict:
    return _train_detector(ctx, seconds_left, "damoyolo_t")


def step_giraffedet_d7(ctx: Context, seconds_left: float) -> dict:
    return _train_detector(ctx, seconds_left, "giraffedet_d7")


def coco_map50(results_file: Path, ann_file: Path) -> float:
    """mAP@0.5 of a COCO results file by pycocotools (0 when it holds no detection)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    detections = json.loads(results_file.read_text())
    if not detections:
        return 0.0
    truth = COCO(str(ann_file))
    evaluation = COCOeval(truth, truth.loadRes(detections), "bbox")
    for stage in (evaluation.evaluate, evaluation.accumulate, evaluation.summarize):
        stage()
    return float(evaluation.stats[1])


def step_detection_torchrun_infer(ctx: Context, seconds_left: float) -> dict:
    """The trained DAMO-YOLO-T evaluated in one process, under ``torchrun --nproc_per_node=1`` (NCCL on a GPU),
    and run by ``detection.infer`` with its default device (the GPU when there is one): the three mAP@0.5 agree."""
    start = time.time()
    folder = ctx.step_dir("detection")
    config, checkpoint = str(DETECTION_CONFIGS["damoyolo_t"]), str(_last_checkpoint(folder / "damoyolo_t"))
    ann_file = folder / "data" / "synthetic_shapes" / "annotations" / "instances_val.json"
    left = lambda: seconds_left - (time.time() - start)  # noqa: E731
    # a rehearsal's one-epoch model scores below the 0.05 threshold: keep every detection
    keep_all = [] if ctx.device == "cuda" else ["model.test_cfg.score_thr=0.0"]
    output = run_command(module_argv(ctx, "detection.evaluate", config, checkpoint, *keep_all, "--work-dir",
                                     str(folder / "evaluate")), left(), cwd=folder)
    distributed = run_command(torchrun_argv(ctx, "detection.evaluate", config, checkpoint, *keep_all, "--work-dir",
                                            str(folder / "evaluate_torchrun")), left(), cwd=folder)
    backend = process_group_backend(distributed, ctx)
    output += distributed
    output += run_command(module_argv(ctx, "detection.infer", config, checkpoint, str(ann_file.parents[1] / "val"),
                                      *keep_all, "--out-dir", str(folder / "infer"), "--ann-file", str(ann_file)),
                          left(), cwd=folder)
    maps = {name: next(row["value"] for row in json.loads((folder / name / "tables" / "evaluation.json").read_text())
                       if row["metric"] == "bbox_mAP_50") for name in ("evaluate", "evaluate_torchrun")}
    maps["infer"] = round(coco_map50(folder / "infer" / "results.bbox.json", ann_file), 4)
    if max(maps.values()) - min(maps.values()) > 1e-3:
        raise CheckFailed(f"mAP@0.5 differ: {maps}")
    return {**{f"mAP@0.5 {k}": v for k, v in maps.items()}, "torchrun backend": backend,
            "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def _onnxruntime_gpu(ctx: Context, timeout: float) -> tuple[tuple[Path, ...], str]:
    """A folder with onnxruntime-gpu to put first on ``PYTHONPATH`` when the installed onnxruntime has no CUDA
    provider (installed there once with pip, when pip can reach the index), and a note on what happened."""
    import onnxruntime

    if ctx.device != "cuda" or "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        return (), ""
    target = ctx.work_dir / "onnxruntime_gpu"
    if not (target / "onnxruntime").is_dir():
        try:
            run_command([ctx.python, "-m", "pip", "install", "--quiet", "--no-deps", "--retries", "0", "--timeout",
                         "10", "--target", str(target), "onnxruntime-gpu"], min(timeout, 180))
        except CheckFailed as exc:
            return (), f"onnxruntime-gpu could not be installed ({str(exc).splitlines()[0][:80]})"
    return (target, ), "onnxruntime-gpu installed into the work dir"


def step_detection_latency(ctx: Context, seconds_left: float) -> dict:
    """``detection.bench`` on the device: RTMDet-tiny, DAMO-YOLO-T and GiraffeDet-D7 eager, re-parameterised and
    in ONNX Runtime (CUDA provider) at batch 1 and 32 (a 128 px batch of 1 and 2 in a rehearsal)."""
    start = time.time()
    run = ctx.step_dir("detection_latency")
    extra_path, note = _onnxruntime_gpu(ctx, seconds_left)
    size = (["--input-size", "640", "--batch-size", "1", "32", "--iters", "20", "--warmup", "5"]
            if ctx.device == "cuda" else ["--input-size", "128", "--batch-size", "1", "2", "--iters", "1"])
    output = run_command(module_argv(ctx, "detection.bench", "--device", ctx.device, *size, "--work-dir", str(run)),
                         seconds_left - (time.time() - start), python_path=extra_path)
    numbers = {}
    for row in json.loads((run / "tables" / "bench.json").read_text()):
        form = {"PyTorch": "eager", "PyTorch, re-parameterised": "re-param"}.get(row["runtime"], "ORT")
        numbers[f"T {form} b{row['batch']} (ms)"] = row["DAMO-YOLO-T ms"]
        if form == "ORT":
            if row["note"]:
                numbers["ORT"] = f"not measured: {row['note']}"
            elif not row["ORT max rel. diff"] < 1e-2:
                raise CheckFailed(f"ONNX Runtime outputs differ from PyTorch's by {row['ORT max rel. diff']} "
                                  "of their magnitude")
        if form == "re-param":
            numbers[f"T / RTMDet-tiny re-param b{row['batch']}"] = row["T / RTMDet-tiny"]
    if note:
        numbers["ORT install"] = note
    return {**numbers, "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def _visda_trees(ctx: Context, scale: str, timeout: float) -> Path:
    """The synthetic VisDA set of ``scale`` as the official Corrected_* trees."""
    data = ctx.work_dir / "data" / f"visda_{scale}"
    return made_once(data, [[ctx.python, "-m", "common.person.make_synthetic", "--root", str(data / "raw"),
                             "--layout", "visda", "--scale", scale],
                            [ctx.python, "-m", "reid_visda.prepare_data", "--visda-root", str(data / "raw"), "--out",
                             str(data / "trees")]], timeout) / "trees"


#: A rehearsal's reid_visda runs: the test-scale set with its tests' settings (``tests/reid_visda/conftest.py``),
#: where two epochs only show that the commands work.
VISDA_REHEARSAL = {"baseline": ["solver.ims_per_batch=16", "sampler.num_instances=4", "solver.max_epochs=2",
                                "solver.steps=[1]", "solver.warmup_epochs=1", "solver.checkpoint_every=1",
                                "test.post.smoothing.knn=4", "test.post.rerank.k1=4", "test.post.rerank.k2=2"],
                   "adaptation": ["adaptation.original_fraction=0.5", "adaptation.k1=6", "adaptation.k2=2",
                                  "adaptation.eps=0.6", "adaptation.min_samples=2", "adaptation.top_clusters=8"]}


def step_reid_visda(ctx: Context, seconds_left: float) -> dict:
    """On the demo-scale synthetic set: the CamStyle StarGAN over the target cameras (its reconstruction loss
    falls) and its copies of the target and source images; the demo's baseline with AMP (its losses fall; it is
    evaluated); two epochs of domain adaptation from it (pseudo-labels by the k-reciprocal distance and DBSCAN;
    losses finite). A rehearsal runs the same on the test-scale set for two baseline epochs, whose losses are
    only checked to be finite."""
    start = time.time()
    left = lambda: seconds_left - (time.time() - start)  # noqa: E731
    on_gpu = ctx.device == "cuda"
    trees = _visda_trees(ctx, "demo" if on_gpu else "test", left())
    source, target = trees / "Corrected_personX", trees / "Corrected_target_training"
    gan = ctx.step_dir("reid_visda_camstyle")
    output = run_command(module_argv(ctx, "common.gan.train", "reid_visda/configs/gan_stargan_synthetic.py",
                                     f"data.train.root={target / 'trainval'}", f"device={ctx.device}",
                                     f"train.epochs={4 if on_gpu else 2}", "--work-dir", str(gan)), left())
    numbers = falling_losses(gan / "metrics.jsonl", "g_rec")
    for tree in (target, source):
        output += run_command(module_argv(ctx, "common.gan.generate", str(gan), "--input", str(tree / "trainval"),
                                          "--output", str(tree / "trainval_camstyle"), "--device", ctx.device),
                              left())
    common = [f"data.root={trees}", "data.source_transferred=original", "camera_model=None", f"device={ctx.device}",
              f"solver.amp={on_gpu}", *([] if on_gpu else VISDA_REHEARSAL["baseline"])]
    baseline, adaptation = ctx.step_dir("reid_visda_baseline"), ctx.step_dir("reid_visda_adaptation")
    baseline_config = "reid_visda/configs/baseline_resnet18_ibn_a_synthetic.py"
    output += run_command(module_argv(ctx, "reid_visda.train", baseline_config, *common, "--work-dir", str(baseline)),
                          left())
    numbers.update(falling(json_rows(baseline / "metrics.jsonl"), "epoch_loss", baseline, check_fall=on_gpu))
    evaluation = json.loads((baseline / "evaluation_val" / "results.json").read_text())
    numbers["baseline val mAP"] = round(evaluation["plain"]["mAP"], 4)
    output += run_command(module_argv(ctx, "reid_visda.train", "reid_visda/configs/adaptation_synthetic.py",
                                      *common, *([] if on_gpu else VISDA_REHEARSAL["adaptation"]),
                                      f"model.init_from={baseline}", "solver.max_epochs=2", "solver.steps=[1]",
                                      "evaluate_after_training=False", "--work-dir", str(adaptation)), left())
    rows = json_rows(adaptation / "metrics.jsonl")
    losses = [row["epoch_loss"] for row in rows if "epoch_loss" in row]
    classes = [row["pseudo_classes"] for row in rows if "pseudo_classes" in row]
    if len(losses) != 2 or not all(math.isfinite(v) for v in losses) or not classes:
        raise CheckFailed(f"adaptation: epoch losses {losses}, pseudo-label classes {classes}")
    return {**numbers, "pseudo-label classes": classes[0], "adaptation epoch_loss": round(losses[-1], 4),
            "GPU peak (MiB)": gpu_peak(output, ctx) // 2**20}


def step_retrieval_bench(ctx: Context, seconds_left: float, size: int = 32341) -> dict:
    """Sparse re-ranking of ``size`` items (the bench row) with faiss on the GPU."""
    run = ctx.step_dir(f"retrieval_bench_{size}")
    run_command([ctx.python, "-m", "common.retrieval.bench", "--sizes", str(size), "--dense-max", "0",
                 "--skip-evaluation", "--work-dir", str(run)], seconds_left)
    row = json.loads((run / "rerank_bench.json").read_text())["results"][0]
    return {"sparse (s)": round(row["sparse"]["seconds"], 2), "kNN (s)": round(row["knn"]["seconds"], 2)}


STEPS = (
    Step("environment", 100, 10, "versions, device, faiss GPUs, mmcv", step_environment),
    Step("retrieval_gpu", 90, 30, "faiss kNN and sparse re-ranking on the GPU equal the CPU", step_retrieval,
         gpu_only=True),
    Step("reid_aicity_stage1", 85, 60, "DMT stage 1, tiny synthetic set, AMP: losses fall, on the GPU",
         step_reid_aicity),
    Step("torchrun_nccl", 75, 60, "the same under torchrun --nproc_per_node=1 (NCCL)", step_torchrun),
    Step("dynamics_bench", 70, 40, "batched RNN ensembles vs one at a time", step_dynamics),
    Step("reid_visda", 65, 120, "CamStyle StarGAN, baseline with AMP, adaptation (clustering) on the GPU",
         step_reid_visda),
    Step("reid_gan_filter_score", 60, 60, "E_c training and scoring of generated images", step_reid_gan_filter),
    Step("mmcv_cuda", 50, 900, "the CUDA mmcv wheel (build or cache) and one CUDA op", step_mmcv_cuda,
         gpu_only=True),
    Step("detection_damoyolo_t", 48, 90, "reduced DAMO-YOLO-T, synthetic shapes, AMP: mAP@0.5 >= 0.5",
         step_damoyolo_t, needs=("mmcv_cuda",)),
    Step("detection_latency", 46, 120, "DAMO-YOLO-T / RTMDet-tiny / GiraffeDet-D7 latency: eager, re-param, ORT; "
         "batch 1 and 32", step_detection_latency),
    Step("detection_torchrun_infer", 44, 60, "T evaluated alone, under torchrun (NCCL) and by detection.infer: "
         "same mAP", step_detection_torchrun_infer, needs=("detection_damoyolo_t",)),
    Step("detection_giraffedet_d7", 42, 120, "reduced GiraffeDet-D7 as detection_damoyolo_t", step_giraffedet_d7,
         needs=("mmcv_cuda",)),
    Step("retrieval_bench", 30, 60, "sparse re-ranking at N = 32,341 (bench row)", step_retrieval_bench,
         gpu_only=True),
    Step("retrieval_bench_200k", 20, 180, "sparse re-ranking at N = 200,000 (bench row)",
         functools.partial(step_retrieval_bench, size=200_000), gpu_only=True),
)


# --------------------------------------------------------------------------------------------- plan and report
def estimate(step: Step) -> float:
    """A step's expected seconds (the mmcv build is quick when its wheel is cached)."""
    return 60.0 if step.name == "mmcv_cuda" and _cached_cuda_mmcv() else step.estimate_s


def make_plan(steps: tuple[Step, ...], budget_s: float, only: list[str] | None = None, rehearsal: bool = False,
              estimate_of: Callable[[Step], float] = estimate) -> list[Planned]:
    """The steps in order of value, each to run, to run if time is left (``maybe``: the estimates before it
    already fill the budget) or to skip with the reason (not chosen by ``only``, GPU-only in a rehearsal, a
    prerequisite skipped). In a rehearsal, prerequisites that are GPU-only are waived."""
    unknown = sorted(set(only or ()) - {s.name for s in steps})
    if unknown:
        raise ValueError(f"unknown step(s) {', '.join(unknown)}: choose among {', '.join(s.name for s in steps)}")
    gpu_only = {s.name for s in steps if s.gpu_only}
    plan, planned_s, planned, maybe = [], 0.0, set(), set()
    for step in sorted(steps, key=lambda s: -s.value):
        needs = tuple(n for n in step.needs if not (rehearsal and n in gpu_only))
        if only and step.name not in only:
            plan.append(Planned(step, "skip", "not chosen (--only)"))
        elif rehearsal and step.gpu_only:
            plan.append(Planned(step, "skip", "checks nothing without a GPU"))
        elif any(need not in planned for need in needs):
            plan.append(Planned(step, "skip", f"needs {', '.join(needs)}"))
        elif planned_s + estimate_of(step) > budget_s or maybe & set(needs):
            reason = (f"needs {', '.join(sorted(maybe & set(needs)))}" if maybe & set(needs) else
                      f"budget: ~{estimate_of(step):.0f} s, {max(budget_s - planned_s, 0):.0f} s left")
            plan.append(Planned(step, "maybe", reason, needs))
            planned.add(step.name)
            maybe.add(step.name)
        else:
            plan.append(Planned(step, "run", needs=needs))
            planned_s += estimate_of(step)
            planned.add(step.name)
    return plan


def run_plan(plan: list[Planned], ctx: Context, budget_s: float, clock: Callable[[], float] = time.time
             ) -> list[StepResult]:
    """Run the planned steps in order of value; a step ("run" or "maybe") is skipped when its estimate does not fit
    what is left of the budget, or a step it needs did not pass. A "maybe" step that fits runs even if later
    "run" steps then no longer fit: value decides."""
    start, passed, results = clock(), set(), []
    for item in plan:
        step = item.step
        if item.action == "skip":
            results.append(StepResult(step.name, "skipped", note=item.reason))
            continue
        left = budget_s - (clock() - start)
        if any(need not in passed for need in item.needs):
            results.append(StepResult(step.name, "skipped", note=f"needs {', '.join(item.needs)} to pass"))
            continue
        if estimate(step) > left:
            results.append(StepResult(step.name, "skipped", note=f"budget: ~{estimate(step):.0f} s, {left:.0f} s left"))
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
            status = {"run": f"run   ~{estimate(p.step):.0f} s", "maybe": f"maybe ({p.reason})"}.get(
                p.action, f"skip  ({p.reason})")
            print(f"  {i:2d}. {p.step.name:24s} {status:40s} {p.step.what}")
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
    """Run ``module`` as ``__main__`` with ``args``, then print the peak GPU memory it allocated; a process group
    it joins prints its backend."""
    import torch
    import torch.distributed as dist

    init_process_group = dist.init_process_group

    def reporting_init(*a, **kw):
        init_process_group(*a, **kw)
        print(f"{BACKEND_LINE} {dist.get_backend()}", flush=True)

    dist.init_process_group = reporting_init
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
