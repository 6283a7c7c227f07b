"""Rolling z-score anomalies: a sample is an outlier when it lies more than ``threshold``
standard deviations from the mean of the ``window`` samples before it.

The baseline excludes the sample itself, so a spike cannot hide itself by inflating the std.
Window sums come from cumulative sums over a block at a time, each block shifted by its own
mean, which keeps the cancellation error of ``E[x²] − E[x]²`` negligible even on large offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCK = 65_536  # samples scored per cumulative-sum pass


@dataclass(frozen=True, slots=True)
class AnomalyConfig:
    window: int = 100  # samples in the trailing baseline
    threshold: float = 3.0  # |z| above this is an anomaly

    def __post_init__(self) -> None:
        if self.window < 3:
            raise ValueError("the anomaly window needs at least 3 samples")
        if not self.threshold > 0:
            raise ValueError("the anomaly threshold must be positive")

    @property
    def min_count(self) -> int:
        """Finite baseline values needed before a sample is judged."""
        return max(3, self.window // 2)


def rolling_z(v: np.ndarray, start: int, window: int, min_count: int = 3) -> np.ndarray:
    """z of ``v[start:]``, each against the ``window`` values just before it (NaNs skipped).

    NaN where the sample is a gap or its baseline has fewer than ``min_count`` finite values;
    ±inf where the baseline is constant and the sample differs from it.
    """
    out = np.full(len(v) - start, np.nan)
    for b0 in range(start, len(v), BLOCK):
        b1 = min(b0 + BLOCK, len(v))
        out[b0 - start : b1 - start] = _block_z(v, b0, b1, window, min_count)
    return out


def _block_z(v: np.ndarray, b0: int, b1: int, window: int, min_count: int) -> np.ndarray:
    lo = max(0, b0 - window)
    seg = v[lo:b1]
    finite = np.isfinite(seg)
    ref = float(seg[finite].mean()) if finite.any() else 0.0
    x = np.where(finite, seg - ref, 0.0)
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    cn = np.concatenate(([0], np.cumsum(finite)))
    i = np.arange(b0 - lo, b1 - lo)  # positions of the scored samples in seg
    j = np.maximum(i - window, 0)  # baseline is seg[j:i]
    n = cn[i] - cn[j]
    s1 = c1[i] - c1[j]
    s2 = c2[i] - c2[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n
        var = (s2 - s1 * mean) / (n - 1)
        dev = x[i] - mean
        scale = np.maximum(np.abs(mean + ref), 1.0)
        flat = var <= (1e-9 * scale) ** 2  # a constant baseline: any change is infinitely odd
        z = dev / np.sqrt(np.where(flat, 1.0, var))
        z = np.where(flat, np.where(np.abs(dev) <= 1e-9 * scale, 0.0, np.sign(dev) * np.inf), z)
    z[(n < min_count) | ~finite[i]] = np.nan
    return z


def find_anomalies(
    v: np.ndarray, start: int, config: AnomalyConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (into ``v``, all ≥ ``start``) and z of the outliers among ``v[start:]``."""
    z = rolling_z(v, start, config.window, config.min_count)
    with np.errstate(invalid="ignore"):
        hit = np.flatnonzero(np.abs(z) > config.threshold)
    return hit + start, z[hit]
