"""The three tasks of the paper, as fixed trial batches with their loss and accuracy.

* **Delayed activation** (rank-one RNN, Figs 3, 6, 8B): no input; the output must stay at 0 for
  T steps and then switch to 1 for T steps. The loss is Σ_t (y_t − y*_t)² / T (authors' code).
* **Delayed cue discrimination, DCDT** (Figs 4A–D, 5, 7, 8C): a ±1 cue, a delay, then a
  reaction window in which the output must report the cue's sign (±1; tanh readout).
* **Delayed match-to-sample, DMTS** (Figs 4E–H, 5, 7): two ±1 stimuli separated by a delay; in
  the reaction window the output is 1 if they match (++, −−) and 0 otherwise (sigmoid readout).

DCDT and DMTS use ``nn.MSELoss`` over every trial, time step and output (no mask: the delay steps
count, as in the authors' code). Any object with the ``TaskLike`` protocol trains the same way;
``register_task`` makes one available to the working-memory configs by name. Times are in milliseconds with Δt = 5 ms; a trial batch holds
``trials_per_condition`` identical copies of every condition (they differ only through the
network's random initial state and noise).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

import torch


@runtime_checkable
class TaskLike(Protocol):
    """What ``training.train_ensemble`` needs from a task: a fixed trial batch, a loss and a scorer.

    ``inputs``: ``[B, S, I]`` or None (then ``n_trials`` input-free trials); ``loss(y)`` and
    ``accuracy(y)`` map outputs ``[E, B, S, O]`` to ``[E]``; ``to`` moves the trials.
    """

    inputs: torch.Tensor | None

    @property
    def n_steps(self) -> int: ...

    @property
    def n_trials(self) -> int: ...

    def to(self, device: torch.device | str, dtype: torch.dtype) -> "TaskLike": ...

    def loss(self, y: torch.Tensor) -> torch.Tensor: ...

    def accuracy(self, y: torch.Tensor) -> torch.Tensor: ...


@dataclass
class Task:
    """A fixed batch of B trials of S time steps.

    Attributes:
        name: task name.
        inputs: ``[B, S, I]`` input, or ``None`` for an input-free task.
        targets: ``[B, S, O]``.
        loss_kind: ``"sum_over_delay"`` (Σ_t (y − y*)² / T, averaged over trials) or ``"mse"``.
        delay: T, the normaliser of ``"sum_over_delay"``.
        accuracy_kind: ``"half"`` (y > 0.5 vs target), ``"ternary"`` (y binarised at ±0.33, the
            authors' DCDT ``binarize``) or ``"match"`` (y ≥ 0.5, the authors' DMTS ``binarize``).
        conditions: ``[B]`` condition index of every trial.
    """

    name: str
    inputs: torch.Tensor | None
    targets: torch.Tensor
    loss_kind: str
    accuracy_kind: str
    conditions: torch.Tensor
    delay: float = 1.0

    @property
    def n_steps(self) -> int:
        return self.targets.shape[1]

    @property
    def n_trials(self) -> int:
        return self.targets.shape[0]

    def to(self, device: torch.device | str, dtype: torch.dtype) -> "Task":
        """A copy on ``device`` with floating tensors in ``dtype``."""
        move = (lambda t: None if t is None else t.to(device=device, dtype=dtype))
        return Task(self.name, move(self.inputs), move(self.targets), self.loss_kind,
                    self.accuracy_kind, self.conditions.to(device), self.delay)

    def loss(self, y: torch.Tensor) -> torch.Tensor:
        """Per-member loss.  y: ``[E, B, S, O]`` → ``[E]``."""
        err = (y - self.targets).pow(2)
        if self.loss_kind == "sum_over_delay":
            return err.sum(dim=(2, 3)).mean(dim=1) / self.delay
        return err.mean(dim=(1, 2, 3))

    def accuracy(self, y: torch.Tensor) -> torch.Tensor:
        """Per-member fraction of (trial, step, output) entries classified right.  ``[E]``."""
        if self.accuracy_kind == "ternary":
            pred = (y >= 0.33).to(y.dtype) - (y <= -0.33).to(y.dtype)
        elif self.accuracy_kind == "match":
            pred = (y >= 0.5).to(y.dtype)
        else:
            pred = (y > 0.5).to(y.dtype)
        return (pred == self.targets).to(y.dtype).mean(dim=(1, 2, 3))


def _steps(ms: float, dt_ms: float, what: str) -> int:
    if ms < 0 or dt_ms <= 0:
        raise ValueError(f"{what} must be >= 0 ms with a positive time step, got {ms} ms, dt {dt_ms} ms")
    return int(round(ms / dt_ms))


def delayed_activation(delay: int) -> Task:
    """One trial: target 0 for ``delay`` steps, then 1 for ``delay`` steps (no input)."""
    if delay < 1:
        raise ValueError(f"the delay T must be a positive number of steps, got {delay}")
    target = torch.cat([torch.zeros(delay), torch.ones(delay)]).view(1, 2 * delay, 1)
    return Task("delayed_activation", None, target, "sum_over_delay", "half",
                torch.zeros(1, dtype=torch.long), float(delay))


def dcdt(trials_per_condition: int = 1, cue_ms: float = 10, delay_ms: float = 50,
         reaction_ms: float = 50, dt_ms: float = 5) -> Task:
    """Delayed cue discrimination: cue ±1, delay, then report ±1.  Conditions: 0 (+1), 1 (−1)."""
    n_cue, n_delay, n_react = (_steps(cue_ms, dt_ms, "cue"), _steps(delay_ms, dt_ms, "delay"),
                               _steps(reaction_ms, dt_ms, "reaction"))
    steps = n_cue + n_delay + n_react
    inputs, targets = torch.zeros(2, steps, 1), torch.zeros(2, steps, 1)
    for c, sign in enumerate((1.0, -1.0)):
        inputs[c, :n_cue] = sign
        targets[c, n_cue + n_delay:] = sign
    return _repeat(Task("dcdt", inputs, targets, "mse", "ternary", torch.arange(2)), trials_per_condition)


def dmts(trials_per_condition: int = 1, stimulus_ms: float = 30, delay_ms: float = 80,
         reaction_ms: float = 50, dt_ms: float = 5) -> Task:
    """Delayed match-to-sample.  Conditions (first, second): (+,+), (−,−) match → 1; (−,+), (+,−) → 0."""
    n_stim, n_delay, n_react = (_steps(stimulus_ms, dt_ms, "stimulus"), _steps(delay_ms, dt_ms, "delay"),
                                _steps(reaction_ms, dt_ms, "reaction"))
    steps = 2 * n_stim + n_delay + n_react
    pairs = ((1.0, 1.0), (-1.0, -1.0), (-1.0, 1.0), (1.0, -1.0))
    inputs, targets = torch.zeros(4, steps, 1), torch.zeros(4, steps, 1)
    for c, (first, second) in enumerate(pairs):
        inputs[c, :n_stim] = first
        inputs[c, n_stim + n_delay:2 * n_stim + n_delay] = second
        targets[c, 2 * n_stim + n_delay:] = float(first == second)
    return _repeat(Task("dmts", inputs, targets, "mse", "match", torch.arange(4)), trials_per_condition)


def _repeat(task: Task, copies: int) -> Task:
    if copies < 1:
        raise ValueError(f"trials_per_condition must be >= 1, got {copies}")
    return Task(task.name, task.inputs.repeat(copies, 1, 1), task.targets.repeat(copies, 1, 1),
                task.loss_kind, task.accuracy_kind, task.conditions.repeat(copies), task.delay)



# Working-memory tasks by name, each built from a config with ``trials_per_condition``,
# ``stimulus_ms``, ``delay_ms``, ``reaction_ms`` and ``dt_ms`` (the experiments' ``task`` key).
TASKS: dict[str, Callable[[Any], TaskLike]] = {
    "dcdt": lambda cfg: dcdt(cfg.trials_per_condition, cfg.stimulus_ms, cfg.delay_ms, cfg.reaction_ms, cfg.dt_ms),
    "dmts": lambda cfg: dmts(cfg.trials_per_condition, cfg.stimulus_ms, cfg.delay_ms, cfg.reaction_ms, cfg.dt_ms),
}


def register_task(name: str, build: Callable[[Any], TaskLike]) -> None:
    """Make ``task=name`` available to the working-memory experiments (``build(cfg) → TaskLike``)."""
    if name in TASKS:
        raise ValueError(f"a task named '{name}' is registered already")
    TASKS[name] = build
