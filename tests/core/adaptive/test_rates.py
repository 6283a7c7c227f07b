"""Counter rates per key, on an injected clock."""

from __future__ import annotations

from streamscope.core.adaptive.rates import RateMeter


def test_rate_is_measured_over_the_interval() -> None:
    m = RateMeter(interval=0.5)
    assert m.rate("a", 0, 10.0) == 0.0
    assert m.rate("a", 100, 10.2) == 0.0  # too soon: the last rate (none yet)
    assert m.rate("a", 1000, 10.5) == 2000.0
    assert m.rate("a", 1100, 10.6) == 2000.0  # held until the next interval
    assert m.rate("a", 1500, 11.0) == 1000.0


def test_restarted_counter_and_forget() -> None:
    m = RateMeter(interval=0.1)
    m.rate("a", 50, 0.0)
    assert m.rate("a", 100, 1.0) == 50.0
    assert m.rate("a", 5, 2.0) == 0.0  # a new ring behind the same key
    m.rate("b", 1, 0.0)
    m.forget({"b"})
    assert m.rate("a", 10, 3.0) == 0.0
