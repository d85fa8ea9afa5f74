"""Pieces the RNN figure experiments share: config keys, device/dtype, checkpoints, rank-one
latent-flow metrics and the abrupt-drop epoch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from common.checkpoint import CheckpointManager
from common.device import resolve_device
from common.runlog import RunLogger

from .. import latent
from ..fixed_points import FIXED_KINDS, ghost_speed_ceiling
from ..models import RateRNN
from ..tasks import TASKS
from ..training import train_ensemble
from . import require, require_positive

RNN_DEFAULTS = {
    "dtype": "float32",         # the authors train in float32
    "checkpoint_every": 0,      # epochs between checkpoints of a training loop (0: only the final one, which keeps
                                # the trained weights and snapshots: --resume re-analyses a finished run)
    "log_every": 100,           # epochs between ensemble-mean metrics in metrics.jsonl / TensorBoard
    "cpu_threads": 1,           # torch threads on CPU: the per-step ops are small, and one thread
                                # avoids OpenMP spin-waits (several times faster on a busy 2-core box)
}
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def check_rnn(cfg) -> None:
    require(cfg, "dtype", cfg.dtype in DTYPES, f"one of {sorted(DTYPES)}")
    require(cfg, "checkpoint_every", cfg.checkpoint_every >= 0, "must be >= 0")
    require_positive(cfg, "log_every", "cpu_threads")


def device_dtype(cfg) -> tuple[torch.device, torch.dtype]:
    """The run's device and dtype; also applies ``cpu_threads``."""
    torch.set_num_threads(cfg.cpu_threads)
    return resolve_device(cfg.device), DTYPES[cfg.dtype]


def checkpoints(run: RunLogger, name: str) -> CheckpointManager:
    """Checkpoints of one training phase under ``<run dir>/checkpoints/``."""
    return CheckpointManager(Path(run.dir) / "checkpoints", keep_last=2, prefix=name)


def rank_one_vectors(params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(m, n, b) ``[E, N]`` of rank-one members from their parameters (U = n, V = mᵀ)."""
    return params["V"][:, 0, :], params["U"][:, :, 0], params["b"]


def rank_one_flow_metrics(grid: torch.Tensor, threshold: float, ghost_speed_max: float):
    """A ``metric_fn`` for ``train_ensemble``: per epoch and member, on the κ grid,

    * ``n_fixed_points``: zero crossings of κ̇ = −κ + nᵀ tanh(mκ + b);
    * ``min_speed``: the slowest speed minimum without a zero crossing inside the span of that
      epoch's κ trajectory (NaN when there is none);
    * ``ghost_speed`` / ``ghost_kappa``: that minimum when its speed is at most ``ghost_speed_max``
      (``fixed_points.ghost_speed_ceiling``; in 1-D the direction at a minimum of |F| is marginal),
      NaN otherwise: a ghost on the path;
    * ``kappa_final``: κ at the last step (the output reads σ(c(κ − ``threshold``))).
    """
    def metrics(model: RateRNN, y: torch.Tensor, X: torch.Tensor) -> dict[str, torch.Tensor]:
        g = grid.to(X.dtype)
        m, n, b = model.V[:, 0, :], model.U[:, :, 0], model.b
        F = latent.rank_one_flow(g, m, n, b)                               # [E, G]
        kappa = torch.einsum("esn,en->es", X[:, 0], n)                      # [E, S+1]
        positive = F > 0
        crossings = (positive[:, 1:] != positive[:, :-1]).sum(1)
        s = F.abs()
        is_min = (s[:, 1:-1] <= s[:, :-2]) & (s[:, 1:-1] <= s[:, 2:]) & (positive[:, :-2] == positive[:, 2:])
        inner = g[1:-1]
        on_path = (inner >= kappa.min(1, keepdim=True).values) & (inner <= kappa.max(1, keepdim=True).values)
        candidate = torch.where(is_min & on_path, s[:, 1:-1], torch.full_like(s[:, 1:-1], float("inf")))
        speed, idx = candidate.min(1)
        nan = torch.full_like(speed, float("nan"))
        has = torch.isfinite(speed)
        slow = has & (speed <= ghost_speed_max)
        return {"n_fixed_points": crossings.to(X.dtype), "min_speed": torch.where(has, speed, nan),
                "ghost_speed": torch.where(slow, speed, nan), "ghost_kappa": torch.where(slow, inner[idx], nan),
                "kappa_final": kappa[:, -1]}
    return metrics


def model_from_snapshots(template: RateRNN, snapshots: dict[int, dict], epochs: list[int],
                         member: int = 0) -> RateRNN:
    """An ensemble whose member k holds ``member``'s weights at ``epochs[k]`` (to re-simulate them).

    Args:
        template: the trained model (its settings are kept).
        snapshots: ``TrainingRecord.snapshots`` with "params" at every epoch in ``epochs``.
    """
    model = template.select([member] * len(epochs))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.stack([snapshots[e]["params"][name][member] for e in epochs]).to(p))
    return model


def drop_epochs(loss: np.ndarray, reference_epoch: int, fractions: tuple[float, ...]) -> list[int]:
    """First epochs at which ``loss`` ``[epochs]`` falls below each fraction of its value at
    ``reference_epoch`` (the plateau), −1 when it never does."""
    ref = loss[min(reference_epoch, len(loss) - 1)]
    out = []
    for f in fractions:
        below = np.nonzero(loss[reference_epoch:] < f * ref)[0]
        out.append(int(below[0] + reference_epoch) if below.size else -1)
    return out


def onset_and_learned(loss: np.ndarray, plateau_epoch: int, onset_fraction: float = 0.9,
                      learned_fraction: float = 0.2, window: int = 10) -> tuple[int, int]:
    """When the loss leaves its plateau for good, and when it is learned (−1: never).

    The plateau level P is the median loss over ``window`` epochs from ``plateau_epoch``.
    **Learned**: the first epoch with loss < ``learned_fraction`` · P. **Onset**: the epoch after
    the last one (from ``plateau_epoch``, before "learned") whose loss is ≥ ``onset_fraction`` · P,
    so a noisy plateau that dips below the line and comes back does not count; −1 when the loss
    ends above it.

    Args:
        loss: ``[epochs]``.
    """
    loss = np.asarray(loss, dtype=float)
    plateau_epoch = min(plateau_epoch, len(loss) - 1)          # a run shorter than its plateau epoch
    plateau = float(np.median(loss[plateau_epoch:plateau_epoch + window]))
    below = np.nonzero(loss[plateau_epoch:] < learned_fraction * plateau)[0]
    learned = int(below[0] + plateau_epoch) if below.size else -1
    end = learned if learned >= 0 else len(loss)
    if learned < 0 and loss[-1] >= onset_fraction * plateau:
        return -1, -1
    above = np.nonzero(loss[plateau_epoch:end] >= onset_fraction * plateau)[0]
    return (int(above[-1] + 1 + plateau_epoch) if above.size else plateau_epoch), learned


def train_and_pick_epochs(cfg, model: RateRNN, task, run: RunLogger, desc: str, resume: bool):
    """Train a working-memory ensemble (one member per seed), keeping its weights at every
    ``record_every``-th epoch (plus the last and ``snapshot_epochs``), and choose the epochs to show
    (from the first member's loss).

    Args:
        cfg: needs ``epochs``, ``lr``, ``optimizer``, ``record_every``, ``snapshot_epochs``,
            ``plateau_epoch``, ``log_every``, ``checkpoint_every``.
        desc: progress-bar and checkpoint name.
    Returns:
        ``(rec, recorded, levels, shown)``: the ``TrainingRecord``, the recorded epochs, the epochs
        where the loss falls to 90/50/20% of its plateau (``drop_epochs``; −1: never), and the shown
        epochs (the recorded ones nearest to ``snapshot_epochs``, or to 0, the drops and the end).
    """
    recorded = sorted(set(range(0, cfg.epochs, cfg.record_every)) | {cfg.epochs - 1} | set(cfg.snapshot_epochs))
    rec = train_ensemble(model, task, cfg.epochs, cfg.lr, optimizer=cfg.optimizer, snapshot_epochs=recorded,
                         snapshot_states=False, logger=run, log_every=cfg.log_every, desc=desc,
                         checkpoints=checkpoints(run, desc), checkpoint_every=cfg.checkpoint_every,
                         resume=resume)
    levels = drop_epochs(rec.loss[:, 0], cfg.plateau_epoch, (0.9, 0.5, 0.2))
    rec_arr = np.asarray(recorded)
    nearest = lambda e: int(rec_arr[np.argmin(np.abs(rec_arr - e))])
    shown = ([nearest(e) for e in cfg.snapshot_epochs] if cfg.snapshot_epochs else
             sorted({0, cfg.epochs - 1} | {nearest(e) for e in levels if e >= 0}))
    return rec, recorded, levels, shown


def task_from_cfg(cfg):
    """The trial batch of a working-memory config's ``task`` (``tasks.TASKS``: DCDT, DMTS, registered ones)."""
    return TASKS[cfg.task](cfg)


WM_DEFAULTS = {
    "task": "dcdt",              # "dcdt" (tanh readout, ±1), "dmts" (sigmoid readout, match = 1) or a name
                                 # added with dynamics.tasks.register_task (sigmoid readout)
    "stimulus_ms": 10.0,         # cue (DCDT) / each stimulus (DMTS) duration
    "delay_ms": 50.0,
    "reaction_ms": 50.0,
    "dt_ms": 5.0,                # Δt = 5 ms, τ = 10 ms → α = 0.5
    "trials_per_condition": 1,
    "n_units": 100,
    "alpha": 0.5,
    "noise_std": 0.0,
    "init_state_std": 0.0,       # r0 = tanh(N(0, σ0²)) per trial and forward pass
    "input_bias_std": None,      # None: nn.Linear's default U(±1) bias (the authors' full-rank scripts)
}
SLOW_POINT_DEFAULTS = {          # the working-memory slow-point experiments (Figs 4, 5)
    "seeds": [],                 # [] = [seed]; several seeds train as one batch: the figure shows the first,
                                 # the ghost-onset table covers all
    "ghost_radius": 0.5,         # a ghost within this distance of a trajectory state is "near the path"
    "ghost_distance": 1.0,       # distance a ghost must hold a trajectory over during the delay:
                                 # ghost speed ceiling = ghost_distance / (α · delay steps)
    "input_value": None,         # slow points of the flow under this constant input (None: input-free, the authors')
}


def wm_ghost_speed_max(cfg) -> float:
    """The ghost speed ceiling of a working-memory config: ``ghost_distance`` held over the config's
    ``delay_ms`` (a registered task with another delay should set ``delay_ms`` to match)."""
    return ghost_speed_ceiling(cfg.ghost_distance, cfg.alpha, cfg.delay_ms / cfg.dt_ms)


def check_wm(cfg) -> None:
    require(cfg, "task", cfg.task in TASKS, f"one of {sorted(TASKS)} (dynamics.tasks.register_task adds more)")
    require_positive(cfg, "stimulus_ms", "delay_ms", "reaction_ms", "dt_ms", "trials_per_condition", "n_units",
                     "alpha")
    require(cfg, "noise_std", cfg.noise_std >= 0, "must be >= 0")
    require(cfg, "init_state_std", cfg.init_state_std >= 0, "must be >= 0")


def check_slow_points(cfg) -> None:
    require(cfg, "seeds", all(isinstance(s, int) for s in cfg.seeds), "a list of int seeds")
    require_positive(cfg, "ghost_radius", "ghost_distance")
    require(cfg, "input_value", cfg.input_value is None or isinstance(cfg.input_value, (int, float)),
            "None or a number")


def wm_model(cfg, seeds, rank, device, dtype, **overrides) -> RateRNN:
    """A working-memory RateRNN (authors' ``RNN`` class) from a config."""
    kwargs = dict(n_units=cfg.n_units, rank=rank, alpha=cfg.alpha, n_inputs=1,
                  readout="latent" if rank is not None else "units",
                  out_nonlinearity="tanh" if cfg.task == "dcdt" else "sigmoid", readout_state="current",
                  noise_std=cfg.noise_std, init_state_std=cfg.init_state_std, init="working_memory",
                  input_bias_std=cfg.input_bias_std, dtype=dtype, device=device)
    kwargs.update(overrides)
    return RateRNN(seeds, **kwargs)


def condition_trials(task, n_per_condition: int = 1):
    """Inputs ``[C·n, S, 1]`` with ``n`` trials of every condition (for trajectories)."""
    conditions = task.conditions.unique()
    idx = torch.cat([torch.nonzero(task.conditions == c)[:n_per_condition, 0] for c in conditions])
    return task.inputs[idx], task.targets[idx], task.conditions[idx]


# ------------------------------------------------------------------------- ghost timeline


def timeline_epochs(recorded, end_epoch: int, max_epochs: int) -> list[int]:
    """Recorded epochs up to the one nearest ``end_epoch``, evenly thinned to at most ``max_epochs``
    (the first and last are always kept).

    Args:
        recorded: increasing epochs with weight snapshots.
    Returns:
        Increasing list of epochs.
    """
    rec = np.asarray(recorded)
    end = rec[np.argmin(np.abs(rec - end_epoch))]
    chosen = rec[rec <= end]
    if len(chosen) > max_epochs:
        chosen = chosen[np.unique(np.round(np.linspace(0, len(chosen) - 1, max_epochs)).astype(int))]
    return chosen.tolist()


def slow_point_summary(kinds: list[str], speed: np.ndarray, distance: np.ndarray, radius: float) -> dict:
    """One epoch's slow points reduced to the timeline's numbers.

    Args:
        kinds: ``P`` labels from ``fixed_points.classify``.  speed: ``[P]`` |F|.
        distance: ``[P]`` distance of each point to the nearest trajectory state.
        radius: a ghost within this distance of a trajectory is "near the path".
    Returns:
        ``n_fixed_points`` (stable + saddle + unstable), ``ghost_speed`` (slowest ghost, NaN: none),
        ``ghost_speed_near_path`` (slowest ghost within ``radius``, NaN: none),
        ``min_speed_near_path`` (slowest local minimum of q within ``radius`` that is not a fixed
        point, ghost or "not slow", NaN: none) and ``ghost_distance`` (distance of the slowest ghost
        to the trajectories, NaN: none).
    """
    speed, distance = np.asarray(speed, dtype=float), np.asarray(distance, dtype=float)
    ghost = np.array([k == "ghost" for k in kinds], dtype=bool)
    near = ghost & (distance <= radius)
    near_min = np.array([k in ("ghost", "not slow") for k in kinds], dtype=bool) & (distance <= radius)
    slowest = int(np.argmin(np.where(ghost, speed, np.inf))) if ghost.any() else -1
    return {"n_fixed_points": sum(k in FIXED_KINDS for k in kinds),
            "ghost_speed": float(speed[slowest]) if slowest >= 0 else float("nan"),
            "ghost_speed_near_path": float(speed[near].min()) if near.any() else float("nan"),
            "min_speed_near_path": float(speed[near_min].min()) if near_min.any() else float("nan"),
            "ghost_distance": float(distance[slowest]) if slowest >= 0 else float("nan")}


def ghost_timeline(epochs, n_fixed, ghost_speed, drops: dict[str, int]) -> dict:
    """When a ghost first exists and when the number of fixed points changes (a bifurcation).

    Args:
        epochs: ``[T]`` increasing analysed epochs.  n_fixed: ``[T]`` fixed-point counts.
        ghost_speed: ``[T]`` speed of the ghost at each epoch, NaN where there is none.
        drops: name → epoch of a loss drop (−1: never reached).
    Returns:
        ``first ghost`` (epoch, −1: none), ``ghost before`` (name → first ghost < that drop; False
        when either never happens), ``fixed-point counts`` (sorted distinct values),
        ``count changes`` (``{"epoch", "from", "to"}``, at the first analysed epoch with the new
        count) and ``bifurcations`` (their number).
    """
    epochs, n_fixed = np.asarray(epochs), np.asarray(n_fixed).astype(int)
    has = np.isfinite(np.asarray(ghost_speed, dtype=float))
    first = int(epochs[np.argmax(has)]) if has.any() else -1
    changed = np.nonzero(np.diff(n_fixed))[0] + 1
    return {"first ghost": first,
            "ghost before": {name: bool(0 <= first < d) for name, d in drops.items()},
            "fixed-point counts": sorted(set(n_fixed.tolist())),
            "count changes": [{"epoch": int(epochs[i]), "from": int(n_fixed[i - 1]), "to": int(n_fixed[i])}
                              for i in changed],
            "bifurcations": len(changed)}


def ghost_onset_report(epochs, n_fixed, ghost_speed, min_speed, onset: int, learned: int) -> dict:
    """Does a ghost precede the onset of the drop? One seed's answer, for the summary tables.

    Args:
        epochs: ``[T]`` analysed epochs.  n_fixed: ``[T]`` fixed-point counts.
        ghost_speed: ``[T]`` speed of the slowest ghost (NaN: none).
        min_speed: ``[T]`` speed of the slowest minimum without a zero, ghost or not (NaN: none).
        onset, learned: epochs of the drop's onset and of "learned" (−1: never).
    Returns:
        ``onset``, ``learned``, ``first ghost`` (−1: none), ``its speed``, ``ghost epochs before onset``
        (how many analysed epochs before the onset had a ghost), ``slowest min before onset`` (the
        slowest speed minimum before the onset, ghost or not: what the ceiling was compared with),
        ``ghost before onset``, ``fixed-point counts`` and ``bifurcations``.
    """
    epochs = np.asarray(epochs)
    speed, slowest = np.asarray(ghost_speed, dtype=float), np.asarray(min_speed, dtype=float)
    timeline = ghost_timeline(epochs, n_fixed, speed, {"onset": onset})
    first = timeline["first ghost"]
    before = epochs < onset                      # empty when the loss never leaves the plateau (onset −1)
    mins = slowest[before & np.isfinite(slowest)]
    return {"onset": int(onset), "learned": int(learned), "first ghost": first,
            "its speed": float(speed[np.searchsorted(epochs, first)]) if first >= 0 else float("nan"),
            "ghost epochs before onset": int(np.count_nonzero(before & np.isfinite(speed))),
            "slowest min before onset": float(mins.min()) if mins.size else float("nan"),
            "ghost before onset": timeline["ghost before"]["onset"],
            "fixed-point counts": timeline["fixed-point counts"], "bifurcations": timeline["bifurcations"]}


def timeline_over_training(cfg, model: RateRNN, snapshots: dict[int, dict], recorded: list[int],
                           levels: list[int], inputs: torch.Tensor, n_steps: int, analyse,
                           member: int = 0) -> dict:
    """The ghost timeline of one trained network over [0, its 20%-drop epoch] (whole run if never).

    Args:
        cfg: needs ``seed``, ``epochs``, ``timeline_max_epochs``, ``ghost_radius``, ``input_value``.
        model: the trained ensemble; ``member`` is analysed.  snapshots: ``TrainingRecord.snapshots``.
        levels: the 90/50/20% drop epochs (``drop_epochs``).  inputs: ``[C, S, 1]`` trials.
        analyse: ``(W [T, N, N], b [T, N], states [T, C, S + 1, N]) → name → T values`` with at
            least ``n_fixed_points``, ``ghost_speed`` and ``ghost_speed_near_path``.
    Returns:
        ``epochs``, ``drops``, the per-epoch values, the ``ghost_timeline`` of the near-path ghost,
        and ``first ghost anywhere`` / ``ghost anywhere before`` for ghosts at any distance.
    """
    end = levels[2] if levels[2] >= 0 else cfg.epochs - 1
    epochs = timeline_epochs(recorded, end, cfg.timeline_max_epochs)
    tl_model = model_from_snapshots(model, snapshots, epochs, member)
    torch.manual_seed(cfg.seed)          # reproducible initial states and noise
    with torch.no_grad():
        _, X = tl_model(inputs, n_steps)
        W = tl_model.recurrent_weights()
    b = tl_model.input_bias(cfg.input_value)
    per_epoch = analyse(W.detach().double().cpu(), b.double().cpu(), X.double().cpu())
    drops = {"90%": levels[0], "50%": levels[1], "20%": levels[2]}
    summary = ghost_timeline(epochs, per_epoch["n_fixed_points"], per_epoch["ghost_speed_near_path"], drops)
    anywhere = ghost_timeline(epochs, per_epoch["n_fixed_points"], per_epoch["ghost_speed"], drops)
    return {"epochs": epochs, "ghost_radius": cfg.ghost_radius, "drops": drops, **per_epoch, **summary,
            "first ghost anywhere": anywhere["first ghost"], "ghost anywhere before": anywhere["ghost before"]}


ONSET_TITLE = ("{family} RNN on {task}: does a ghost precede the onset? onset: the loss leaves 90% of its plateau "
               "for good, learned: < 20%; ghost: within ghost_radius of the trajectories, speed ≤ {speed:.3g}")


def ghost_onset_per_seed(cfg, model: RateRNN, rec, recorded: list[int], inputs: torch.Tensor, n_steps: int,
                         analyse, seeds: list[int]) -> tuple[list[dict], list[dict]]:
    """The ghost timeline and the ``ghost_onset_report`` of every member (one per seed).

    Onset and "learned" are ``onset_and_learned`` (90% and 20% of the plateau from ``plateau_epoch``);
    the ghost is the slowest one within ``ghost_radius`` of the trajectories (``timeline_over_training``,
    same arguments; it covers [0, "learned"], the whole run when never learned).
    Returns:
        ``(timelines, rows)``: one timeline dict and one table row (``seed`` + the report) per seed.
    """
    timelines, rows = [], []
    for e, seed in enumerate(seeds):
        onset, learned = onset_and_learned(rec.loss[:, e], cfg.plateau_epoch)
        levels = drop_epochs(rec.loss[:, e], cfg.plateau_epoch, (0.9, 0.5))
        tl = timeline_over_training(cfg, model, rec.snapshots, recorded, levels + [learned], inputs, n_steps, analyse,
                                    member=e)
        timelines.append(tl)
        rows.append({"seed": seed, **ghost_onset_report(tl["epochs"], tl["n_fixed_points"], tl["ghost_speed_near_path"],
                                                        tl["min_speed_near_path"], onset, learned)})
    return timelines, rows


def describe_timeline(timeline: dict) -> dict[str, str]:
    """Short strings of a ghost timeline (``ghost_timeline`` output plus ``epochs`` and
    ``first ghost anywhere``) for the summary table."""
    changes = timeline["count changes"]
    listed = ", ".join(f"{c['from']}→{c['to']} at {c['epoch']}" for c in changes[:5])
    more = f" (+{len(changes) - 5} more)" if len(changes) > 5 else ""
    before = "/".join("yes" if v else "no" for v in timeline["ghost before"].values())
    return {"epochs": f"timeline: {len(timeline['epochs'])} epochs in [0, {timeline['epochs'][-1]}]",
            "first ghost": (f"first ghost near path at {timeline['first ghost']} (anywhere: "
                            f"{timeline['first ghost anywhere']}); before the {'/'.join(timeline['ghost before'])} "
                            f"drop: {before}"),
            "count changes": (f"fixed-point count changes: {listed}{more}" if changes else
                              f"fixed-point count constant: {timeline['fixed-point counts']}")}
