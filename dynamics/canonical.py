"""The canonical one-dimensional model of abrupt learning: ẋ = x² + r.

The system starts at x(0) = 0 and must stay silent for a time T, then switch on (the
delayed-activation task). Its output is a sigmoid readout y = σ(a (x − x*)) of confidence a and
threshold x* = 10; the only learned parameter is r.

* r < 0: two fixed points ±√(−r); the trajectory stops at −√(−r) and never switches on.
* r > 0: no fixed point, but a *ghost* at x = 0 (the minimum of the speed |x² + r| = r): the
  trajectory lingers there and escapes to infinity at t*(r) = ∫₀^∞ dx/(x² + r) = π/(2√r).

Limit a → ∞ (closed forms used by the authors' code, ``Figure2/code``):

* the output switches at t*(r), so the loss is L(r) = |T − t*(r)| / T while t* < 2T, i.e.
  r > r*/4, and L = 1 otherwise (including r ≤ 0): the **no-learning zone** r ≤ r*/4;
* the optimum is t*(r*) = T, i.e. r* = π² / (4T²);
* dL/dr = ∓π / (4 T r^{3/2}) on either side of r* and 0 in the zone. The authors' code drops the
  1/T factor (it differentiates T·L); ``convention="code"`` reproduces that, ``"exact"`` keeps it.

Finite a (the Euler simulation below, Δt = 0.1, x clipped at 1e6 as in the authors' code):
L = (Δt/T) Σ_k (y_k − y*_k)², k = 1 … 2T/Δt, with y*_k = 1 for k > T/Δt. Its exact gradient
comes from autograd through the simulation (``exact_gradient``, the reference) or, without a
graph, from forward-mode sensitivity s_k = ∂x_k/∂r (``sensitivity_gradient``, used by the descent
loops); in the no-learning zone it is non-zero (negative: it points out of the zone) but
exponentially small in a, which is why lowering the confidence lets learning start.

The Euler step resolves the readout only for small a: near x* the state moves by Δt·x*² ≈ 10 per
step, so for a ≳ 1 the simulated loss is a staircase in r (one stair per Euler step of the crossing
time) and its exact gradient fluctuates around the a → ∞ gradient (factor 0.3–1.9 at a = 1,
Δt = 0.1; within 1 % at a = 1, Δt = 0.02).

Everything here is batched: ``r`` (and ``a``) are arrays/tensors of any broadcastable shape.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import expit

DT = 0.1
"""Euler step of the authors' simulation."""
X_STAR = 10.0
"""Readout threshold x*."""
X_CLIP = 1e6
"""The simulated state is clipped here (the authors' code), so blow-up stays finite."""
CONVENTIONS = ("code", "exact")


def _check_T(T: float) -> None:
    if not T > 0:
        raise ValueError(f"the task delay T must be positive, got {T}")


def optimal_r(T: float) -> float:
    """r* = π²/(4T²): the parameter whose escape time t*(r*) equals the delay T."""
    _check_T(T)
    return math.pi ** 2 / (4.0 * T ** 2)


def no_learning_boundary(T: float) -> float:
    """r*/4 = π²/(16T²): below it t*(r) ≥ 2T, the output never switches on, L = 1, ∇L = 0."""
    return optimal_r(T) / 4.0


def escape_time(r: np.ndarray | float) -> np.ndarray:
    """t*(r) = π/(2√r) for r > 0 and +∞ for r ≤ 0 (a fixed point blocks the escape).

    Args:
        r: any shape.
    Returns:
        float64 array of the same shape.
    """
    r = np.asarray(r, dtype=np.float64)
    out = np.full(r.shape, np.inf)
    pos = r > 0
    out[pos] = math.pi / (2.0 * np.sqrt(r[pos]))
    return out


def closed_form_loss(r: np.ndarray | float, T: float) -> np.ndarray:
    """L(r) in the a → ∞ limit: |T − t*(r)|/T for r > r*/4, else 1.

    Args:
        r: any shape.  T: delay.
    Returns:
        float64 array of the same shape as ``r``.
    """
    _check_T(T)
    t_star = escape_time(r)
    learning = t_star < 2.0 * T
    return np.where(learning, np.abs(T - np.where(learning, t_star, 0.0)) / T, 1.0)


def closed_form_gradient(r: np.ndarray | float, T: float, convention: str = "code") -> np.ndarray:
    """dL/dr in the a → ∞ limit: −π/(4r^{3/2}) on [r*/4, r*], +π/(4r^{3/2}) above r*, 0 below r*/4.

    Args:
        r: any shape.  T: delay.
        convention: ``"code"`` (the authors' ``gradient_loss``: the gradient of T·L, no 1/T) or
            ``"exact"`` (the gradient of L itself, divided by T).
    Returns:
        float64 array of the same shape as ``r``.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"gradient convention must be one of {CONVENTIONS}, got '{convention}'")
    r = np.asarray(r, dtype=np.float64)
    r_opt, r_zone = optimal_r(T), no_learning_boundary(T)
    with np.errstate(divide="ignore"):
        magnitude = math.pi / (4.0 * np.abs(r) ** 1.5)
    grad = np.where(r > r_opt, magnitude, np.where(r >= r_zone, -magnitude, 0.0))
    return grad / T if convention == "exact" else grad


def n_steps(T: float, dt: float = DT) -> int:
    """Number of Euler steps over the trial [0, 2T]."""
    _check_T(T)
    return int(round(2.0 * T / dt))


def delayed_activation_target(T: float, dt: float = DT, dtype=torch.float64) -> torch.Tensor:
    """Target y*_k for the Euler steps k = 1 … 2T/Δt: 0 while k·Δt ≤ T, then 1.

    Returns:
        ``[n_steps]`` tensor.
    """
    k = torch.arange(1, n_steps(T, dt) + 1, dtype=dtype)
    return (k - T / dt > 0).to(dtype)


def simulate(r: torch.Tensor, T: float, dt: float = DT, x0: float = 0.0,
             clip: float = X_CLIP) -> torch.Tensor:
    """Forward-Euler trajectory x_{k+1} = x_k + Δt (x_k² + r), clipped above at ``clip``.

    Differentiable with respect to ``r``.

    Args:
        r: ``[...]`` tensor (one trajectory per element).
    Returns:
        ``[..., n_steps + 1]`` tensor, x_0 … x_{2T/Δt}.
    """
    drift = dt * r
    x = torch.full_like(drift, x0)
    xs = [x]
    for _ in range(n_steps(T, dt)):
        x = torch.clamp(torch.addcmul(x + drift, x, x, value=dt), max=clip)
        xs.append(x)
    return torch.stack(xs, dim=-1)


def readout(x: torch.Tensor, a: torch.Tensor | float, x_star: float = X_STAR) -> torch.Tensor:
    """y = σ(a (x − x*)). ``a`` broadcasts against ``x[..., 0]``."""
    a = torch.as_tensor(a, dtype=x.dtype)
    return torch.sigmoid(a[..., None] * (x - x_star))


def simulated_loss(r: torch.Tensor, T: float, a: torch.Tensor | float, dt: float = DT,
                   x_star: float = X_STAR) -> torch.Tensor:
    """L = (Δt/T) Σ_{k≥1} (σ(a(x_k − x*)) − y*_k)², the authors' ``plot_loss_function.py``.

    Args:
        r: ``[...]`` tensor.  a: confidence, broadcastable to ``r``.
    Returns:
        ``[...]`` tensor (broadcast shape of ``r`` and ``a``), differentiable in ``r``.
    """
    a = torch.as_tensor(a, dtype=r.dtype)
    r, a = torch.broadcast_tensors(r, a)
    x = simulate(r, T, dt)[..., 1:]
    y = readout(x, a, x_star)
    return (y - delayed_activation_target(T, dt, r.dtype)).pow(2).sum(-1) * (dt / T)


def exact_gradient(r: np.ndarray | torch.Tensor, T: float, a: np.ndarray | float, dt: float = DT,
                   x_star: float = X_STAR) -> tuple[np.ndarray, np.ndarray]:
    """Loss and exact dL/dr of the simulated model (autograd through the Euler steps), float64.

    Args:
        r: ``[...]``.  a: broadcastable to ``r``.
    Returns:
        (loss, grad): float64 arrays of the broadcast shape.
    """
    r_t = torch.as_tensor(np.asarray(r, dtype=np.float64))
    a_t = torch.as_tensor(np.asarray(a, dtype=np.float64))
    r_t, a_t = torch.broadcast_tensors(r_t, a_t)
    r_t = r_t.clone().requires_grad_(True)
    loss = simulated_loss(r_t, T, a_t, dt, x_star)
    (grad,) = torch.autograd.grad(loss.sum(), r_t)
    return loss.detach().numpy(), grad.numpy()


def sensitivity_gradient(r: np.ndarray | float, T: float, a: np.ndarray | float, dt: float = DT,
                         x_star: float = X_STAR, clip: float = X_CLIP,
                         block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Loss and exact dL/dr of ``simulated_loss`` by forward-mode sensitivity, float64 NumPy.

    Alongside x_{k+1} = min(x_k + Δt (x_k² + r), clip) it propagates s_k = ∂x_k/∂r:
    s_{k+1} = s_k + Δt (2 x_k s_k + 1), and s_{k+1} = 0 where the clip is active (as autograd
    through ``torch.clamp``), so dL/dr = (Δt/T) Σ_k 2 (y_k − y*_k) y_k (1 − y_k) a s_k. The sums
    are taken every ``block`` steps, so memory is ``[block, M]`` whatever T.

    Args:
        r: ``[...]``.  a: confidence, broadcastable to ``r``.  T, dt, x_star, clip: as in ``simulate``.
    Returns:
        (loss, grad): float64 arrays of the broadcast shape; equal to ``exact_gradient``.
    """
    r, a = np.broadcast_arrays(np.asarray(r, dtype=np.float64), np.asarray(a, dtype=np.float64))
    shape = r.shape
    r, a = r.ravel(), a.ravel()
    steps = n_steps(T, dt)
    target = delayed_activation_target(T, dt).numpy()
    x, s = np.zeros_like(r), np.zeros_like(r)
    xs, ss = np.empty((block, r.size)), np.empty((block, r.size))
    factor, pre = np.empty_like(r), np.empty_like(r)
    loss, grad = np.zeros_like(r), np.zeros_like(r)
    for start in range(0, steps, block):
        n = min(block, steps - start)
        for j in range(n):
            np.multiply(x, 2.0 * dt, out=factor)
            factor += 1.0
            np.multiply(s, factor, out=ss[j])
            ss[j] += dt
            np.multiply(x, x, out=pre)
            pre += r
            pre *= dt
            pre += x
            ss[j][pre > clip] = 0.0
            np.minimum(pre, clip, out=xs[j])
            x, s = xs[j], ss[j]
        y = expit(a * (xs[:n] - x_star))  # no overflow warning for large a(x - x*)
        err = y - target[start:start + n, None]
        loss += np.einsum("km,km->m", err, err)
        grad += np.einsum("km,km->m", err * y * (1.0 - y), ss[:n])
        x, s = x.copy(), s.copy()
    return (loss * (dt / T)).reshape(shape), (grad * (2.0 * dt / T) * a).reshape(shape)


def euler_escape_time(r: np.ndarray | float, T: float, dt: float = DT,
                      x_star: float = X_STAR) -> np.ndarray:
    """First time k·Δt at which the simulated x_k reaches x* (+∞ if not within 2T).

    This is when the a → ∞ readout switches on; for r = r* it should be T.

    Args:
        r: any shape.
    Returns:
        float64 array of the same shape.
    """
    r_t = torch.as_tensor(np.asarray(r, dtype=np.float64))
    with torch.no_grad():
        above = simulate(r_t, T, dt)[..., 1:] >= x_star
    first = torch.where(above.any(-1), above.to(torch.int64).argmax(-1) + 1, -1).numpy()
    return np.where(first > 0, first * dt, np.inf)


def gradient_descent(r0: np.ndarray, lr: np.ndarray, T: float, epochs: int,
                     convention: str = "code") -> tuple[np.ndarray, np.ndarray]:
    """Batched gradient descent r ← r − η ∇L(r) on the a → ∞ landscape (the authors' Fig 2 loop).

    Every member has its own initial value and learning rate; the loop is vectorised over them.

    Args:
        r0: ``[M]`` initial r.  lr: ``[M]`` (or scalar) learning rates, all > 0.
        T: delay.  epochs: number of steps.  convention: see ``closed_form_gradient``.
    Returns:
        (r, loss): ``[epochs + 1, M]`` float64 arrays; row 0 is the initial value.
    """
    lr = np.broadcast_to(np.asarray(lr, dtype=np.float64), np.shape(r0))
    if not np.all(lr > 0):
        raise ValueError("learning rates must be positive")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    r = np.empty((epochs + 1, len(r0)))
    r[0] = r0
    for k in range(epochs):
        r[k + 1] = r[k] - lr * closed_form_gradient(r[k], T, convention)
    return r, closed_form_loss(r, T)


def exact_gradient_descent(r0: np.ndarray, lr: np.ndarray, T: float, a: np.ndarray,
                           epochs: int, dt: float = DT, convention: str = "exact",
                           history: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Batched gradient descent on the simulated finite-confidence loss with its exact gradient.

    One ``sensitivity_gradient`` call per epoch for all members together.

    Args:
        r0, lr, a: ``[M]`` (or scalars) initial r, learning rates (> 0) and confidences.
        convention: ``"exact"`` (dL/dr) or ``"code"`` (T·dL/dr, the authors' scale; the same
            descent as ``"exact"`` with T times the learning rate).
        history: keep every epoch; otherwise only the initial and the last one.
    Returns:
        (r, loss): ``[epochs + 1, M]`` float64 arrays (``[2, M]`` without history); loss[k] is the
        loss at r[k].
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"gradient convention must be one of {CONVENTIONS}, got '{convention}'")
    r0, lr, a = np.broadcast_arrays(np.asarray(r0, np.float64), np.asarray(lr, np.float64),
                                    np.asarray(a, np.float64))
    if not np.all(lr > 0):
        raise ValueError("learning rates must be positive")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    step = lr.ravel() * (T if convention == "code" else 1.0)
    a = a.ravel()
    rows = epochs + 1 if history else 2
    r_out, loss_out = np.empty((rows, r0.size)), np.empty((rows, r0.size))
    r = r0.ravel().copy()
    for k in range(epochs + 1):
        loss, grad = sensitivity_gradient(r, T, a, dt)
        row = k if history else min(k, 1)
        if history or k in (0, epochs):
            r_out[row], loss_out[row] = r, loss
        if k < epochs:
            r = r - step * grad
    return r_out, loss_out
