"""Trend forecast: a least-squares polynomial (a line by default) fitted to the last samples,
extended ``horizon`` seconds ahead with a prediction band.

The band is the ordinary-least-squares prediction interval, ``ŷ ± t·s·√(1 + a·(AᵀA)⁻¹·aᵀ)``:
it widens with the distance from the fitted data, which is the honest picture of how far a
trend can be trusted. Time is centred on the last sample and scaled by the fitted span before
fitting, so epoch-second timestamps do not ruin the conditioning.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


@dataclass(frozen=True, slots=True)
class ForecastConfig:
    samples: int = 200  # fitted on the last this-many samples
    horizon: float = 5.0  # seconds ahead
    degree: int = 1  # 1 = linear trend
    level: float = 0.95  # coverage of the band
    points: int = 40  # points drawn along the horizon

    def __post_init__(self) -> None:
        if self.degree < 0 or self.degree > 3:
            raise ValueError("forecast degree must be 0..3")
        if self.samples < self.degree + 2:
            raise ValueError(
                f"a degree-{self.degree} forecast needs at least {self.degree + 2} samples"
            )
        if not self.horizon > 0:
            raise ValueError("forecast horizon must be positive")
        if not 0 < self.level < 1:
            raise ValueError("forecast level must be between 0 and 1")


@dataclass(slots=True)
class Forecast:
    t: np.ndarray  # times from the last fitted sample to horizon ahead
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sigma: float  # residual standard deviation of the fit
    slope: float  # d(value)/dt at the last fitted sample
    n: int  # samples fitted


def t_quantile(p: float, dof: float) -> float:
    """Student-t quantile by the Cornish–Fisher expansion (|error| < 0.01 for dof ≥ 3)."""
    z = NormalDist().inv_cdf(p)
    if not math.isfinite(dof):
        return z
    z3, z5, z7 = z**3, z**5, z**7
    return (
        z
        + (z3 + z) / (4 * dof)
        + (5 * z5 + 16 * z3 + 3 * z) / (96 * dof**2)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * dof**3)
    )


def fit_forecast(
    t: np.ndarray, v: np.ndarray, config: ForecastConfig = ForecastConfig()
) -> Forecast | None:
    """Fit the last ``config.samples`` finite samples of (t, v); None if too few to fit."""
    keep = np.isfinite(v) & np.isfinite(t)
    t, v = t[keep][-config.samples :], v[keep][-config.samples :]
    p = config.degree + 1
    n = len(t)
    if n < p + 1:
        return None
    t_end = float(t[-1])
    scale = float(t[-1] - t[0]) or 1.0
    u = (t - t_end) / scale
    a = np.vander(u, p)
    q, r = np.linalg.qr(a)
    if np.min(np.abs(np.diag(r))) < 1e-12 * np.max(np.abs(np.diag(r))):
        return None  # all samples at (nearly) one time: no trend to speak of
    beta = np.linalg.solve(r, q.T @ v)
    resid = v - a @ beta
    s2 = float(resid @ resid) / (n - p)
    tf = t_end + np.linspace(0.0, config.horizon, config.points)
    af = np.vander((tf - t_end) / scale, p)
    mean = af @ beta
    w = np.linalg.solve(r.T, af.T)  # R⁻ᵀ aᵀ: its squared column norms are a(AᵀA)⁻¹aᵀ
    half = t_quantile(0.5 + config.level / 2, n - p) * np.sqrt(s2 * (1.0 + (w * w).sum(0)))
    slope = float(beta[-2]) / scale if p >= 2 else 0.0
    return Forecast(tf, mean, mean - half, mean + half, math.sqrt(s2), slope, n)


class Throttle:
    """Lets work through at most once per ``interval`` seconds (forecasts are recomputed a few
    times a second, not on every frame)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next = -math.inf

    def ready(self) -> bool:
        now = self._clock()
        if now < self._next:
            return False
        self._next = now + self.interval
        return True

    def reset(self) -> None:
        self._next = -math.inf
