"""The critical learning rate of gradient descent on the canonical model, predicted and measured.

Derivation (reconstructed; the paper's own expression is not available to us). Work in the a → ∞
landscape of ``canonical``: L(r) = |T − t*(r)|/T with t*(r) = π/(2√r), optimum r* = π²/(4T²),
no-learning zone r ≤ r*/4 where ∇L = 0.

1. L is V-shaped at r*: |∇L| = π/(4 r^{3/2}) (code convention, see below) does not vanish at the
   minimum, so fixed-step gradient descent cannot settle; it overshoots r* by up to η|∇L(r*)|
   and oscillates around it (the **oscillatory minimum**; residual loss grows with η).
2. Coming down from r > r*, the last iterate above r* is r* + δ with 0 < δ ≤ η|∇L|. The step
   from there lands at about r* − η|∇L(r*)|. If that is below r*/4 the iterate is in the
   no-learning zone, where the gradient is exactly zero: learning stops for good.
3. So the largest safe step is η |∇L(r*)| = r* − r*/4 = ¾ r*, i.e.

       η_c = ¾ r* / |∇L(r*)| = ¾ r*^{5/2} · 4/π = 3 r*^{5/2} / π = 3π⁴ / (32 T⁵).

Loss convention. The authors' code (``Figure2/code/loss_function_gradient*.py``) uses the gradient
±π/(4 r^{3/2}), which is the gradient of T·L, not of L; with it η_c = 3π⁴/(32 T⁵), an inverse
power law with exponent −5. With the exact gradient of L (an extra factor 1/T),
η_c = 3π⁴/(32 T⁴), exponent −4. ``convention`` selects either; the default follows the code.

In units ρ = r/r* and η/η_c the gradient-descent map is the same for every T, so the measured
threshold scales exactly as the prediction whenever the initial values are drawn relative to r*
(as in the authors' code: r₀ = 10 r* + N(0, (r*/10)²)). The measurement below therefore uses one
absolute learning-rate grid for all T, so the fitted exponent is a genuine fit to grid points.
Measured η_c is the smallest grid value at which at least half of the runs end in the zone.

Two measurements. ``confidence=None`` runs gradient descent on the a → ∞ closed-form landscape
(``canonical.gradient_descent``): the landscape the prediction is derived from, so agreement there
checks the one-overshoot argument, not the model. A confidence a runs it on the simulated model
itself: the Euler trajectory from x(0) = 0 with Δt = ``dt``, the readout σ(a(x − x*)) and the exact
gradient of the simulated loss through the simulation (``canonical.sensitivity_gradient``, forward
mode, equal to autograd), batched over learning rates × initial values. In the ``"code"``
convention that gradient is multiplied by T (the gradient of T·L, as the authors' Fig 2 code), in
``"exact"`` it is dL/dr; descent in one equals descent in the other at T times the rate, so the
measured/predicted ratio does not depend on the convention. Stuck means r ≤ r*/4 at the end, as
for the closed form.

What the simulated measurement finds (T = 25, 50; 10 runs per rate). With the authors' Δt = 0.1
the prediction does not carry over at any confidence a, for two opposite reasons:

* a ≳ 1 (the paper's Fig 2 uses a ∈ {0.1, 1}): near x* the Euler state moves by Δt·x*² ≈ 10
  per step, more than the readout's width ~4/a, so the simulated loss is a staircase in r and its
  exact gradient swings between ~0.3 and ~1.9 times the a → ∞ gradient (at a = 2: 0.01–3.2).
  Overshoots driven by the large values reach the zone at smaller rates: the measured η_c is
  0.64–0.68 of the prediction at a = 1 (T = 25, 50).
* a ≲ 0.5 (smooth gradient, within ±10 %): the zone is no longer absorbing. Its gradient,
  ∝ e^{−a x*}, is still 2–18 % of the closed-form |∇L(r*)| between 0.15 r* and 0.24 r* at
  a = 0.3, so runs that overshoot into the zone crawl back out; fewer than half end stuck over the
  whole swept range of rates.

Resolving the readout recovers the prediction once the zone is also absorbing. At Δt = 0.02 the
gradient at a = 1 is within 1 % of the a → ∞ one, but the zone still leaks (gradient ~1e-4 of
|∇L(r*)| just below r*/4): measured/predicted 1.11 at T = 25. At a = 2 the zone is sealed (~1e-8)
but the staircase returns (±15 %): 0.87. At a = 1.5 (the ``critical_lr_scaling`` default) both are
small: 1.02, 1.00, 0.99 and 1.02 for T = 25, 50, 100, 200 (fitted exponent −5.00); and at a = 2,
Δt = 0.01, 1.01 (T = 25). So the one-overshoot prediction holds for the simulated model with its
exact gradient when Δt·x*² ≪ 1/a ≪ x*, and the finite-a, finite-Δt deviations are the two effects
above, not a failure of the argument.
"""
from __future__ import annotations

import math

import numpy as np

from . import canonical


def predicted_critical_lr(T: float | np.ndarray, convention: str = "code") -> np.ndarray:
    """η_c = 3π⁴/(32 T⁵) (``"code"``) or 3π⁴/(32 T⁴) (``"exact"``); see the module docstring."""
    if convention not in canonical.CONVENTIONS:
        raise ValueError(f"gradient convention must be one of {canonical.CONVENTIONS}, got '{convention}'")
    T = np.asarray(T, dtype=np.float64)
    if not np.all(T > 0):
        raise ValueError(f"the task delay T must be positive, got {T}")
    power = 5 if convention == "code" else 4
    return 3.0 * math.pi ** 4 / (32.0 * T ** power)


def initial_r(T: float, n: int, rng: np.random.Generator, scale: float = 10.0,
              noise: float = 0.1) -> np.ndarray:
    """``[n]`` initial values r₀ = scale·r* + N(0, (noise·r*)²) (the authors' Fig 2d draw)."""
    r_opt = canonical.optimal_r(T)
    return scale * r_opt + rng.normal(0.0, noise * r_opt, size=n)


def sweep_learning_rates(T: float, lrs: np.ndarray, n_inits: int, epochs: int, seed: int = 0,
                         convention: str = "code", init_scale: float = 10.0,
                         init_noise: float = 0.1, confidence: float | None = None,
                         dt: float = canonical.DT) -> dict[str, np.ndarray]:
    """Gradient descent from ``n_inits`` initial values for every learning rate, in one batch.

    Args:
        T: delay.  lrs: ``[L]`` learning rates.  n_inits: runs per learning rate.
        epochs: gradient steps.  seed: seed of the initial values (the same for every lr).
        confidence: None for the a → ∞ closed-form landscape; a value a for the simulated model
            with the exact gradient through the Euler simulation (step ``dt``).
    Returns:
        ``stuck``: ``[L]`` fraction of runs ending in the no-learning zone (r ≤ r*/4);
        ``final_loss``: ``[L]`` mean loss at the last epoch (closed-form or simulated);
        ``final_r``: ``[L, n_inits]`` last iterates.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    r0 = np.tile(initial_r(T, n_inits, np.random.default_rng(seed), init_scale, init_noise), len(lrs))
    lr = np.repeat(lrs, n_inits)
    if confidence is None:
        r, loss = canonical.gradient_descent(r0, lr, T, epochs, convention)
    else:
        r, loss = canonical.exact_gradient_descent(r0, lr, T, confidence, epochs, dt, convention,
                                                   history=False)
    final_r = r[-1].reshape(len(lrs), n_inits)
    stuck = (final_r <= canonical.no_learning_boundary(T)).mean(axis=1)
    return {"stuck": stuck, "final_loss": loss[-1].reshape(len(lrs), n_inits).mean(axis=1),
            "final_r": final_r}


def threshold_from_sweep(lrs: np.ndarray, stuck: np.ndarray, level: float = 0.5) -> float:
    """Smallest learning rate whose stuck fraction is at least ``level``.

    NaN when no rate reaches ``level``, and also when the smallest swept rate already does: the
    threshold then lies below the swept range and the grid cannot locate it.
    """
    order = np.argsort(lrs)
    hit = np.nonzero(np.asarray(stuck)[order] >= level)[0]
    return float(np.asarray(lrs)[order][hit[0]]) if hit.size and hit[0] > 0 else float("nan")


def fit_power_law(T: np.ndarray, eta: np.ndarray) -> tuple[float, float]:
    """Least-squares fit of log η = log C + p log T.

    Returns:
        (p, C): the exponent and the prefactor.
    """
    slope, intercept = np.polyfit(np.log(np.asarray(T, float)), np.log(np.asarray(eta, float)), 1)
    return float(slope), float(math.exp(intercept))


def measure_critical_lrs(Ts: list[float], lrs: np.ndarray, n_inits: int, epochs: int,
                         seed: int = 0, convention: str = "code", n_refine: int = 0,
                         confidence: float | None = None, dt: float = canonical.DT,
                         lr_span: float | None = None) -> list[dict[str, float]]:
    """Predicted and measured η_c for every T on one common learning-rate grid.

    Args:
        Ts: delays.  lrs: the common grid (sorted).  n_inits, epochs, seed, convention,
            confidence, dt: see ``sweep_learning_rates``.
        n_refine: if > 0, sweep that many evenly spaced rates between the grid point below the
            coarse threshold and the threshold, and report the refined threshold.
        lr_span: if given, each T sweeps only the grid points within [η_c/span, span·η_c] of its
            prediction (the simulated runs cost O(T) per epoch).
    Returns:
        One row per T: ``T``, ``predicted``, ``measured`` (NaN when the threshold lies outside the
        swept rates, see ``threshold_from_sweep``), ``ratio`` (measured/predicted) and the coarse
        sweep arrays ``lrs``, ``stuck`` and ``final_loss`` (``[L_T]``).
    """
    grid = np.sort(np.asarray(lrs, dtype=np.float64))
    rows = []
    for T in Ts:
        predicted = float(predicted_critical_lr(T, convention))
        lrs_T = grid if lr_span is None else grid[(grid >= predicted / lr_span) & (grid <= predicted * lr_span)]
        sweep = sweep_learning_rates(T, lrs_T, n_inits, epochs, seed, convention,
                                     confidence=confidence, dt=dt)
        measured = threshold_from_sweep(lrs_T, sweep["stuck"])
        i = int(np.searchsorted(lrs_T, measured)) if np.isfinite(measured) else 0
        if n_refine > 0 and i > 0:
            fine = np.linspace(lrs_T[i - 1], lrs_T[i], n_refine)
            measured = threshold_from_sweep(
                fine, sweep_learning_rates(T, fine, n_inits, epochs, seed, convention,
                                           confidence=confidence, dt=dt)["stuck"])
        rows.append({"T": float(T), "predicted": predicted, "measured": measured,
                     "ratio": measured / predicted, "lrs": lrs_T, "stuck": sweep["stuck"],
                     "final_loss": sweep["final_loss"]})
    return rows
