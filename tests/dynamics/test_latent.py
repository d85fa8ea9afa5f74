"""The exact latent reduction of low-rank networks and the 1-D speed analysis."""
import numpy as np
import torch

from dynamics import latent
from dynamics.models import RateRNN
from dynamics.tasks import delayed_activation
from dynamics.training import train_ensemble


def _trained_rank_one() -> RateRNN:
    model = RateRNN([40], rank=1, readout="confidence", init_state_value=-0.3, dtype=torch.float64)
    train_ensemble(model, delayed_activation(20), 30, 0.5)     # gives b and the vectors some structure
    return model


def test_rank_one_kappa_trajectory_equals_n_transpose_x_of_the_full_simulation():
    model = _trained_rank_one()
    with torch.no_grad():
        _, X = model(None, 40)                                  # [1, 1, 41, 100]
        n, m, b = model.U[0, :, 0], model.V[0, 0], model.b[0]
        kappa_full = X[0, 0] @ n
        kappa_1d = latent.latent_trajectory(kappa_full[:1], n[:, None], m[None, :], b, model.alpha, 40)[:, 0]
    assert float(model.b.detach().abs().max()) > 1e-3
    torch.testing.assert_close(kappa_1d, kappa_full, rtol=1e-12, atol=1e-12)
    # and the flow used by the analysis is the same function
    flow = latent.rank_one_flow(kappa_full[:5], m[None], n[None], b[None])[0]
    torch.testing.assert_close(flow, latent.latent_flow(kappa_full[:5, None], n[:, None], m[None, :], b)[:, 0])


def test_svd_coordinates_give_an_exact_two_dimensional_map_for_rank_two():
    model = RateRNN([3], rank=2, n_inputs=1, readout="latent", init="working_memory", input_bias_std=0.1,
                    init_state_std=0.3, readout_state="current", dtype=torch.float64)
    with torch.no_grad():
        _, X = model(None, 25, n_trials=3)                     # input-free (delay) dynamics
        U, V = latent.svd_coordinates(model.recurrent_weights()[0], 2)
        kappa_full = X[0] @ U                                   # [3, 26, 2]
        kappa_2d = latent.latent_trajectory(kappa_full[:, 0], U, V, model.b[0], model.alpha, 25)
    # the projection is exact only inside the span; x0 has a component outside it, which decays
    # by (1 − α) per step and never feeds back, so κ obeys the closed 2-D map exactly:
    torch.testing.assert_close(kappa_2d, kappa_full, rtol=1e-10, atol=1e-10)


def test_zero_crossings_and_speed_minima_on_a_known_flow():
    grid = np.linspace(-3, 3, 601)
    flow = (grid ** 2 - 1) * (grid - 2.0025) ** 2                      # zeros at ±1 (crossing), 2.0025 (touch)
    assert int(latent.zero_crossings(flow)) == 2
    for r, ceiling, ghost in ((0.03, 0.1, True), (0.3, 0.1, False), (0.3, 1.0, True)):
        mins = latent.speed_minima_1d(grid, grid ** 2 + r, max_speed=ceiling)   # one speed minimum, at 0
        assert len(mins) == 1 and mins[0]["ghost"] == ghost and abs(mins[0]["kappa"]) < 1e-9
        assert abs(mins[0]["speed"] - r) < 1e-12                              # a ghost only below the ceiling
    fp = latent.speed_minima_1d(grid, grid ** 2 - 0.3, max_speed=0.1)
    assert [m["ghost"] for m in fp] == [False, False]


def test_speed_minima_2d_finds_the_planted_minimum():
    g = np.linspace(-1, 1, 41)
    X, Y = np.meshgrid(g, g, indexing="ij")
    speed = (X - 0.5) ** 2 + (Y + 0.25) ** 2 + 0.1
    idx = latent.speed_minima_2d(speed)
    assert idx.tolist() == [[30, 15]]
