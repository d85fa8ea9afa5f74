"""Batched fixed- and slow-point finder (Sussillo & Barak 2013; Golub & Sussillo 2018).

For a flow ẋ = F(x) the *kinetic energy* q(x) = ½|F(x)|² is zero at fixed points and has a
positive local minimum at a **slow point**. A slow point with no fixed point nearby is a ghost:
trajectories slow down there although nothing stops them. The pipeline follows
``google-research/computation-thru-dynamics`` ``fixed_point_finder/fixed_points.py``:

    candidates (trajectory states + noise) → Adam on q, all candidates at once
    → Newton refinement on q (exact Hessian) → drop duplicates → drop outliers
    → Jacobians and eigenvalues → classification

``F`` is any differentiable function mapping a ``[B, D]`` batch of states to ``[B, D]`` velocities
row by row (for an RNN x_{t+1} = (1 − α)x + α tanh(W x + b), F(x) = −x + tanh(W x + b)).
Every step is batched over the B candidates; only the per-candidate Newton solves and
Jacobians use ``torch.func.vmap``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch.func import hessian, jacrev, vmap

Flow = Callable[[torch.Tensor], torch.Tensor]

DEFAULT_HPS = {
    "n_iters": 5000,          # Adam iterations on q (the authors' FixedPointSolver: 5000)
    "lr": 1e-2,               # Adam learning rate (authors: 1e-2)
    "lr_decay": 0.9995,       # exponential decay of the Adam step per iteration
    "tol_q": 1e-12,           # stop early when every candidate has q below this
    "newton_steps": 5,        # Newton iterations on q after Adam (authors: 1)
    "newton_damping": 1e-4,   # H + damping·I, as in the authors' code
    "tol_unique": 1e-2,       # candidates closer than this (Euclidean) are duplicates
    "outlier_distance": None, # drop points farther than this from every reference state
    "tol_fixed": 1e-10,       # q below this: a fixed point; above: a slow point
}


@dataclass
class SlowPoints:
    """Result of ``find_slow_points`` (P points, state dimension D), slowest first.

    Attributes:
        x: ``[P, D]`` locations.  q: ``[P]`` kinetic energy ½|F|².  speed: ``[P]`` |F|.
        jacobians: ``[P, D, D]`` dF/dx.  eigenvalues: ``[P, D]`` complex, by decreasing real part.
        kind: ``P`` labels: "stable", "saddle", "unstable" (fixed points, by the real parts of
            the eigenvalues) or "ghost" (a slow point: a positive local minimum of q).
        hps: the settings used.
    """

    x: torch.Tensor
    q: torch.Tensor
    speed: torch.Tensor
    jacobians: torch.Tensor
    eigenvalues: torch.Tensor
    kind: list[str]
    hps: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def is_fixed(self) -> torch.Tensor:
        """``[P]`` bool: q below ``tol_fixed``."""
        return self.q < self.hps["tol_fixed"]


def kinetic_energy(flow: Flow, x: torch.Tensor) -> torch.Tensor:
    """q(x) = ½|F(x)|² per row.  x: ``[B, D]`` → ``[B]``."""
    return 0.5 * flow(x).pow(2).sum(-1)


def optimize_slow_points(flow: Flow, x0: torch.Tensor, n_iters: int, lr: float,
                         lr_decay: float = 1.0, tol_q: float = 0.0) -> torch.Tensor:
    """Minimise q from every candidate at once with Adam.

    The summed objective Σ_b q(x_b) has independent per-row gradients, and Adam is elementwise,
    so this is B independent optimisations done as one.

    Args:
        x0: ``[B, D]`` initial candidates.
    Returns:
        ``[B, D]`` optimised candidates (detached).
    """
    x = x0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=lr_decay)
    for _ in range(n_iters):
        opt.zero_grad()
        q = kinetic_energy(flow, x)
        if q.max().item() < tol_q:
            break
        q.sum().backward()
        opt.step()
        sched.step()
    return x.detach()


def _single(flow: Flow) -> Flow:
    return lambda x: flow(x.unsqueeze(0)).squeeze(0)


def newton_refine(flow: Flow, x: torch.Tensor, n_steps: int, damping: float) -> torch.Tensor:
    """Damped Newton iterations x ← x − (H + λI)⁻¹ ∇q on q, with the exact Hessian per point.

    λ starts at ``damping``. A step that would increase q is not taken; that point's λ then grows
    tenfold, turning its next step towards gradient descent (Levenberg–Marquardt), and shrinks
    back tenfold (not below ``damping``) after an accepted step. Points where H is not positive
    definite (e.g. a grid point on the flank of a slow valley) therefore still move downhill
    instead of staying where they started.

    Args:
        x: ``[B, D]``.
    Returns:
        ``[B, D]`` refined points.
    """
    f1 = _single(flow)

    def q1(z: torch.Tensor) -> torch.Tensor:
        return 0.5 * f1(z).pow(2).sum()

    grad_q, hess_q = vmap(jacrev(q1)), vmap(hessian(q1))
    eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
    lam = torch.full((x.shape[0],), float(damping), dtype=x.dtype, device=x.device)
    for _ in range(n_steps):
        step = torch.linalg.solve(hess_q(x) + lam[:, None, None] * eye, grad_q(x).unsqueeze(-1)).squeeze(-1)
        proposal = x - step
        better = kinetic_energy(flow, proposal) <= kinetic_energy(flow, x)
        x = torch.where(better.unsqueeze(-1), proposal, x)
        lam = torch.where(better, torch.clamp(lam / 10, min=damping), lam * 10)
    return x.detach()


def keep_unique(x: torch.Tensor, q: torch.Tensor, tol: float) -> torch.Tensor:
    """Indices of the points to keep: slowest first, dropping any within ``tol`` of a kept one.

    Args:
        x: ``[B, D]``.  q: ``[B]``.
    Returns:
        ``[P]`` long tensor of kept indices, sorted by increasing q.
    """
    order = torch.argsort(q)
    dist = torch.cdist(x[order], x[order])
    kept: list[int] = []
    for i in range(len(order)):
        if not kept or bool((dist[i, kept] > tol).all()):
            kept.append(i)
    return order[kept]


def exclude_outliers(x: torch.Tensor, reference: torch.Tensor, max_distance: float) -> torch.Tensor:
    """``[B]`` mask of points within ``max_distance`` of at least one reference state ``[R, D]``."""
    return torch.cdist(x, reference).min(dim=1).values <= max_distance


def compute_jacobians(flow: Flow, x: torch.Tensor) -> torch.Tensor:
    """dF/dx at every point.  x: ``[B, D]`` → ``[B, D, D]``."""
    return vmap(jacrev(_single(flow)))(x).detach()


def classify(eigenvalues: torch.Tensor, q: torch.Tensor, hess_pd: torch.Tensor,
             tol_fixed: float) -> list[str]:
    """Label points: fixed points by the sign of Re(λ), slow points with q > tol as "ghost".

    Args:
        eigenvalues: ``[P, D]`` complex.  q: ``[P]``.
        hess_pd: ``[P]`` bool, whether q's Hessian is positive definite (a true local minimum).
    Returns:
        ``P`` labels; a slow point whose Hessian is not positive definite is "non-minimum".
    """
    labels = []
    for lam, qi, pd in zip(eigenvalues, q.tolist(), hess_pd.tolist()):
        if qi >= tol_fixed:
            labels.append("ghost" if pd else "non-minimum")
        elif bool((lam.real < 0).all()):
            labels.append("stable")
        elif bool((lam.real > 0).all()):
            labels.append("unstable")
        else:
            labels.append("saddle")
    return labels


def resolve_hps(hps: dict | None) -> dict:
    """``DEFAULT_HPS`` updated with ``hps``; unknown keys raise ``KeyError``."""
    unknown = set(hps or {}) - set(DEFAULT_HPS)
    if unknown:
        raise KeyError(f"unknown slow-point finder settings {sorted(unknown)}; known: {sorted(DEFAULT_HPS)}")
    return {**DEFAULT_HPS, **(hps or {})}


def find_slow_points(flow: Flow, x0: torch.Tensor, hps: dict | None = None,
                     reference: torch.Tensor | None = None) -> SlowPoints:
    """The whole pipeline: optimise, refine, de-duplicate, drop outliers, linearise, classify.

    Args:
        flow: F, ``[B, D] → [B, D]``.
        x0: ``[B, D]`` initial candidates (e.g. states visited by trajectories, plus noise).
        hps: overrides of ``DEFAULT_HPS`` (unknown keys are rejected).
        reference: ``[R, D]`` states for the outlier test (default: ``x0``).
    Returns:
        ``SlowPoints``, slowest first.
    """
    hps = resolve_hps(hps)
    x = optimize_slow_points(flow, x0, hps["n_iters"], hps["lr"], hps["lr_decay"], hps["tol_q"])
    x = newton_refine(flow, x, hps["newton_steps"], hps["newton_damping"])
    with torch.no_grad():
        q = kinetic_energy(flow, x)
    idx = keep_unique(x, q, hps["tol_unique"])
    x, q = x[idx], q[idx]
    if hps["outlier_distance"] is not None:
        keep = exclude_outliers(x, x0 if reference is None else reference, hps["outlier_distance"])
        x, q = x[keep], q[keep]
    jac = compute_jacobians(flow, x)
    eig = torch.linalg.eigvals(jac)
    eig = torch.gather(eig, 1, torch.argsort(eig.real, dim=1, descending=True))
    f1 = _single(flow)
    hess = vmap(hessian(lambda z: 0.5 * f1(z).pow(2).sum()))(x) if len(x) else x.new_zeros(0, 0, 0)
    hess_pd = torch.linalg.eigvalsh(hess).min(dim=-1).values > 0 if len(x) else torch.zeros(0, dtype=torch.bool)
    return SlowPoints(x=x, q=q, speed=torch.sqrt(2.0 * q), jacobians=jac, eigenvalues=eig,
                      kind=classify(eig, q, hess_pd, hps["tol_fixed"]), hps=hps)


def find_slow_points_many(batched_flow: Callable[[torch.Tensor], torch.Tensor], flows: list[Flow],
                          x0: torch.Tensor, hps: dict | None = None,
                          reference: torch.Tensor | None = None) -> list[SlowPoints]:
    """``find_slow_points`` for E systems at once (e.g. one network per training epoch).

    The Adam stage, which dominates the cost, runs on all E·M candidates together; refinement,
    de-duplication, outlier removal and classification then run per system.

    Args:
        batched_flow: ``[E, M, D] → [E, M, D]``, system e applied to its M candidates.
        flows: E row-wise flows ``[B, D] → [B, D]`` (the same systems, one at a time).
        x0: ``[E, M, D]`` initial candidates.  reference: ``[E, R, D]`` outlier references (default x0).
    Returns:
        E ``SlowPoints``, each slowest first.
    """
    if len(flows) != x0.shape[0]:
        raise ValueError(f"{len(flows)} flows for {x0.shape[0]} candidate sets (x0 is [E, M, D])")
    hps = resolve_hps(hps)
    E, M, D = x0.shape
    x = optimize_slow_points(lambda z: batched_flow(z.view(E, M, D)).reshape(E * M, D), x0.reshape(E * M, D),
                             hps["n_iters"], hps["lr"], hps["lr_decay"], hps["tol_q"]).view(E, M, D)
    ref = x0 if reference is None else reference
    return [find_slow_points(flows[e], x[e], {**hps, "n_iters": 0}, reference=ref[e]) for e in range(E)]
