"""Rolling z-score anomalies on planted outliers and clean noise; forecasts against polyfit."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.analysis.anomaly import AnomalyConfig, find_anomalies, rolling_z
from streamscope.core.analysis.forecast import (
    ForecastConfig,
    Throttle,
    fit_forecast,
    t_quantile,
)

DEFAULT = AnomalyConfig()


def test_rolling_z_matches_a_direct_computation():
    rng = np.random.default_rng(4)
    v = 500 + rng.normal(0, 2, 3000)
    w = 50
    z = rolling_z(v, 0, w, min_count=w)
    for i in (w, w + 1, 777, 2999):
        base = v[i - w : i]
        assert z[i] == pytest.approx((v[i] - base.mean()) / base.std(ddof=1), rel=1e-9)
    assert np.isnan(z[:w]).all() and np.isfinite(z[w:]).all()  # a full baseline is needed


def test_planted_outliers_are_all_found_and_nothing_else():
    rng = np.random.default_rng(5)
    n = 20_000
    t = np.arange(n) * 0.01
    v = 60 + 2 * np.sin(t * 0.3) + rng.uniform(-1, 1, n)  # smooth signal + bounded noise
    planted = np.arange(500, n, 997)
    v[planted] += np.where(np.arange(len(planted)) % 2, 12.0, -12.0)
    idx, z = find_anomalies(v, 0, DEFAULT)
    assert idx.tolist() == planted.tolist()
    assert (np.abs(z) > DEFAULT.threshold).all()
    assert np.sign(z).tolist() == np.sign(v[planted] - 60 - 2 * np.sin(t[planted] * 0.3)).tolist()


@pytest.mark.parametrize("seed", range(5))
def test_clean_noise_gives_no_marks_at_the_default_threshold(seed):
    rng = np.random.default_rng(seed)
    n = 50_000
    t = np.arange(n) * 0.001
    v = 1e6 + 5 * np.sin(t) + rng.uniform(-1, 1, n)
    idx, _ = find_anomalies(v, 0, DEFAULT)
    assert idx.size == 0


def test_gaussian_noise_false_alarms_stay_near_the_theoretical_rate():
    rng = np.random.default_rng(6)
    v = rng.normal(0, 1, 200_000)
    idx, _ = find_anomalies(v, 0, DEFAULT)
    # |z| > 3 is 0.27 % of a normal; a 100-sample baseline makes the tails a little heavier
    assert 0.001 < idx.size / v.size < 0.006


def test_chunked_scoring_equals_one_pass_and_gaps_are_skipped():
    rng = np.random.default_rng(7)
    v = rng.normal(10, 1, 5000)
    v[1234] = 40.0
    v[[10, 2000, 2001, 4000]] = np.nan
    whole = find_anomalies(v, 0, DEFAULT)
    parts = [find_anomalies(v[:b], a, DEFAULT) for a, b in ((0, 1000), (1000, 1234), (1234, 5000))]
    got = np.concatenate([p[0] for p in parts])
    assert got.tolist() == whole[0].tolist() and 1234 in got.tolist()
    assert not np.isin([10, 2000, 2001, 4000], got).any()


def test_a_step_after_a_constant_signal_is_infinitely_odd():
    v = np.r_[np.full(200, 5.0), 6.0, np.full(10, 5.0)]
    idx, z = find_anomalies(v, 0, DEFAULT)
    assert idx.tolist() == [200] and np.isinf(z[0]) and z[0] > 0


def test_anomaly_config_is_validated():
    with pytest.raises(ValueError, match="at least 3"):
        AnomalyConfig(window=2)
    with pytest.raises(ValueError, match="positive"):
        AnomalyConfig(threshold=0)


# ---------------------------------------------------------------- forecast


@pytest.mark.parametrize("degree", [1, 2])
def test_forecast_matches_numpy_polyfit(degree):
    rng = np.random.default_rng(8)
    t = 1.7e9 + np.sort(rng.uniform(0, 20, 400))  # epoch seconds: conditioning matters
    v = 3.0 + 0.5 * (t - t[0]) + 0.01 * (t - t[0]) ** 2 + rng.normal(0, 0.4, len(t))
    cfg = ForecastConfig(samples=300, horizon=4.0, degree=degree, level=0.95, points=9)
    f = fit_forecast(t, v, cfg)
    tt, vv = t[-300:], v[-300:]
    x = tt - tt[0]  # polyfit on raw epoch seconds is ill-conditioned; shift for the reference
    coef, cov = np.polyfit(x, vv, degree, cov=True)
    xf = f.t - tt[0]
    assert f.n == 300
    assert f.t[0] == t[-1] and f.t[-1] == pytest.approx(t[-1] + 4.0)
    assert f.mean == pytest.approx(np.polyval(coef, xf), rel=1e-9)
    resid = vv - np.polyval(coef, x)
    s2 = resid @ resid / (len(x) - degree - 1)
    a = np.vander(xf, degree + 1)
    se = np.sqrt(s2 + np.einsum("ij,jk,ik->i", a, cov, a))  # prediction standard error
    q = t_quantile(0.975, len(x) - degree - 1)
    assert f.hi - f.mean == pytest.approx(q * se, rel=1e-6)
    assert f.mean - f.lo == pytest.approx(q * se, rel=1e-6)
    assert np.all(np.diff(f.hi - f.lo) > 0)  # the band widens with the horizon
    assert f.sigma == pytest.approx(np.sqrt(s2))
    assert f.slope == pytest.approx(np.polyval(np.polyder(coef), x[-1]), rel=1e-9)


def test_t_quantile_is_close_to_the_exact_values():
    exact = {(0.975, 5): 2.5706, (0.975, 10): 2.2281, (0.975, 30): 2.0423, (0.995, 20): 2.8453}
    for (p, dof), want in exact.items():
        assert t_quantile(p, dof) == pytest.approx(want, abs=0.01)


def test_forecast_needs_enough_finite_samples():
    cfg = ForecastConfig()
    assert fit_forecast(np.array([1.0, 2.0]), np.array([1.0, 2.0]), cfg) is None
    assert fit_forecast(np.arange(10.0), np.full(10, np.nan), cfg) is None
    assert fit_forecast(np.full(10, 3.0), np.arange(10.0), cfg) is None  # one instant
    t = np.arange(50.0)
    v = 2 * t
    v[::7] = np.nan
    f = fit_forecast(t, v, ForecastConfig(horizon=2.0, points=3))
    assert f.t[0] == 48  # t = 49 is a gap
    assert f.mean == pytest.approx([96, 98, 100]) and f.slope == pytest.approx(2.0)
    with pytest.raises(ValueError):
        ForecastConfig(horizon=0)


def test_throttle_lets_work_through_a_few_times_a_second():
    now = [0.0]
    th = Throttle(0.25, clock=lambda: now[0])
    passed = 0
    for _ in range(60):  # one second of 60 Hz frames
        passed += th.ready()
        now[0] += 1 / 60
    assert passed == 4
