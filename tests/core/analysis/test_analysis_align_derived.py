"""XY alignment against hand-computed interpolation; derived streams against direct formulas."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.analysis.align import align_xy, value_at
from streamscope.core.analysis.derived import (
    DerivedSpec,
    DerivedStream,
    derivative,
    moving,
)
from streamscope.core.store.store import Store, StoreSettings


def test_linear_alignment_by_hand():
    tx = np.array([0.0, 1.0, 2.0, 3.0])
    vx = np.array([10.0, 11.0, 12.0, 13.0])
    ty = np.array([0.5, 1.0, 1.6, 2.9, 10.0])
    vy = np.array([5.0, 7.0, 4.0, 1.0, 0.0])
    a = align_xy(tx, vx, ty, vy, tolerance=0.6, method="linear", reference="x")
    # t=0: no y sample before → no pair. t=1: exact (7). t=2: between 1.6 (4) and 2.9 (1):
    # 2.9 - 2 = 0.9 > tolerance → no pair. t=3: y after 2.9 is 10.0, far → no pair.
    assert a.t.tolist() == [1.0] and a.y.tolist() == [7.0] and a.x.tolist() == [11.0]
    a = align_xy(tx, vx, ty, vy, tolerance=1.0, method="linear", reference="x")
    w = (2.0 - 1.6) / (2.9 - 1.6)
    assert a.t.tolist() == [1.0, 2.0]
    assert a.y == pytest.approx([7.0, 4.0 + w * (1.0 - 4.0)])


def test_nearest_alignment_by_hand():
    t_other = np.array([0.0, 0.10, 0.25, 0.40])
    v_other = np.array([1.0, 2.0, 3.0, np.nan])
    t_ref = np.array([-0.5, 0.04, 0.06, 0.2, 0.39, 0.9])
    got = value_at(t_ref, t_other, v_other, tolerance=0.08, method="nearest")
    # -0.5 too far; 0.04 → 0.0 (1); 0.06 → 0.10 (2); 0.2 → 0.25 (3); 0.39 → 0.40 (gap); 0.9 far
    assert np.array_equal(got, [np.nan, 1.0, 2.0, 3.0, np.nan, np.nan], equal_nan=True)


def test_auto_reference_is_the_slower_stream_and_output_keeps_x_y_roles():
    t_fast = np.arange(0, 1, 0.01)
    t_slow = np.arange(0, 1, 0.1)
    a = align_xy(t_fast, t_fast * 2, t_slow, -t_slow, tolerance=0.05)
    assert len(a.t) == len(t_slow)
    assert a.x == pytest.approx(a.t * 2) and a.y == pytest.approx(-a.t)
    with pytest.raises(ValueError):
        align_xy(t_fast, t_fast, t_slow, t_slow, tolerance=-1)
    with pytest.raises(ValueError, match="unknown alignment"):
        value_at(t_slow, t_fast, t_fast, 0.1, method="cubic")


def test_derivative_and_moving_statistics():
    t = np.array([0.0, 0.5, 1.0, 1.0, 2.0, 3.0])
    v = np.array([0.0, 1.0, 3.0, 4.0, np.nan, 8.0])
    d = derivative(t, v)
    assert np.array_equal(d, [np.nan, 2.0, 4.0, np.nan, np.nan, np.nan], equal_nan=True)
    assert derivative(t, v, start=2).tolist()[:1] == [4.0]
    m = moving(t, v, 0, 1.0, "mean")  # window (t−1, t]; at t=2 it holds only the gap
    assert np.allclose(m, [0.0, 0.5, 2.0, 8 / 3, np.nan, 8.0], equal_nan=True)
    r = moving(t, v, 0, 1.0, "rms")
    assert np.allclose(r, np.sqrt([0.0, 0.5, 5.0, 26 / 3, np.nan, 64.0]), equal_nan=True)
    t2 = np.array([0.0, 5.0])
    assert np.isnan(moving(t2, np.array([np.nan, np.nan]), 0, 1.0, "mean")).all()


def test_moving_mean_equals_a_direct_window_mean_on_random_data():
    rng = np.random.default_rng(9)
    t = np.cumsum(rng.uniform(0.001, 0.05, 3000))
    v = 1e5 + rng.normal(0, 1, 3000)
    got = moving(t, v, 1500, 0.4, "mean")
    for k, i in enumerate(range(1500, 3000, 250)):
        win = v[(t > t[i] - 0.4) & (t <= t[i])]
        assert got[(i - 1500)] == pytest.approx(win.mean(), rel=1e-12), k


def test_derived_stream_updates_live_and_follows_new_sessions():
    store = Store(StoreSettings(capacity=10_000))
    s1 = store.open_session("Game")
    spec = DerivedSpec("pos", "derivative")
    d = DerivedStream(spec)
    assert spec.name == "pos/derivative" and d.update(store) == 0  # no source yet
    store.append(s1.id, "pos", np.arange(5.0), np.arange(5.0) ** 2)
    assert d.update(store) == 5
    store.append(s1.id, "pos", np.array([5.0, 6.0]), np.array([25.0, 36.0]))
    assert d.update(store) == 2 and d.update(store) == 0
    out = store.find("pos/derivative")
    assert out.session_id == s1.id
    assert np.array_equal(out.ring.v, [np.nan, 1, 3, 5, 7, 9, 11], equal_nan=True)
    s2 = store.open_session("Game")
    store.append(s2.id, "pos", np.array([0.0, 1.0]), np.array([1.0, 3.0]))
    d.update(store)
    assert store.find("pos/derivative").session_id == s2.id
    assert np.array_equal(store.find("pos/derivative").ring.v, [np.nan, 2.0], equal_nan=True)


def test_derived_specs_round_trip_and_validate():
    spec = DerivedSpec("fps", "mean", 0.5)
    assert spec.name == "fps/mean_0.5s"
    assert DerivedSpec.from_dict(spec.to_dict()) == spec
    assert DerivedSpec("fps", "rms").name == "fps/rms_1s"
    with pytest.raises(ValueError):
        DerivedSpec("fps", "median")
    with pytest.raises(ValueError):
        DerivedSpec("fps", "mean", 0)
