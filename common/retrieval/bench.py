"""Benchmark: sparse k-reciprocal re-ranking against the dense original, and against the plain
exact top-k search that bounds it from below.

    python -m common.retrieval.bench [--sizes 5000 20000 32341] [--dim 2048] [--queries 1103]

For every N (queries = the first ``--queries`` items, gallery = the rest; 32,341 = AI City 2021's
1,103 queries + 31,238 gallery images) each method runs in its own fresh Python process on the same
synthetic clustered, L2-normalised features, so its wall time and **peak resident memory**
(``getrusage`` maximum RSS of that process, data included) are its own:

* ``knn``: a plain faiss exact search of every item's k1 + 1 nearest neighbours (the floor);
* ``sparse``: ``common.retrieval.rerank.k_reciprocal_rerank``;
* ``dense``: ``common.retrieval.rerank_dense.k_reciprocal_rerank_dense`` in float32 with NumPy's
  default argsort, as published (skipped above ``--dense-max``: it needs ~16 GB at N = 32,341).

It prints a table (time, peak memory, speed-up and memory ratio, re-ranking time over search
time, and the agreement of the two outputs) and writes ``tables/rerank_bench_{time,memory}.{md,json}``
and ``rerank_bench.json`` under ``--work-dir``. Peak memory is reported in total and as the increment over the
process' RSS just before the call (imports and features excluded). The dense baseline works in float32, so
near-ties at a neighbour-set boundary may be decided differently from the sparse version (which decides them
in float64); the agreement columns show how often that matters.

It also times ``common.retrieval.evaluate_distmat`` against torchreid's Python evaluator (``eval_market1501``,
re-stated below as the baseline) on a Market-1501-sized ``--evaluation-size`` (3,368 x 15,913) distance matrix
with Market-like labels (751 identities, 6 cameras), in this process, and prints the ratio and the largest
differences of the metrics (``tables/evaluation_bench.md|json``; ``--skip-evaluation`` leaves it out).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_SIZES = (5000, 20000, 32341)


def synthetic_features(n: int, dim: int, seed: int, per_identity: int = 30) -> np.ndarray:
    """(n, dim) float32 unit-norm features: identity centres plus as much isotropic noise (an
    identity's images have cosine ~0.5, different identities ~0), built in row blocks."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(n // per_identity, 2), dim), dtype=np.float32)
    labels = rng.integers(0, len(centres), n)
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 8192):
        stop = min(start + 8192, n)
        x[start:stop] = centres[labels[start:stop]]
        x[start:stop] += rng.standard_normal((stop - start, dim), dtype=np.float32)
        x[start:stop] /= np.linalg.norm(x[start:stop], axis=1, keepdims=True)
    return x


def _peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _current_rss_bytes() -> int:
    """Resident memory now (Linux ``/proc/self/statm``; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * resource.getpagesize()


def _child(args: argparse.Namespace) -> None:
    """Run one method on the synthetic data; print its time and peak RSS as one JSON line."""
    from .knn import knn_search
    from .rerank import k_reciprocal_rerank
    from .rerank_dense import k_reciprocal_rerank_dense

    x = synthetic_features(args.n, args.dim, args.seed)
    q, g = x[:args.queries], x[args.queries:]
    rss_before = _current_rss_bytes()
    start = time.perf_counter()
    if args.child == "knn":
        knn_search(x, x, args.k1 + 1, metric="euclidean")
        out = None
    elif args.child == "sparse":
        out = k_reciprocal_rerank(q, g, args.k1, args.k2, args.lambda_value)
    else:
        out = k_reciprocal_rerank_dense(q, g, args.k1, args.k2, args.lambda_value,
                                        dtype=np.float32, stable_sort=False)
    seconds = time.perf_counter() - start
    if out is not None:
        np.save(args.output, out)
    print(json.dumps({"seconds": seconds, "peak_rss_bytes": _peak_rss_bytes(),
                      "rss_before_bytes": rss_before}))


def _run_child(method: str, n: int, args: argparse.Namespace, output: Path) -> dict:
    cmd = [sys.executable, "-m", "common.retrieval.bench", "--child", method, "--n", str(n),
           "--dim", str(args.dim), "--queries", str(args.queries), "--k1", str(args.k1),
           "--k2", str(args.k2), "--lambda-value", str(args.lambda_value), "--seed", str(args.seed),
           "--output", str(output)]
    env = dict(os.environ)  # the child imports this checkout even when it is not installed
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child '{method}' at N={n} failed (exit {proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _agreement(sparse_path: Path, dense_path: Path, top: int = 100) -> dict:
    """Max |sparse - dense| and how far their top-``top`` lists agree."""
    a, b = np.load(sparse_path, mmap_mode="r"), np.load(dense_path, mmap_mode="r")
    max_diff, overlap, identical = 0.0, [], []
    for start in range(0, len(a), 256):
        da, db = np.asarray(a[start:start + 256]), np.asarray(b[start:start + 256])
        max_diff = max(max_diff, float(np.abs(da - db).max()))
        ta = np.argsort(da, axis=1, kind="stable")[:, :top]
        tb = np.argsort(db, axis=1, kind="stable")[:, :top]
        overlap += [len(np.intersect1d(r, s)) / top for r, s in zip(ta, tb)]
        identical += list((ta == tb).all(axis=1))
    return {"max_abs_diff": max_diff, "top100_overlap": float(np.mean(overlap)),
            "top100_identical_queries": float(np.mean(identical))}


def torchreid_eval_market1501(distmat: np.ndarray, q_pids: np.ndarray, g_pids: np.ndarray, q_camids: np.ndarray,
                               g_camids: np.ndarray, max_rank: int) -> tuple[np.ndarray, float, float]:
    """torchreid's Python ``eval_market1501`` (``torchreid/metrics/rank.py``), the timing baseline: argsort of
    the whole matrix, then per query the kept matches, CMC, INP and AP. Returns ``(cmc, mAP, mINP)``."""
    indices = np.argsort(distmat, axis=1)
    matches = (g_pids[indices] == q_pids[:, np.newaxis]).astype(np.int32)
    all_cmc, all_ap, all_inp = [], [], []
    for q_idx in range(distmat.shape[0]):
        order = indices[q_idx]
        keep = ~((g_pids[order] == q_pids[q_idx]) & (g_camids[order] == q_camids[q_idx]))
        raw_cmc = matches[q_idx][keep]
        if not np.any(raw_cmc):
            continue
        cmc = raw_cmc.cumsum()
        max_pos_idx = np.max(np.where(raw_cmc == 1))
        all_inp.append(cmc[max_pos_idx] / (max_pos_idx + 1.0))
        cmc[cmc > 1] = 1
        all_cmc.append(cmc[:max_rank])
        tmp_cmc = [x / (i + 1.) for i, x in enumerate(raw_cmc.cumsum())]
        all_ap.append((np.asarray(tmp_cmc) * raw_cmc).sum() / raw_cmc.sum())
    return np.asarray(all_cmc, dtype=np.float32).mean(0), float(np.mean(all_ap)), float(np.mean(all_inp))


def evaluation_bench(num_query: int, num_gallery: int, seed: int = 0, max_rank: int = 50) -> dict:
    """Time ``evaluate_distmat`` and torchreid's evaluator on one synthetic (Q, G) matrix, in this process."""
    from .metrics import evaluate_distmat

    rng = np.random.default_rng(seed)
    g_pids, g_cams = rng.integers(0, 751, num_gallery), rng.integers(0, 6, num_gallery)
    q_pids, q_cams = rng.integers(0, 751, num_query), rng.integers(0, 6, num_query)
    distmat = rng.random((num_query, num_gallery), dtype=np.float32)
    distmat += 0.5 * (q_pids[:, None] != g_pids[None, :])  # matches closer, with overlap
    start = time.perf_counter()
    ours = evaluate_distmat(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=max_rank)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    cmc, m_ap, m_inp = torchreid_eval_market1501(distmat, q_pids, g_pids, q_cams, g_cams, max_rank)
    reference_s = time.perf_counter() - start
    return {"queries": num_query, "gallery": num_gallery, "ours (s)": ours_s, "torchreid (s)": reference_s,
            "torchreid / ours": reference_s / ours_s, "mAP": ours.mAP,
            "|mAP, mINP diff|": max(abs(ours.mAP - m_ap), abs(ours.mINP - m_inp)),
            "|CMC diff| (torchreid's is float32)": float(np.abs(ours.cmc - cmc).max())}


def run(args: argparse.Namespace) -> list[dict]:
    from ..runlog import RunLogger

    work = Path(args.work_dir)
    scratch = work / "scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    log = RunLogger(work, tensorboard=False)
    details = []
    for n in args.sizes:
        if n <= args.queries + args.k1:
            raise ValueError(f"size {n} is too small for {args.queries} queries and k1={args.k1}")
        res = {"N": n, "queries": args.queries, "dim": args.dim}
        methods = (["knn"] if not args.no_knn else []) + ["sparse"] + (
            ["dense"] if n <= args.dense_max else [])
        for method in methods:
            log.info(f"N={n}: running {method} ...")
            res[method] = _run_child(method, n, args, scratch / f"{method}_{n}.npy")
            log.info(f"N={n}: {method} {res[method]['seconds']:.1f} s, "
                     f"peak {res[method]['peak_rss_bytes'] / 2**30:.2f} GiB")
        if "dense" in res:
            res["agreement"] = _agreement(scratch / f"sparse_{n}.npy", scratch / f"dense_{n}.npy")
        for method in ("sparse", "dense"):
            (scratch / f"{method}_{n}.npy").unlink(missing_ok=True)
        details.append(res)
    title = f"{args.dim}-d features, k1={args.k1} k2={args.k2} lambda={args.lambda_value}"
    log.save_table([_time_row(r) for r in details], "rerank_bench_time",
                   title=f"Re-ranking time (s), sparse vs dense; {title}")
    log.save_table([_memory_row(r) for r in details], "rerank_bench_memory",
                   title=f"Peak RSS (GiB; +: above the RSS before the call) and agreement; {title}")
    log.save_json({"config": vars(args), "results": details}, "rerank_bench")
    scratch.rmdir()
    if not args.skip_evaluation:
        log.info("timing evaluate_distmat against torchreid's evaluator ...")
        row = evaluation_bench(*args.evaluation_size, seed=args.seed)
        log.save_table([row], "evaluation_bench", title="Evaluation (CMC, mAP, mINP): ours vs torchreid's Python "
                       "eval_market1501, same process")
        log.save_json(row, "evaluation_bench")
    log.close()
    return details


def _time_row(res: dict) -> dict:
    sparse, dense, knn = res["sparse"], res.get("dense"), res.get("knn")
    return {"N": res["N"], "queries": res["queries"],
            "knn": knn["seconds"] if knn else "-",
            "sparse": sparse["seconds"],
            "dense": dense["seconds"] if dense else "-",
            "dense / sparse": dense["seconds"] / sparse["seconds"] if dense else "-",
            "sparse / knn": sparse["seconds"] / knn["seconds"] if knn else "-"}


def _memory_row(res: dict) -> dict:
    gib = 2 ** 30
    sparse, dense = res["sparse"], res.get("dense")
    row = {"N": res["N"], "sparse": sparse["peak_rss_bytes"] / gib,
           "dense": dense["peak_rss_bytes"] / gib if dense else "-",
           "dense / sparse": dense["peak_rss_bytes"] / sparse["peak_rss_bytes"] if dense else "-",
           "sparse +": _increment(sparse) / gib,
           "dense +": _increment(dense) / gib if dense else "-"}
    if "agreement" in res:
        row.update({"max |diff|": res["agreement"]["max_abs_diff"],
                    "top-100 overlap": res["agreement"]["top100_overlap"]})
    return row


def _increment(result: dict) -> int:
    return max(result["peak_rss_bytes"] - result["rss_before_bytes"], 0)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m common.retrieval.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                   help="numbers of items N = queries + gallery (default: 5000 20000 32341)")
    p.add_argument("--queries", type=int, default=1103, help="queries among the N items")
    p.add_argument("--dim", type=int, default=2048, help="feature dimension")
    p.add_argument("--k1", type=int, default=20)
    p.add_argument("--k2", type=int, default=6)
    p.add_argument("--lambda-value", type=float, default=0.3)
    p.add_argument("--dense-max", type=int, default=32341,
                   help="run the dense baseline only for N up to this (it needs O(N^2) memory)")
    p.add_argument("--no-knn", action="store_true", help="skip the plain top-k search timing")
    p.add_argument("--evaluation-size", type=int, nargs=2, default=[3368, 15913], metavar=("Q", "G"),
                   help="queries and gallery of the evaluation timing (default: Market-1501's)")
    p.add_argument("--skip-evaluation", action="store_true", help="skip the evaluation timing")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work-dir", default="work_dirs/retrieval_bench")
    p.add_argument("--child", choices=("knn", "sparse", "dense"), help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--output", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        _child(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
