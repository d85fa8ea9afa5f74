"""Small plotting helpers shared by the figure experiments (matplotlib ``Figure`` objects, no pyplot
state, so they work headless and in tests)."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

ZONE_COLOR = "#f4cccc"


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.5, height: float = 3.6,
           **kwargs) -> tuple[Figure, np.ndarray]:
    """A figure with an ``[nrows, ncols]`` array of axes (always 2-D)."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def mean_sem(values: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the mean along ``axis``."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[axis]
    return values.mean(axis=axis), values.std(axis=axis) / np.sqrt(max(n, 1))


def colors(n: int, cmap: str = "viridis", low: float = 0.1, high: float = 0.9) -> np.ndarray:
    """``n`` colours spread over ``[low, high]`` of a matplotlib colormap."""
    from matplotlib import colormaps
    return colormaps[cmap](np.linspace(low, high, max(n, 1)))


def mark_epochs(ax, epochs, **kwargs) -> None:
    """Dashed vertical lines at ``epochs``."""
    for e in epochs:
        ax.axvline(e, color=kwargs.get("color", "gray"), ls="--", lw=0.8, alpha=0.7)


def flow_map(ax, grid: np.ndarray, flow: np.ndarray, trajectories: list[np.ndarray] = (),
             minima: list[dict] = (), step: int = 8, vmin: float = -5, vmax: float = 5) -> object:
    """Latent 2-D flow: log-speed heat map, normalised arrows, trajectories and speed minima.

    Args:
        grid: ``[G]`` axis values (square grid).  flow: ``[G, G, 2]`` F on the grid ("ij").
        trajectories: ``[S, 2]`` latent trajectories.  minima: ``{"kappa", "kind"}`` points.
    Returns:
        The image (for a colour bar).
    """
    speed = np.linalg.norm(flow, axis=-1)
    im = ax.imshow(np.log(speed.T + 1e-300), origin="lower", extent=[grid[0], grid[-1], grid[0], grid[-1]],
                   cmap="viridis", alpha=0.7, vmin=vmin, vmax=vmax, interpolation="none")
    X, Y = np.meshgrid(grid[::step], grid[::step], indexing="ij")
    U, V = flow[::step, ::step, 0], flow[::step, ::step, 1]
    mag = np.hypot(U, V)
    mag[mag == 0] = 1.0
    ax.quiver(X, Y, U / mag, V / mag, angles="xy", scale=40, width=0.002, color="black")
    for traj in trajectories:
        ax.plot(traj[:, 0], traj[:, 1], lw=1.2)
        ax.plot(traj[0, 0], traj[0, 1], "o", ms=3, color="white")
    styles = {"stable": ("o", "white"), "saddle": ("X", "orange"), "unstable": ("s", "red"),
              "ghost": ("*", "magenta"), "not slow": ("x", "gray"),
              "non-minimum": ("+", "gray")}
    for p in minima:
        marker, color = styles.get(p["kind"], ("x", "purple"))
        ax.plot(p["kappa"][0], p["kappa"][1], marker, color=color, ms=9, mec="black", mew=0.6)
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(grid[0], grid[-1])
    ax.set_xlabel("κ₁")
    ax.set_ylabel("κ₂")
    return im


def ghost_timeline_panel(ax, epochs, ghost_speed, ghost_speed_near, n_fixed, loss: np.ndarray,
                         drops: dict[str, int]) -> None:
    """Slowest ghost speed (log, left), fixed-point count (outer right) and loss (right) over epochs.

    Args:
        epochs: ``[T]`` analysed epochs.  ghost_speed, ghost_speed_near: ``[T]`` slowest ghost
            anywhere / near the trajectories (NaN: none).  n_fixed: ``[T]`` fixed-point counts.
        loss: ``[epochs]`` loss of every epoch.  drops: label → epoch (−1: never), drawn as lines.
    """
    epochs = np.asarray(epochs)
    for speed, style in ((ghost_speed, dict(ms=5, mfc="none", label="slowest ghost (any)")),
                         (ghost_speed_near, dict(ms=7, label="slowest ghost near path"))):
        speed = np.asarray(speed, dtype=float)
        ok = np.isfinite(speed)
        ax.plot(epochs[ok], speed[ok], "*", color="magenta", **style)
    ax.set_yscale("log")
    ax.set_ylabel("ghost speed |F|", color="magenta")
    ax.set_xlabel("epoch")
    loss_ax = ax.twinx()
    end = int(epochs[-1]) + 1 if len(epochs) else len(loss)
    loss_ax.semilogy(np.arange(end), loss[:end], color="tab:blue", lw=0.8, alpha=0.45)
    loss_ax.set_ylabel("loss", color="tab:blue")
    count_ax = ax.twinx()
    count_ax.spines["right"].set_position(("axes", 1.12))
    count_ax.step(epochs, n_fixed, where="post", color="black", lw=1.2)
    count_ax.set_ylabel("fixed points")
    count_ax.set_ylim(-0.5, max(np.max(n_fixed, initial=0), 1) + 1.5)
    for (label, epoch), col in zip(drops.items(), colors(len(drops), "autumn", 0.0, 0.7)):
        if epoch >= 0:
            ax.axvline(epoch, color=col, ls="--", lw=1, label=f"loss {label} (epoch {epoch})")
    ax.set_zorder(count_ax.get_zorder() + 1)       # stars and drop lines above the loss curve
    ax.patch.set_visible(False)
    ax.legend(fontsize=6, loc="lower left")
    ax.set_title("ghost timeline: ★ slowest ghost, black: fixed-point count, blue: loss", fontsize=9)
