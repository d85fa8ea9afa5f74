"""Full-batch gradient descent of a batched ensemble: E independent runs as one computation.

The summed loss Σ_e L_e has per-member gradients (members share no weights), so one backward
pass yields every member's gradient. SGD then applies each member's own learning rate
(p_e ← p_e − η_e ∇L_e, a ``[E]`` tensor), which is how a sweep over seeds × learning rates ×
ranks runs in one batch. Adam (elementwise) is the library optimiser with one shared rate.

The model is any ``nn.Module`` with an ensemble size ``E`` whose every trainable parameter has a
leading ``[E]`` axis and whose ``forward(inputs, n_steps, n_trials)`` returns outputs
``[E, B, S, O]`` and states ``[E, B, S + 1, N]``: ``RateRNN``, or your own recurrent cell
wrapped in ``models.StepEnsemble``. The task is any object with the ``tasks.TaskLike`` protocol.

Per epoch the record keeps every member's loss, accuracy and gradient norms (all trainable
parameters, and the recurrent connectivity alone, as the authors plot ‖∇W_rec‖), plus any
per-member metrics an experiment computes from the epoch's outputs and states (one row every
``history_stride`` epochs), and snapshots (weights, states, outputs) at chosen epochs. With a
``CheckpointManager`` the loop streams that history to ``.npy`` files next to the checkpoints in
chunks (memory does not grow with the epochs), saves its state (weights, optimiser, snapshots, RNG;
not the history) every ``checkpoint_every`` epochs and always at the end, and resumes exactly.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from common.checkpoint import CheckpointError, CheckpointManager
from common.runlog import RunLogger, check_finite

from .tasks import TaskLike

MetricFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]
OPTIMIZERS = ("sgd", "adam")
BASE_HISTORY = ("loss", "accuracy", "grad_norm", "grad_norm_rec")


@dataclass
class TrainingRecord:
    """Everything recorded during ``train_ensemble`` (E members, R recorded epochs).

    Attributes:
        loss, accuracy, grad_norm, grad_norm_rec: ``[R, E]`` float arrays; row r is the
            forward/backward pass of epoch ``epochs[r]`` (before its update). Streamed runs hold
            read-only memory maps of the ``.npy`` files.
        epochs: ``[R]`` the recorded epochs: every ``history_stride``-th, and the last.
        metrics: name → ``[R, E]`` from ``metric_fn``.
        snapshots: epoch → {"params": name → ``[E, …]``, "states": ``[E, B, S+1, N]``,
            "outputs": ``[E, B, S, O]``} (CPU tensors, weights as used in that epoch).
        optimizer_state: the Adam state at the end (None for SGD), to continue training.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    grad_norm_rec: np.ndarray
    epochs: np.ndarray
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[int, dict] = field(default_factory=dict)
    optimizer_state: dict | None = None


class History:
    """Per-epoch ``[E]`` values of named quantities, one row every ``stride`` epochs (and the last).

    In memory, or with ``directory`` streamed to ``<directory>/<name>.npy`` (float64 ``[R, E]``):
    rows are buffered on the device ``chunk`` at a time and written with plain file writes (no
    memory map is held while training), so memory stays at ``chunk`` rows whatever the epochs.

    Args:
        epochs: training epochs.  E: members.  stride: epochs per recorded row.
        directory: where to stream (None: in memory).  chunk: rows per write.
        device: of the buffers.
    """

    def __init__(self, epochs: int, E: int, stride: int = 1, directory: Path | None = None,
                 chunk: int = 1000, device: torch.device | str = "cpu") -> None:
        if stride < 1 or chunk < 1:
            raise ValueError(f"history stride and chunk must be >= 1, got {stride} and {chunk}")
        self.epochs = np.unique(np.r_[np.arange(0, epochs, stride), epochs - 1])
        self.E, self.stride, self.dir, self.device = E, stride, directory, device
        self.rows = len(self.epochs)
        self.chunk = self.rows if directory is None else min(chunk, self.rows)
        self.buffers: dict[str, torch.Tensor] = {}
        self.offsets: dict[str, int] = {}  # byte offset of each file's data, after its .npy header
        self.resumed: set[str] = set()  # files written by the run this one resumes
        self.first_row = 0            # row index of buffers[·][0]
        self.filled = 0               # buffered rows
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)

    def row_of(self, epoch: int) -> int | None:
        """The row recording ``epoch``, or None when it is not recorded."""
        if epoch % self.stride == 0:
            return epoch // self.stride
        return self.rows - 1 if epoch == self.epochs[-1] else None

    def _path(self, name: str) -> Path:
        return Path(self.dir) / f"{name}.npy"

    def _buffer(self, name: str) -> torch.Tensor:
        if name not in self.buffers:
            self.buffers[name] = torch.zeros(self.chunk, self.E, dtype=torch.float64, device=self.device)
            if self.dir is not None:
                if name not in self.resumed:
                    np.lib.format.open_memmap(self._path(name), mode="w+", dtype=np.float64,
                                              shape=(self.rows, self.E)).flush()
                self.offsets[name] = np.load(self._path(name), mmap_mode="r").offset
        return self.buffers[name]

    def record(self, epoch: int, values: dict[str, torch.Tensor]) -> None:
        """Store ``values`` (name → ``[E]``) for ``epoch`` if it is recorded; write a full chunk."""
        row = self.row_of(epoch)
        if row is None:
            return
        for name, v in values.items():
            self._buffer(name)[row - self.first_row] = v
        self.filled = row - self.first_row + 1
        if self.dir is not None and self.filled == self.chunk:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows to the files (streamed histories only)."""
        if self.dir is None or self.filled == 0:
            return
        for name, buf in self.buffers.items():
            with open(self._path(name), "r+b") as f:
                f.seek(self.offsets[name] + self.first_row * self.E * 8)
                f.write(buf[:self.filled].cpu().numpy().tobytes())
        self.first_row += self.filled
        self.filled = 0

    def start_at(self, epoch: int, names: Sequence[str], stride: int) -> None:
        """Resume a streamed history: rows before ``epoch`` are on disk already (a run resumed with
        more epochs gets longer files, its first rows copied).

        Args:
            stride: the resumed run's stride; another one raises ``CheckpointError``.
        """
        if stride != self.stride:
            raise CheckpointError(f"cannot resume a history recorded every {stride} epochs with history_stride="
                                  f"{self.stride}")
        self.first_row = int(np.searchsorted(self.epochs, epoch))
        self.resumed = set(names)
        for name in names:
            path = self._path(name)
            if not path.exists():
                raise FileNotFoundError(f"cannot resume: the history file {path} is missing")
            old = np.load(path, mmap_mode="r")
            if old.shape != (self.rows, self.E):
                tmp = path.with_suffix(".resized.npy")
                new = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float64, shape=(self.rows, self.E))
                new[:self.first_row] = old[:self.first_row]
                new.flush()
                del new, old
                os.replace(tmp, path)
            self._buffer(name)

    def arrays(self) -> dict[str, np.ndarray]:
        """name → ``[R, E]`` (read-only memory maps when streamed)."""
        if self.dir is None:
            return {k: v.cpu().numpy() for k, v in self.buffers.items()}
        self.flush()
        return {k: np.load(self._path(k), mmap_mode="r") for k in self.buffers}


def learning_rates(lr: float | Sequence[float] | torch.Tensor, n_members: int) -> torch.Tensor:
    """A checked ``[E]`` tensor of positive learning rates."""
    lr_t = torch.as_tensor(lr, dtype=torch.float64).flatten()
    if lr_t.numel() == 1:
        lr_t = lr_t.expand(n_members).clone()
    if lr_t.numel() != n_members:
        raise ValueError(f"expected 1 or {n_members} learning rates, got {lr_t.numel()}")
    if not bool(torch.all(torch.isfinite(lr_t) & (lr_t > 0))):
        raise ValueError(f"learning rates must be positive and finite, got {lr_t.tolist()}")
    return lr_t


def _member_norm(tensors: list[torch.Tensor | None]) -> torch.Tensor:
    """``[E]`` norm over the given per-member tensors (None: a parameter without gradient)."""
    return torch.sqrt(sum(t.pow(2).reshape(t.shape[0], -1).sum(1) for t in tensors if t is not None))


def _check_members(model: nn.Module, params: list[nn.Parameter]) -> int:
    E = getattr(model, "E", None)
    if not isinstance(E, int) or E < 1:
        raise TypeError(f"{type(model).__name__} must have an int attribute E (the ensemble size); "
                        "wrap a recurrent cell in dynamics.models.StepEnsemble")
    names = {id(p): n for n, p in model.named_parameters()}
    for p in params:
        if p.dim() == 0 or p.shape[0] != E:
            raise ValueError(f"parameter '{names.get(id(p), '?')}' has shape {tuple(p.shape)}; every trainable "
                             f"parameter needs a leading ensemble axis of size E = {E}")
    return E


def train_ensemble(model: nn.Module, task: TaskLike, epochs: int, lr: float | Sequence[float] | torch.Tensor,
                   optimizer: str = "sgd", snapshot_epochs: Sequence[int] = (),
                   metric_fn: MetricFn | None = None, readout_l1: torch.Tensor | None = None,
                   logger: RunLogger | None = None, log_every: int = 0, desc: str = "train",
                   checkpoints: CheckpointManager | None = None, checkpoint_every: int = 0,
                   resume: bool = False, opt_state: dict | None = None,
                   snapshot_states: bool = True, history_stride: int = 1,
                   history_chunk: int = 1000) -> TrainingRecord:
    """Train every member of ``model`` on ``task`` for ``epochs`` full-batch epochs.

    Args:
        model: the ensemble (E members, see the module docstring), already on its device.
        task: trials (moved to the model's device and dtype here).
        lr: one learning rate or ``E`` of them (SGD); Adam takes one.
        optimizer: ``"sgd"`` (per-member rates) or ``"adam"``.
        snapshot_epochs: epochs whose weights (and, with ``snapshot_states``, states and outputs)
            are kept.
        metric_fn: ``(model, y, X) → {name: [E] tensor}``, evaluated at recorded epochs without grad.
        readout_l1: ``[E]`` ‖W_out‖₁ to impose before every forward pass (Fig 8C; inf: none; the
            model needs ``renormalize_readout_``).
        logger: run logger for progress, ensemble-mean metrics every ``log_every`` epochs.
        checkpoints: the loop's checkpoints; the history is then streamed to
            ``<checkpoint dir>/<prefix>_history/``. The state is saved every ``checkpoint_every``
            epochs (0: only at the end) and at the end; with ``resume`` training continues from the
            latest checkpoint (a finished run is not retrained).
        opt_state: an Adam state dict to start from (continuing a previous phase).
        history_stride, history_chunk: record every that many epochs; rows per streamed write.
    Returns:
        The ``TrainingRecord``.
    Raises:
        ValueError: bad learning rate, optimiser, epoch count or parameter shape.
        common.runlog.NonFiniteError: the loss became NaN/inf.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got '{optimizer}'")
    params = [p for p in model.parameters() if p.requires_grad]
    E = _check_members(model, params)
    lr_t = learning_rates(lr, E)
    dtype, device = params[0].dtype, params[0].device
    task = task.to(device, dtype)
    rec_params = [p for p in (model.recurrent_parameters() if hasattr(model, "recurrent_parameters") else params)
                  if p.requires_grad]
    if optimizer == "adam":
        if not bool(torch.all(lr_t == lr_t[0])):
            raise ValueError("Adam runs with one shared learning rate; use optimizer='sgd' for per-member rates")
        opt = torch.optim.Adam(params, lr=float(lr_t[0]))
        if opt_state is not None:
            opt.load_state_dict(opt_state)
    else:
        opt = None
        lr_views = [lr_t.to(device=device, dtype=dtype).view((E,) + (1,) * (p.dim() - 1)) for p in params]
    history_dir = None if checkpoints is None else Path(checkpoints.dir) / f"{checkpoints.prefix}_history"
    history = History(epochs, E, history_stride, history_dir, history_chunk, device)
    snapshots: dict[int, dict] = {}
    snap_list = sorted(set(int(e) for e in snapshot_epochs))
    snap_row = {e: k for k, e in enumerate(snap_list)}
    # The weights of every snapshot live in one preallocated [n_snapshots, ...] tensor per parameter:
    # thousands of small per-epoch clones between the metric's large temporaries fragment the heap
    # (glibc keeps the freed blocks: ~0.3 MB per epoch for the rank-one experiment).
    weights = {n: torch.zeros((len(snap_list),) + p.shape, dtype=p.dtype) for n, p in model.named_parameters()}
    readout_l1 = None if readout_l1 is None else torch.as_tensor(readout_l1, dtype=dtype, device=device)
    components = {"model": model} if opt is None else {"model": model, "optimizer": opt}

    start = 0
    if checkpoints is not None and resume:
        resumed = checkpoints.resume(**components)
        if resumed is not None:
            start, extra = resumed["step"], resumed["extra"]
            if "history" not in extra:
                raise CheckpointError(f"{checkpoints.latest()} keeps its history inside (an older format); "
                                      "rerun without --resume")
            if start > epochs:
                raise CheckpointError(f"{checkpoints.latest()} is at epoch {start}, beyond the {epochs} epochs asked for; "
                                      "resume with at least as many epochs")
            for epoch, snap in extra["snapshots"].items():
                snapshots[epoch] = dict(snap)
                if epoch in snap_row:
                    for n, w in snap["params"].items():
                        weights[n][snap_row[epoch]].copy_(w)
                    snapshots[epoch]["params"] = {n: weights[n][snap_row[epoch]] for n in weights}
            history.start_at(start, extra["history"], extra["history_stride"])

    def save(step: int) -> None:
        if bool(nonfinite):                 # never let a NaN state push the good checkpoints out
            check_finite(float("nan"), "training loss", step - 1, f"(run '{desc}')")
        history.flush()
        checkpoints.save(step, extra={"snapshots": snapshots, "history": sorted(history.buffers),
                                      "history_stride": history.stride}, **components)

    bar = (logger.progress(range(start, epochs), desc=desc, leave=False, mininterval=2.0) if logger
           else range(start, epochs))
    post_every = max(1, epochs // 200)
    nonfinite = torch.zeros((), dtype=torch.bool, device=device)
    for epoch in bar:
        if readout_l1 is not None:
            model.renormalize_readout_(readout_l1)
        y, X = model(task.inputs, task.n_steps, task.n_trials)
        loss = task.loss(y)
        for p in params:
            p.grad = None
        loss.sum().backward()
        loss = loss.detach()
        with torch.no_grad():
            nonfinite |= ~torch.isfinite(loss).all()
            if history.row_of(epoch) is not None:
                values = {"loss": loss, "accuracy": task.accuracy(y),
                          "grad_norm": _member_norm([p.grad for p in params]),
                          "grad_norm_rec": _member_norm([p.grad for p in rec_params])}
                if metric_fn is not None:
                    values.update(metric_fn(model, y, X))
                history.record(epoch, values)
            if epoch in snap_row:
                for n, p in model.named_parameters():
                    weights[n][snap_row[epoch]].copy_(p.detach())
                snapshots[epoch] = {"params": {n: weights[n][snap_row[epoch]] for n in weights}}
                if snapshot_states:
                    snapshots[epoch].update(states=X.detach().cpu(), outputs=y.detach().cpu())
            if opt is None:
                for p, step in zip(params, lr_views):
                    if p.grad is not None:                 # None: unused in this task's forward pass
                        p.addcmul_(step, p.grad, value=-1.0)
        if opt is not None:
            opt.step()
        if ((epoch + 1) % 100 == 0 or epoch + 1 == epochs) and bool(nonfinite):
            bad = loss[~torch.isfinite(loss)]
            check_finite(float(bad[0]) if len(bad) else float("nan"), "training loss", epoch, f"(run '{desc}')")
        if logger is not None and log_every and (epoch % log_every == 0 or epoch + 1 == epochs):
            with torch.no_grad():
                logger.log_metrics(epoch, **{f"{desc}/loss_mean": float(loss.mean()),
                                             f"{desc}/loss_min": float(loss.min()),
                                             f"{desc}/accuracy_mean": float(task.accuracy(y).mean()),
                                             f"{desc}/grad_norm_mean": float(_member_norm([p.grad for p in params]).mean())})
        if logger is not None and epoch % post_every == 0:
            bar.set_postfix(loss=f"{float(loss.mean()):.4g}", refresh=False)
        if checkpoints is not None and checkpoint_every and (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs:
            save(epoch + 1)
    if checkpoints is not None and start < epochs:
        save(epochs)
    arrays = history.arrays()
    return TrainingRecord(**{k: arrays[k] for k in BASE_HISTORY}, epochs=history.epochs,
                          metrics={k: v for k, v in arrays.items() if k not in BASE_HISTORY},
                          snapshots=snapshots, optimizer_state=None if opt is None else opt.state_dict())
