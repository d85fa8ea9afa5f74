"""Predicted vs measured critical learning rate of the canonical model."""
import numpy as np
import pytest

from dynamics import canonical, critical_lr
from dynamics.experiments.critical_lr_scaling import learning_rate_grid


def test_prediction_is_one_overshoot_from_r_star_to_the_zone_boundary():
    for T in (25.0, 100.0):
        r_star = canonical.optimal_r(T)
        eta = critical_lr.predicted_critical_lr(T, "code")
        assert eta * abs(canonical.closed_form_gradient(r_star, T, "code")) == pytest.approx(0.75 * r_star)
        assert critical_lr.predicted_critical_lr(T, "exact") == pytest.approx(eta * T)


@pytest.mark.parametrize("convention, exponent", [("code", -5.0), ("exact", -4.0)])
def test_measured_critical_lr_within_ten_percent_and_power_law(convention, exponent):
    Ts = [25.0, 50.0, 100.0, 200.0]
    lrs = learning_rate_grid(Ts, convention, per_decade=20)
    rows = critical_lr.measure_critical_lrs(Ts, lrs, n_inits=10, epochs=3000, convention=convention,
                                            n_refine=21)
    ratios = np.array([r["ratio"] for r in rows])
    assert np.sum(np.abs(ratios - 1) < 0.10) >= 2          # the bar; in fact all four hold
    assert np.all(np.abs(ratios - 1) < 0.10)
    slope, _ = critical_lr.fit_power_law(Ts, [r["measured"] for r in rows])
    assert slope == pytest.approx(exponent, abs=0.05)


def test_threshold_is_the_first_rate_where_half_the_runs_are_stuck():
    lrs = np.array([1.0, 2.0, 3.0, 4.0])
    assert critical_lr.threshold_from_sweep(lrs, np.array([0.0, 0.4, 0.5, 1.0])) == 3.0
    assert np.isnan(critical_lr.threshold_from_sweep(lrs, np.zeros(4)))
