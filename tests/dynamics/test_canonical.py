"""The canonical model ẋ = x² + r: Euler simulation against the a → ∞ closed forms."""
import numpy as np
import pytest

from dynamics import canonical

T = 100.0
R_STAR = canonical.optimal_r(T)


def test_euler_escape_time_at_optimum_is_T_within_one_percent():
    # r* = π²/(4T²) is defined by t*(r*) = T; Euler (Δt = 0.1) crosses x* = 10 at 100.6.
    for T_ in (100.0, 200.0):
        t = float(canonical.euler_escape_time(canonical.optimal_r(T_), T_))
        assert abs(t - T_) / T_ < 0.01


def test_escape_time_closed_form_and_fixed_point_case():
    assert canonical.escape_time(0.25) == pytest.approx(np.pi)       # π/(2√r)
    assert np.isinf(canonical.escape_time(-1.0)) and np.isinf(canonical.escape_time(0.0))


def test_closed_form_loss_matches_simulated_loss_at_large_confidence():
    r = np.linspace(-R_STAR, 2 * R_STAR, 100)          # the authors' grid
    simulated, _ = canonical.exact_gradient(r, T, 100.0)
    closed = canonical.closed_form_loss(r, T)
    assert np.max(np.abs(simulated - closed)) < 0.01
    assert closed[np.argmin(np.abs(r - R_STAR))] < 0.02 and np.all(closed[r <= R_STAR / 4] == 1.0)


@pytest.mark.parametrize("convention, factor", [("code", T), ("exact", 1.0)])
def test_closed_form_gradient_is_the_derivative_of_the_closed_form_loss(convention, factor):
    r = R_STAR * np.array([0.3, 0.5, 0.8, 1.5, 3.0, 10.0])
    h = 1e-7 * R_STAR
    numeric = (canonical.closed_form_loss(r + h, T) - canonical.closed_form_loss(r - h, T)) / (2 * h)
    np.testing.assert_allclose(canonical.closed_form_gradient(r, T, convention), factor * numeric, rtol=1e-5)


def test_exact_gradient_matches_finite_differences_of_the_simulation():
    r = R_STAR * np.array([0.3, 0.9, 1.7])
    h = 1e-6 * R_STAR
    _, grad = canonical.exact_gradient(r, T, 0.5)
    plus, _ = canonical.exact_gradient(r + h, T, 0.5)
    minus, _ = canonical.exact_gradient(r - h, T, 0.5)
    np.testing.assert_allclose(grad, (plus - minus) / (2 * h), rtol=1e-4)


def test_no_learning_zone_gradient_zero_at_infinite_and_tiny_positive_at_finite_confidence():
    r_zone = np.array([R_STAR / 8, R_STAR / 5])
    assert np.all(canonical.closed_form_gradient(r_zone, T) == 0.0)           # a → ∞
    a = np.array([4.0, 2.0, 1.0, 0.5])                                        # decreasing a
    _, g = canonical.exact_gradient(np.full(len(a), R_STAR / 8), T, a)
    magnitude = np.abs(g)
    assert np.all(magnitude > 0)
    assert np.all(np.diff(magnitude) > 0)                                     # grows as a decreases
    scale = abs(canonical.closed_form_gradient(R_STAR, T, "exact"))           # |∇L| at the optimum
    assert np.all(magnitude < 1e-2 * scale)                                   # ... but stays tiny


def test_gradient_descent_below_and_above_the_critical_rate():
    r, loss = canonical.gradient_descent(np.full(2, 10 * R_STAR), np.array([1e-10, 1e-9]), T, 3000)
    assert abs(r[-1, 0] / R_STAR - 1) < 0.2 and loss[-1, 0] < 0.1     # oscillates around r*
    assert r[-1, 1] <= R_STAR / 4 and loss[-1, 1] == 1.0              # stuck in the zone


def test_invalid_inputs_fail_early():
    with pytest.raises(ValueError, match="positive"):
        canonical.optimal_r(0.0)
    with pytest.raises(ValueError, match="learning rates"):
        canonical.gradient_descent(np.ones(2), np.array([1e-9, -1.0]), T, 10)
    with pytest.raises(ValueError, match="convention"):
        canonical.closed_form_gradient(1.0, T, "paper")
