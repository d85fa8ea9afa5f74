"""Batched fixed- and slow-point finder (Sussillo & Barak 2013; Golub & Sussillo 2018).

For a flow ẋ = F(x) the *kinetic energy* q(x) = ½|F(x)|² is zero at fixed points and has a
positive local minimum at a **slow point**. A slow point with no fixed point nearby, slow enough
for the task's time scale and slow along a near-marginal direction, is a ghost (``classify``):
trajectories slow down there although nothing stops them. The pipeline follows
``google-research/computation-thru-dynamics`` ``fixed_point_finder/fixed_points.py``:

    candidates (trajectory states + noise) → Adam on q, all candidates at once
    → Newton refinement on q (exact Hessian) → drop duplicates → drop outliers
    → Jacobians and eigenvalues → classification (``classify``: fixed point / ghost / not slow)

``F`` is any differentiable function mapping a ``[B, D]`` batch of states to ``[B, D]`` velocities
row by row (for an RNN x_{t+1} = (1 − α)x + α tanh(W x + b), F(x) = −x + tanh(W x + b); under a
constant input u, F(x) = −x + tanh(W x + W_in u + b)). The networks are maps x ← x + αF(x), so
stability is read from the map's multipliers 1 + αλ by default.
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
    # ---- classification (see ``classify``)
    "tol_fixed": 1e-10,       # fixed point: q ≤ tol_fixed · scale²  (relative to the state scale) ...
    "fixed_radius": 1e-2,     # ... or a Newton step of at most fixed_radius · scale reaches a zero (the flow
                              # drops tenfold there): an unconverged fixed point, not a ghost
    "state_scale": None,      # the state scale; None: RMS norm of the reference states (1 if they are all 0)
    "alpha": 0.5,             # Δt/τ of the network's map x ← x + α F(x) (the paper's networks: 0.5)
    "stability": "discrete",  # "discrete": |1 + αλ| < 1 (the networks are maps); "continuous": Re λ < 0
    "ghost_speed_max": 0.1,   # speed ceiling of a ghost; set it from the task with ``ghost_speed_ceiling``
    "marginal_tol": 0.05,     # a ghost's map has a multiplier μ = 1 + αλ with |μ − 1| = α|λ| ≤ this
}
STABILITY = ("discrete", "continuous")
FIXED_KINDS = ("stable", "saddle", "unstable")


@dataclass
class SlowPoints:
    """Result of ``find_slow_points`` (P points, state dimension D), slowest first.

    Attributes:
        x: ``[P, D]`` locations.  q: ``[P]`` kinetic energy ½|F|².  speed: ``[P]`` |F|.
        jacobians: ``[P, D, D]`` dF/dx.  eigenvalues: ``[P, D]`` complex λ of dF/dx, by decreasing real part.
        multipliers: ``[P, D]`` complex μ = 1 + αλ, the eigenvalues of the map x ← x + αF(x).
        fixed_distance: ``[P]`` length of the Newton step to a zero (inf when it reaches none).
        marginal_gap: ``[P]`` how far the most nearly marginal direction is from marginal (``classify``).
        slow_speed: ``[P]`` speed of the flow along that direction (its component in the eigenbasis).
        kind: ``P`` labels from ``classify``: "stable" / "saddle" / "unstable" (fixed points), "ghost",
            "not slow" (a local minimum of q that fails the ghost tests) or "non-minimum".
        scale: the state scale the tolerances are relative to.  hps: the settings used.
    """

    x: torch.Tensor
    q: torch.Tensor
    speed: torch.Tensor
    jacobians: torch.Tensor
    eigenvalues: torch.Tensor
    multipliers: torch.Tensor
    fixed_distance: torch.Tensor
    marginal_gap: torch.Tensor
    slow_speed: torch.Tensor
    kind: list[str]
    scale: float = 1.0
    hps: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.x.shape[0]

    @property
    def is_fixed(self) -> torch.Tensor:
        """``[P]`` bool: labelled a fixed point."""
        return torch.tensor([k in FIXED_KINDS for k in self.kind], dtype=torch.bool)


def ghost_speed_ceiling(distance: float, alpha: float, n_steps: float) -> float:
    """The speed below which a slow point holds a trajectory for a task's time scale.

    Under x ← x + αF(x) a state moving at speed v covers ``distance`` in distance / (α v) steps. A
    ghost must hold the trajectory for about the task's delay of ``n_steps`` steps, so it must be
    slower than v_max = distance / (α · n_steps).
    """
    if distance <= 0 or alpha <= 0 or n_steps <= 0:
        raise ValueError(f"distance, alpha and n_steps must be positive, got {distance}, {alpha}, {n_steps}")
    return distance / (alpha * n_steps)


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


def state_scale(reference: torch.Tensor, hps: dict) -> float:
    """``hps["state_scale"]``, or the RMS norm of the ``[R, D]`` reference states (1 when that is 0)."""
    if hps["state_scale"] is not None:
        return float(hps["state_scale"])
    rms = float(reference.pow(2).sum(-1).mean().sqrt()) if len(reference) else 0.0
    return rms if rms > 0 else 1.0


def linear_diagnostics(flow: Flow, x: torch.Tensor, F: torch.Tensor, jac: torch.Tensor,
                       alpha: float) -> dict[str, torch.Tensor]:
    """What the linearisation says about each point.

    Args:
        x: ``[P, D]`` points.  F: ``[P, D]`` flow there.  jac: ``[P, D, D]`` dF/dx.
    Returns:
        ``eigenvalues`` ``[P, D]`` (λ, decreasing real part), ``multipliers`` ``[P, D]`` (1 + αλ),
        ``fixed_distance`` ``[P]`` (the Newton step |J⁻¹F| when it reaches a zero, i.e. the flow at
        x − J⁻¹F is below a tenth of |F|; inf otherwise, as near a ghost, where the linearisation's
        zero does not exist), ``marginal_gap`` ``[P]`` (min over directions of |μ − 1| = α|λ|: a
        saddle-node remnant has λ ≈ 0) and ``slow_speed`` ``[P]`` (|c_s| for F = Σ c_i v_i in the
        unit eigenvectors v_i of J, s that direction).
    """
    eig, vec = torch.linalg.eig(jac)
    order = torch.argsort(eig.real, dim=1, descending=True)
    eig = torch.gather(eig, 1, order)
    vec = torch.gather(vec, 2, order.unsqueeze(1).expand_as(vec))
    mult = 1 + alpha * eig
    gap, slow = (alpha * eig.abs()).min(dim=1)
    coeff, info = torch.linalg.solve_ex(vec, F.to(vec.dtype).unsqueeze(-1))              # F in the eigenbasis
    slow_speed = coeff.squeeze(-1).gather(1, slow[:, None]).squeeze(1).abs()
    slow_speed = torch.where(info == 0, slow_speed, torch.full_like(slow_speed, float("inf")))   # defective J
    speed = F.norm(dim=-1)
    step, info_step = torch.linalg.solve_ex(jac, F.unsqueeze(-1))
    step = step.squeeze(-1)
    with torch.no_grad():
        reached = flow(x - step).norm(dim=-1) <= 0.1 * speed if len(x) else speed > 0
    fixed_distance = torch.where((info_step == 0) & reached & torch.isfinite(step).all(-1), step.norm(dim=-1),
                                 torch.full_like(speed, float("inf")))
    return {"eigenvalues": eig, "multipliers": mult, "fixed_distance": fixed_distance,
            "marginal_gap": gap, "slow_speed": slow_speed.to(speed.dtype)}


def classify(q: torch.Tensor, diag: dict[str, torch.Tensor], hess_pd: torch.Tensor, scale: float,
             hps: dict) -> list[str]:
    """Label slow points by named criteria (tolerances from ``hps``, see ``DEFAULT_HPS``).

    1. **Fixed point**: q ≤ ``tol_fixed`` · scale², or a Newton step of at most ``fixed_radius`` ·
       scale reaches a zero (``fixed_distance``: an unconverged fixed point). Its stability
       comes from the discrete map's multipliers μ = 1 + αλ ("stable": all |μ| < 1, "unstable":
       all > 1, else "saddle"), or with ``stability="continuous"`` from the signs of Re λ.
    2. **Ghost**: a local minimum of q (positive-definite Hessian) that is not a fixed point, whose
       speed |F| is below ``ghost_speed_max``, with a near-marginal direction (``marginal_gap`` ≤
       ``marginal_tol``) along which the flow is slow too (``slow_speed`` ≤ ``ghost_speed_max``):
       the remnant of a saddle-node bifurcation, where trajectories creep along one direction.
    3. **"not slow"**: another local minimum of q (too fast, or no slow marginal direction).
    4. **"non-minimum"**: neither (q's Hessian is not positive definite).

    Args:
        q: ``[P]``.  diag: ``linear_diagnostics`` output.  hess_pd: ``[P]`` bool.
        scale: the state scale.
    Returns:
        ``P`` labels.
    """
    labels = []
    fixed = (q <= hps["tol_fixed"] * scale ** 2) | (diag["fixed_distance"] <= hps["fixed_radius"] * scale)
    speed = torch.sqrt(2.0 * q)
    ghost = ((speed <= hps["ghost_speed_max"]) & (diag["marginal_gap"] <= hps["marginal_tol"])
             & (diag["slow_speed"] <= hps["ghost_speed_max"]))
    for i in range(len(q)):
        if bool(fixed[i]):
            if hps["stability"] == "discrete":
                size = diag["multipliers"][i].abs()
                inside, outside = bool((size < 1).all()), bool((size > 1).all())
            else:
                re = diag["eigenvalues"][i].real
                inside, outside = bool((re < 0).all()), bool((re > 0).all())
            labels.append("stable" if inside else "unstable" if outside else "saddle")
        elif not bool(hess_pd[i]):
            labels.append("non-minimum")
        else:
            labels.append("ghost" if bool(ghost[i]) else "not slow")
    return labels


def resolve_hps(hps: dict | None) -> dict:
    """``DEFAULT_HPS`` updated with ``hps``; unknown keys raise ``KeyError``, bad values ``ValueError``."""
    unknown = set(hps or {}) - set(DEFAULT_HPS)
    if unknown:
        raise KeyError(f"unknown slow-point finder settings {sorted(unknown)}; known: {sorted(DEFAULT_HPS)}")
    out = {**DEFAULT_HPS, **(hps or {})}
    if out["stability"] not in STABILITY:
        raise ValueError(f"slow-point finder setting 'stability' must be one of {STABILITY}, got {out['stability']!r}")
    return out


def find_slow_points(flow: Flow, x0: torch.Tensor, hps: dict | None = None,
                     reference: torch.Tensor | None = None) -> SlowPoints:
    """The whole pipeline: optimise, refine, de-duplicate, drop outliers, linearise, classify.

    Args:
        flow: F, ``[B, D] → [B, D]``.
        x0: ``[B, D]`` initial candidates (e.g. states visited by trajectories, plus noise).
        hps: overrides of ``DEFAULT_HPS`` (unknown keys are rejected).
        reference: ``[R, D]`` states for the outlier test and the state scale (default: ``x0``).
    Returns:
        ``SlowPoints``, slowest first.
    """
    hps = resolve_hps(hps)
    reference = x0 if reference is None else reference
    x = optimize_slow_points(flow, x0, hps["n_iters"], hps["lr"], hps["lr_decay"], hps["tol_q"])
    x = newton_refine(flow, x, hps["newton_steps"], hps["newton_damping"])
    with torch.no_grad():
        q = kinetic_energy(flow, x)
    idx = keep_unique(x, q, hps["tol_unique"])
    x, q = x[idx], q[idx]
    if hps["outlier_distance"] is not None:
        keep = exclude_outliers(x, reference, hps["outlier_distance"])
        x, q = x[keep], q[keep]
    jac = compute_jacobians(flow, x)
    with torch.no_grad():
        F = flow(x) if len(x) else x.clone()
    diag = linear_diagnostics(flow, x, F, jac, hps["alpha"])
    f1 = _single(flow)
    hess = vmap(hessian(lambda z: 0.5 * f1(z).pow(2).sum()))(x) if len(x) else x.new_zeros(0, 0, 0)
    hess_pd = torch.linalg.eigvalsh(hess).min(dim=-1).values > 0 if len(x) else torch.zeros(0, dtype=torch.bool)
    scale = state_scale(reference, hps)
    return SlowPoints(x=x, q=q, speed=torch.sqrt(2.0 * q), jacobians=jac, kind=classify(q, diag, hess_pd, scale, hps),
                      scale=scale, hps=hps, **diag)


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
