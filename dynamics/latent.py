"""Exact low-dimensional latent dynamics of low-rank rate RNNs, their speed and their slow points.

A rate RNN x_{t+1} = (1 − α) x_t + α tanh(x_t U V + b) (row vectors, U ``[N, K]``, V ``[K, N]``,
no input) keeps the pre-activation inside the K-dimensional span of V's rows. The latent
coordinates κ = x U therefore obey a closed K-dimensional map

    κ_{t+1} = (1 − α) κ_t + α tanh(κ_t V + b) U,

whose continuous-time flow is κ̇ = F(κ) = −κ + tanh(κ V + b) U. For the rank-one RNN of the
paper (U = n, V = mᵀ) this is κ̇ = −κ + nᵀ tanh(m κ + b): an exact one-dimensional system in which
the number of fixed points is the number of zero crossings of F, and a *ghost* is a local
minimum of the speed |F| that does not reach zero.

For a general recurrent matrix W (pre-activation x W) the authors' ``get_lpus`` takes the SVD
W = A diag(s) Bᵀ and uses the orthonormal projection κ = x A[:, :K]; ``svd_coordinates`` returns
the matching (U, V), with which the same formulas apply (exactly when rank W ≤ K).
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.ndimage import minimum_filter


def latent_flow(kappa: torch.Tensor, U: torch.Tensor, V: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """F(κ) = −κ + tanh(κ V + b) U.

    Args:
        kappa: ``[..., K]``.  U: ``[N, K]``.  V: ``[K, N]``.  b: ``[N]``.
    Returns:
        ``[..., K]``.
    """
    return -kappa + torch.tanh(kappa @ V + b) @ U


def latent_map(kappa: torch.Tensor, U: torch.Tensor, V: torch.Tensor, b: torch.Tensor,
               alpha: float) -> torch.Tensor:
    """One step of the discrete latent map κ ← (1 − α) κ + α tanh(κ V + b) U (shapes as above)."""
    return kappa + alpha * latent_flow(kappa, U, V, b)


def latent_trajectory(kappa0: torch.Tensor, U: torch.Tensor, V: torch.Tensor, b: torch.Tensor,
                      alpha: float, n_steps: int) -> torch.Tensor:
    """Iterate ``latent_map``.  kappa0: ``[..., K]`` → ``[..., n_steps + 1, K]``."""
    out = [kappa0]
    for _ in range(n_steps):
        out.append(latent_map(out[-1], U, V, b, alpha))
    return torch.stack(out, dim=-2)


def rank_one_flow(kappa: torch.Tensor, m: torch.Tensor, n: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """κ̇ = −κ + nᵀ tanh(m κ + b) on a grid, for a batch of rank-one networks.

    Args:
        kappa: ``[G]`` grid.  m, n, b: ``[E, N]`` (E networks, e.g. training epochs).
    Returns:
        ``[E, G]``.
    """
    return -kappa + torch.einsum("en,egn->eg", n, torch.tanh(m[:, None, :] * kappa[:, None] + b[:, None, :]))


def svd_coordinates(W: torch.Tensor, K: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(U, V) of the K leading singular directions of ``W`` ``[N, N]`` (pre-activation x W).

    U = A[:, :K] is an orthonormal projection (κ = x U), V = diag(s_K) B[:, :K]ᵀ, so
    x W ≈ (x U) V, exactly when rank W ≤ K.
    """
    A, s, Bh = torch.linalg.svd(W)
    return A[:, :K], s[:K, None] * Bh[:K]


def zero_crossings(values: np.ndarray) -> np.ndarray:
    """Number of sign changes along the last axis (the number of 1-D fixed points on a grid).

    Args:
        values: ``[..., G]``.
    Returns:
        ``[...]`` int array.
    """
    positive = np.asarray(values) > 0
    return np.count_nonzero(positive[..., 1:] != positive[..., :-1], axis=-1)


def speed_minima_1d(grid: np.ndarray, flow_values: np.ndarray, max_speed: float, tol: float = 0.0) -> list[dict]:
    """Interior local minima of the speed |F| on a 1-D grid.

    A minimum whose neighbours have F of the same sign and whose speed lies in (``tol``,
    ``max_speed``] is a ghost (in 1-D, F' = 0 at a minimum of |F| ≠ 0: the direction is marginal,
    so the speed ceiling is the test); one next to a sign change is a fixed point.

    Args:
        grid: ``[G]``.  flow_values: ``[G]`` F on the grid.
    Returns:
        ``[{"kappa", "speed", "ghost"}]`` from left to right.
    """
    speed = np.abs(flow_values)
    inner = np.arange(1, len(grid) - 1)
    is_min = (speed[inner] <= speed[inner - 1]) & (speed[inner] <= speed[inner + 1])
    out = []
    for i in inner[is_min]:
        crosses = np.sign(flow_values[i - 1]) != np.sign(flow_values[i + 1]) or flow_values[i] == 0
        out.append({"kappa": float(grid[i]), "speed": float(speed[i]),
                    "ghost": bool(not crosses and tol < speed[i] <= max_speed)})
    return out


def speed_minima_2d(speed: np.ndarray) -> np.ndarray:
    """Local minima of a 2-D speed map with a 3×3 ``scipy.ndimage.minimum_filter`` (``get_lpus``).

    Args:
        speed: ``[G1, G2]``.
    Returns:
        ``[P, 2]`` integer grid indices, border points excluded.
    """
    is_min = speed == minimum_filter(speed, size=3, mode="nearest")
    is_min[[0, -1], :] = False
    is_min[:, [0, -1]] = False
    return np.argwhere(is_min)


def flow_on_grid(U: torch.Tensor, V: torch.Tensor, b: torch.Tensor, axes: list[np.ndarray]) -> np.ndarray:
    """F on a K-dimensional tensor grid (K = len(axes)), e.g. for flow maps.

    Returns:
        ``[G1, …, GK, K]`` array (indexing "ij").
    """
    mesh = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    with torch.no_grad():
        kappa = torch.as_tensor(mesh, dtype=U.dtype)
        return latent_flow(kappa, U, V, b).numpy()
