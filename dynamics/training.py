"""Full-batch gradient descent of a ``RateRNN`` ensemble: E independent runs as one computation.

The summed loss Σ_e L_e has per-member gradients (members share no weights), so one backward
pass yields every member's gradient. SGD then applies each member's own learning rate
(p_e ← p_e − η_e ∇L_e, a ``[E]`` tensor), which is how a sweep over seeds × learning rates ×
ranks runs in one batch. Adam (elementwise) is the library optimiser with one shared rate.

Per epoch the record keeps every member's loss, accuracy and gradient norms (all trainable
parameters, and the recurrent connectivity alone, as the authors plot ‖∇W_rec‖), plus any
per-member metrics an experiment computes from the epoch's outputs and states, and snapshots
(weights, states, outputs) at chosen epochs. With a ``CheckpointManager`` the loop saves its
whole state (weights, optimiser, record, RNG) and resumes exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from common.checkpoint import CheckpointManager
from common.runlog import RunLogger, check_finite

from .models import RateRNN
from .tasks import Task

MetricFn = Callable[[RateRNN, torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]
OPTIMIZERS = ("sgd", "adam")


@dataclass
class TrainingRecord:
    """Everything recorded during ``train_ensemble`` (E members, ``epochs`` epochs).

    Attributes:
        loss, accuracy, grad_norm, grad_norm_rec: ``[epochs, E]`` float arrays; row k is the
            forward/backward pass of epoch k (before its update).
        metrics: name → ``[epochs, E]`` from ``metric_fn``.
        snapshots: epoch → {"params": name → ``[E, …]``, "states": ``[E, B, S+1, N]``,
            "outputs": ``[E, B, S, O]``} (CPU tensors, weights as used in that epoch).
        optimizer_state: the Adam state at the end (None for SGD), to continue training.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    grad_norm_rec: np.ndarray
    metrics: dict[str, np.ndarray] = field(default_factory=dict)
    snapshots: dict[int, dict] = field(default_factory=dict)
    optimizer_state: dict | None = None


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


def _member_norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.sqrt(sum(t.pow(2).reshape(t.shape[0], -1).sum(1) for t in tensors))


def train_ensemble(model: RateRNN, task: Task, epochs: int, lr: float | Sequence[float] | torch.Tensor,
                   optimizer: str = "sgd", snapshot_epochs: Sequence[int] = (),
                   metric_fn: MetricFn | None = None, readout_l1: torch.Tensor | None = None,
                   logger: RunLogger | None = None, log_every: int = 0, desc: str = "train",
                   checkpoints: CheckpointManager | None = None, checkpoint_every: int = 0,
                   resume: bool = False, opt_state: dict | None = None,
                   snapshot_states: bool = True) -> TrainingRecord:
    """Train every member of ``model`` on ``task`` for ``epochs`` full-batch epochs.

    Args:
        model: the ensemble (E members), already on its device.
        task: trials (moved to the model's device and dtype here).
        lr: one learning rate or ``E`` of them (SGD); Adam takes one.
        optimizer: ``"sgd"`` (per-member rates) or ``"adam"``.
        snapshot_epochs: epochs whose weights (and, with ``snapshot_states``, states and outputs)
            are kept.
        metric_fn: ``(model, y, X) → {name: [E] tensor}``, evaluated every epoch without grad.
        readout_l1: ``[E]`` ‖W_out‖₁ to impose before every forward pass (Fig 8C; inf: none).
        logger: run logger for progress, ensemble-mean metrics every ``log_every`` epochs.
        checkpoints, checkpoint_every: save the loop state every that many epochs and at the end
            into ``checkpoints`` (0: never); with ``resume`` continue from its latest checkpoint.
        opt_state: an Adam state dict to start from (continuing a previous phase).
    Returns:
        The ``TrainingRecord``.
    Raises:
        ValueError: bad learning rate, optimiser or epoch count.
        common.runlog.NonFiniteError: the loss became NaN/inf.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got '{optimizer}'")
    E = model.E
    lr_t = learning_rates(lr, E)
    dtype, device = model.b.dtype, model.b.device
    task = task.to(device, dtype)
    params = [p for p in model.parameters() if p.requires_grad]
    rec_params = model.recurrent_parameters()
    if optimizer == "adam":
        if not bool(torch.all(lr_t == lr_t[0])):
            raise ValueError("Adam runs with one shared learning rate; use optimizer='sgd' for per-member rates")
        opt = torch.optim.Adam(params, lr=float(lr_t[0]))
        if opt_state is not None:
            opt.load_state_dict(opt_state)
    else:
        opt = None
        lr_views = [lr_t.to(device=device, dtype=dtype).view((E,) + (1,) * (p.dim() - 1)) for p in params]
    hist = {k: torch.zeros(epochs, E, dtype=torch.float64, device=device) for k in ("loss", "accuracy", "grad_norm", "grad_norm_rec")}
    metrics: dict[str, torch.Tensor] = {}
    snapshots: dict[int, dict] = {}
    snap_set = set(int(e) for e in snapshot_epochs)
    readout_l1 = None if readout_l1 is None else torch.as_tensor(readout_l1, dtype=dtype, device=device)

    start = 0
    if checkpoints is not None and resume:
        components = {"model": model} if opt is None else {"model": model, "optimizer": opt}
        resumed = checkpoints.resume(**components)
        if resumed is not None:
            start = resumed["step"]
            extra = resumed["extra"]
            for k in hist:
                hist[k][:start] = extra["hist"][k][:start].to(device)
            metrics = {k: torch.zeros(epochs, E, dtype=torch.float64, device=device) for k in extra["metrics"]}
            for k, v in extra["metrics"].items():
                metrics[k][:start] = v[:start].to(device)
            snapshots = dict(extra["snapshots"])

    def save(step: int) -> None:
        if checkpoints is not None:
            components = {"model": model} if opt is None else {"model": model, "optimizer": opt}
            checkpoints.save(step, extra={"hist": {k: v[:step].cpu() for k, v in hist.items()},
                                          "metrics": {k: v[:step].cpu() for k, v in metrics.items()},
                                          "snapshots": snapshots}, **components)

    bar = (logger.progress(range(start, epochs), desc=desc, leave=False, mininterval=2.0) if logger
           else range(start, epochs))
    post_every = max(1, epochs // 200)
    for epoch in bar:
        if readout_l1 is not None:
            model.renormalize_readout_(readout_l1)
        y, X = model(task.inputs, task.n_steps, task.n_trials)
        loss = task.loss(y)
        for p in params:
            p.grad = None
        loss.sum().backward()
        with torch.no_grad():
            hist["loss"][epoch] = loss.detach()
            hist["accuracy"][epoch] = task.accuracy(y)
            hist["grad_norm"][epoch] = _member_norm([p.grad for p in params])
            hist["grad_norm_rec"][epoch] = _member_norm([p.grad for p in rec_params])
            if metric_fn is not None:
                for k, v in metric_fn(model, y, X).items():
                    metrics.setdefault(k, torch.zeros(epochs, E, dtype=torch.float64, device=device))[epoch] = v
            if epoch in snap_set:
                snapshots[epoch] = {"params": {n: p.detach().cpu().clone() for n, p in model.named_parameters()}}
                if snapshot_states:
                    snapshots[epoch].update(states=X.detach().cpu(), outputs=y.detach().cpu())
            if opt is None:
                for p, step in zip(params, lr_views):
                    p.addcmul_(step, p.grad, value=-1.0)
        if opt is not None:
            opt.step()
        if (epoch + 1) % 100 == 0 or epoch + 1 == epochs:
            block = hist["loss"][max(0, epoch - 99):epoch + 1]
            bad = ~torch.isfinite(block)
            if bool(bad.any()):
                check_finite(float(block[bad][0]), "training loss", epoch, f"(run '{desc}')")
        if logger is not None and log_every and (epoch % log_every == 0 or epoch + 1 == epochs):
            logger.log_metrics(epoch, **{f"{desc}/loss_mean": float(hist["loss"][epoch].mean()),
                                         f"{desc}/loss_min": float(hist["loss"][epoch].min()),
                                         f"{desc}/accuracy_mean": float(hist["accuracy"][epoch].mean()),
                                         f"{desc}/grad_norm_mean": float(hist["grad_norm"][epoch].mean())})
        if logger is not None and epoch % post_every == 0:
            bar.set_postfix(loss=f"{float(hist['loss'][epoch].mean()):.4g}", refresh=False)
        if checkpoints is not None and checkpoint_every and (epoch + 1) % checkpoint_every == 0 and epoch + 1 < epochs:
            save(epoch + 1)
    if checkpoints is not None and checkpoint_every and start < epochs:
        save(epochs)
    hist_np = {k: v.cpu().numpy() for k, v in hist.items()}
    return TrainingRecord(**hist_np, metrics={k: v.cpu().numpy() for k, v in metrics.items()},
                          snapshots=snapshots, optimizer_state=None if opt is None else opt.state_dict())
