"""Stores with known contents, and comparing what comes back with what went in."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from streamscope.core.store.store import Store


def arr(*x: float) -> np.ndarray:
    """A float64 array of the arguments."""
    return np.array(x, dtype=float)


def bits(a) -> np.ndarray:
    """Floats as their bit patterns, to compare bit for bit (NaN gaps, -0.0 included)."""
    return np.ascontiguousarray(a, np.float64).view(np.int64)


def same(a, b) -> bool:
    """Equal bit for bit."""
    return np.array_equal(bits(a), bits(b))


def game_store(
    streams: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
    session_id: str | None = "g1",
) -> Store:
    """A store with one session of product "Game" holding ``streams`` (name -> (t, v))."""
    store = Store()
    session = store.open_session("Game", session_id)
    for name, (t, v) in (streams or {}).items():
        store.append(session.id, name, t, v)
    return store


def drawn(chart, name: str) -> tuple[np.ndarray, np.ndarray]:
    """What one curve of a chart dock last drew, as arrays."""
    x, y = chart.curves[name].item.getData()
    return np.asarray(x), np.asarray(y)
