"""Derived streams: derivative, moving average and moving RMS of a stream, kept as new streams
in the store (``fps/derivative``, ``fps/mean_1s``, ``fps/rms_1s``) in the source's session.

They are ordinary streams, so charts, tiles, recordings and ``list_streams`` see them like any
other. ``DerivedStream.update`` computes only the samples that arrived since the last call,
using the trailing context still in the source's ring; it is called from the render clock,
never from ingest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from streamscope.core.store.store import LIVE, Store, StoreError, Stream

Kind = Literal["derivative", "mean", "rms"]
KINDS: dict[str, str] = {
    "derivative": "Derivative (per second)",
    "mean": "Moving average",
    "rms": "Moving RMS",
}


def derivative(t: np.ndarray, v: np.ndarray, start: int = 0) -> np.ndarray:
    """dv/dt of samples ``start..`` against the sample before each (NaN for the first sample,
    across gaps and where time did not advance)."""
    out = np.full(len(t) - start, np.nan)
    s = max(start, 1)
    if s >= len(t):
        return out
    dt = t[s:] - t[s - 1 : -1]
    dv = v[s:] - v[s - 1 : -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[s - start :] = np.where(dt > 0, dv / dt, np.nan)
    return out


def moving(t: np.ndarray, v: np.ndarray, start: int, window: float, kind: Kind) -> np.ndarray:
    """Trailing moving mean or RMS over ``(t_i − window, t_i]`` for samples ``start..``.

    Gaps are skipped; a window with no finite value gives NaN (a gap in the result).
    """
    if kind not in ("mean", "rms"):
        raise ValueError(f"unknown moving statistic {kind!r}")
    if start >= len(t):
        return np.empty(0)
    lo = int(np.searchsorted(t, t[start] - window, "right"))
    seg_t, seg_v = t[lo:], v[lo:]
    finite = np.isfinite(seg_v)
    ref = float(seg_v[finite].mean()) if kind == "mean" and finite.any() else 0.0
    x = np.where(finite, seg_v - ref, 0.0)
    if kind == "rms":
        x = x * x
    c = np.concatenate(([0.0], np.cumsum(x)))
    cn = np.concatenate(([0], np.cumsum(finite)))
    i = np.arange(start - lo, len(seg_t)) + 1  # window ends (exclusive) in c
    j = np.searchsorted(seg_t, seg_t[i - 1] - window, "right")
    n = cn[i] - cn[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: np.ndarray = (c[i] - c[j]) / n
    return mean + ref if kind == "mean" else np.sqrt(mean)


@dataclass(frozen=True, slots=True)
class DerivedSpec:
    source: str  # stream name (follows the newest session that has it)
    kind: Kind
    window: float = 1.0  # seconds, for mean and rms

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown derived stream kind {self.kind!r}")
        if self.kind != "derivative" and not self.window > 0:
            raise ValueError("the moving window must be positive")

    @property
    def name(self) -> str:
        if self.kind == "derivative":
            return f"{self.source}/derivative"
        return f"{self.source}/{self.kind}_{self.window:g}s"

    @property
    def label(self) -> str:
        if self.kind == "derivative":
            return f"derivative of {self.source}"
        return f"{KINDS[self.kind].lower()} of {self.source} over {self.window:g} s"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "window": self.window}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DerivedSpec:
        return cls(str(d["source"]), d["kind"], float(d.get("window", 1.0)))


class DerivedStream:
    """Keeps one derived stream current with its source."""

    def __init__(self, spec: DerivedSpec) -> None:
        self.spec = spec
        self.source: Stream | None = None
        self.seen = 0  # source samples (absolute count) already derived
        self.error = ""

    def update(self, store: Store) -> int:
        """Derive what arrived since the last call; return how many samples were written."""
        src = store.find(self.spec.source, source=LIVE)
        if src is None or src.name == self.spec.name:
            return 0
        if src is not self.source:
            self.source, self.seen = src, 0  # a new session: derive its whole history
        ring = src.ring
        new = ring.total - self.seen
        if new <= 0:
            return 0
        start = max(0, len(ring) - new)
        t, v = ring.t, ring.v
        if self.spec.kind == "derivative":
            out = derivative(t, v, start)
        else:
            out = moving(t, v, start, self.spec.window, self.spec.kind)
        self.seen = ring.total
        try:
            store.append(src.session_id, self.spec.name, t[start:].copy(), out)
        except StoreError as e:
            self.error = str(e)
            return 0
        self.error = ""
        return len(out)
