"""How one chart draws each frame: the adaptive policy's plan, carried out with pyqtgraph items.

Why apart from the dock: the dock is about user choices and widgets; this is the per-frame
loop of measure → :func:`core.policy.step` → draw raw / decimated (pyramid M4 or MinMaxLTTB) /
aggregated (mean line over a shaded min–max band), at the chart's own, possibly throttled, rate.
All the numbers come from Qt-free core modules; this only moves them into items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from streamscope.core.adaptive.policy import (
    ChartInput,
    ChartPolicy,
    Mode,
    Override,
    Plan,
    PolicySettings,
    explain,
    label,
    should_draw,
)
from streamscope.core.adaptive.rates import RateMeter
from streamscope.core.series import lttb
from streamscope.core.series.m4_cache import M4Cache
from streamscope.core.series.plotdata import Points
from streamscope.core.store.store import Stream


class Decimation(StrEnum):
    MINMAX = "minmax"  # pixel-exact M4 from the pyramid
    LTTB = "lttb"  # MinMaxLTTB: M4, then LTTB down to ~1 point per column


MODE_CHOICES: list[tuple[Override, str]] = [
    (Override.AUTO, "Auto"),
    (Override.RAW, "Raw"),
    (Override.DECIMATE, "Decimate"),
    (Override.AGGREGATE, "Aggregate"),
]
DECIMATION_CHOICES: list[tuple[Decimation, str]] = [
    (Decimation.MINMAX, "Min/max (exact)"),
    (Decimation.LTTB, "MinMaxLTTB"),
]
ANTIALIAS = [bool(pg.getConfigOption("antialias"))]  # the window's choice for new charts
# A chart is blamed only for its own cost (setData + its own paint) when that is at least half
# the budget; one slow frame (a GC pause, a resize) must not throttle it for good: 3 blamed
# frames in a row to step down, back up once its own cost is under 0.4x the faster budget
# (below the 0.5x that blames it, so it cannot flap).
APP_POLICY = {"over_budget_frames": 3, "headroom_ratio": 0.4, "own_share": 0.5}
# Column widths of live decimation come from a ladder of 2**(1/8) steps (~9%): a view that
# grows ("All") keeps its columns, and so its cache, until it is 9% wider.
COLUMN_STEPS_PER_OCTAVE = 8
MAX_BAND_LINES = 17  # 1 px lines per bucket at the most (buckets are ~4 px wide)
BAND_ALPHA = 60  # the min–max band under an aggregated curve: its colour at this alpha


def parse_override(name: str | Override) -> Override:
    """ "auto"/"raw"/"decimate"/"aggregate" (any case) → Override; ValueError otherwise."""
    try:
        return Override(str(getattr(name, "value", name)).strip().lower())
    except ValueError:
        choices = ", ".join(o.value for o, _ in MODE_CHOICES)
        raise ValueError(f"unknown render mode {name!r} (one of: {choices})") from None


@dataclass(eq=False)
class Band:
    """An aggregated curve's min–max band, drawn as one vertical segment per bucket as wide as
    the bucket: it reads as a filled band but costs a line draw. A filled polygon between two
    curves (FillBetweenItem) cost ~3 ms per curve per frame offscreen, more than the
    aggregation saved."""

    fill: pg.PlotCurveItem
    color: QColor
    x: np.ndarray = field(default_factory=lambda: np.empty(0))
    lo: np.ndarray = field(default_factory=lambda: np.empty(0))
    hi: np.ndarray = field(default_factory=lambda: np.empty(0))
    width_px: float = 0.0

    def items(self) -> tuple:
        return (self.fill,)

    def set(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, bucket_px: float) -> None:
        """Show [lo, hi] around each x; ``bucket_px``: a bucket's width on screen.

        Each bucket becomes 1 px vertical lines, one more than it has pixels, so they cover
        it whatever the rounding: a wide pen would go through Qt's stroker (slower than the
        fill it replaces), thin cosmetic lines are the fast path. The colour is opaque (the
        band's colour over the chart background) so lines that land on the same pixel do not
        show as darker stripes."""
        self.x, self.lo, self.hi = x, lo, hi
        n = int(min(np.ceil(max(bucket_px, 1.0)) + 1, MAX_BAND_LINES))
        if self.width_px == 0.0:
            self.fill.setPen(pg.mkPen(self.color, width=1))
        self.width_px = float(n)
        ok = np.isfinite(lo) & np.isfinite(hi)
        xb, lob, hib = x[ok], lo[ok], hi[ok]
        if len(xb) > 1:
            step = float(np.median(np.diff(xb))) / n
            xb = (xb[:, None] + (np.arange(n) - (n - 1) / 2) * step).ravel()
            lob, hib = np.repeat(lob, n), np.repeat(hib, n)
        xs = np.repeat(xb, 2)
        ys = np.column_stack((lob, hib)).ravel()
        self.fill.setData(xs, ys, connect="pairs", skipFiniteCheck=True)


class ChartEngine:
    """One chart's policy state, measurements and drawing."""

    def __init__(self, settings: PolicySettings | None = None) -> None:
        # antialiasing: pyqtgraph's setting (off by default; View menu), dropped when throttled
        self.policy = ChartPolicy(settings or PolicySettings(antialias=ANTIALIAS[0], **APP_POLICY))
        self.override = Override.AUTO
        self.decimation = Decimation.MINMAX
        self.fps_cap = 60.0
        s = self.policy.settings
        self.plan = Plan(Mode.RAW, self.fps_cap, self.fps_cap, s.antialias, False)
        self.note = ""  # why the drawing differs from what was asked (LTTB unavailable)
        self.last_draw: float | None = None  # time.monotonic() of the last redraw
        self.draw_ms: float | None = None  # last measured: this chart's setData + paint
        self.points_in_view = 0  # over all curves, last frame
        self.points_drawn = 0
        self._pending: tuple[float | None, float | None] = (None, None)
        self._rates = RateMeter()
        self._caches: dict[Stream, M4Cache] = {}  # live curves' M4 columns (by identity)

    # ------------------------------------------------------------ measure and plan

    def measured(self, frame_ms: float | None, draw_ms: float | None) -> None:
        """The last frame's cost (whole frame, and this chart's share; None: not drawn).

        The render clock calls it; tests may call it to force throttling deterministically.
        """
        self._pending = (frame_ms, draw_ms)
        if draw_ms is not None:
            self.draw_ms = draw_ms

    def plan_frame(
        self, views: list[tuple[Stream, float, float]], window_s: float, width: int, now: float
    ) -> Plan:
        """Step the policy with the last frame's cost and this frame's volume and rates.

        ``views``: each curve's stream and its visible range in stream time.
        """
        in_view = 0
        rates, updates = [], []
        for stream, t0, t1 in views:
            i0, i1 = stream.ring.range_indices(t0, t1)
            in_view = max(in_view, i1 - i0)
            rates.append(self._rates.rate(stream, stream.ring.total, now))
            updates.append(self._rates.rate((stream, "v"), stream.version, now))
        self._rates.forget({s for s, _, _ in views} | {(s, "v") for s, _, _ in views})
        frame_ms, draw_ms = self._pending
        self._pending = (None, None)
        self.plan = self.policy.step(
            ChartInput(
                frame_ms=frame_ms,
                draw_ms=draw_ms,
                sample_rates=tuple(rates),
                update_rates=tuple(updates),
                points_in_view=in_view,
                window_s=window_s,
                width_px=width,
                override=self.override,
                fps_cap=self.fps_cap,
            )
        )
        return self.plan

    def set_antialias(self, on: bool) -> None:
        """The user's preference; a throttled chart still draws without it."""
        self.policy.settings = replace(self.policy.settings, antialias=on)

    def due(self, now: float, dirty: bool) -> bool:
        """Whether this tick redraws: something changed and the chart's rate allows it."""
        return should_draw(now, self.last_draw, self.plan, dirty)

    def explain(self) -> str:
        return explain(self.plan, self.points_in_view, self.points_drawn)

    def label(self, paused: bool) -> str:
        text = label(self.plan, self.points_in_view, self.points_drawn)
        if self.override is not Override.AUTO:
            text += f" · {self.override.value} (set)"
        if self.note:
            text += f" · {self.note}"
        return f"paused · {text}" if paused else text

    # ------------------------------------------------------------ points

    def points(
        self, stream: Stream, origin: float, t0: float, t1: float, width: int, live: bool = False
    ) -> Points:
        """What ``stream`` shows over [t0, t1] (stream time) under the current plan.
        ``live``: the view follows the newest data, so decimation may fold in only what is new."""
        mode, bucket = self.plan.mode, self.plan.bucket_s
        if mode is Mode.AGGREGATED and bucket:
            return self._aggregated(stream, origin, t0, t1, bucket)
        if mode is Mode.RAW:
            return _raw(stream, origin, t0, t1)
        return self.decimated(stream, origin, t0, t1, width, live)

    def decimated(
        self, stream: Stream, origin: float, t0: float, t1: float, width: int, live: bool = False
    ) -> Points:
        """M4 of ``stream`` over [t0, t1]: for a live view from the curve's column cache (work
        follows the new samples), else from the stream's pyramid (work follows the pixels)."""
        if live:
            i0, i1 = stream.ring.range_indices(t0, t1)
            cache = self._caches.get(stream)
            if cache is None:  # (not setdefault: an M4Cache allocates its row arrays)
                cache = self._caches[stream] = M4Cache()
            w = column_width(t1 - t0, width)
            x, y = cache.query(stream.ring, t0, t1, width, w=w, pyramid=stream.pyramid)
            in_view = i1 - i0
        else:
            pyr = stream.pyramid()
            x, y = pyr.query(stream.ring, t0, t1, width)
            in_view = pyr.last_stats.points_in_view
        self.note = ""
        if self.decimation is Decimation.LTTB:
            if lttb.available():
                x, y = lttb.minmax_lttb(x, y, width)
            else:
                self.note = "MinMaxLTTB unavailable (pip install tsdownsample): min/max"
        return Points(x - origin, y, in_view)

    def keep_caches(self, streams: set[Stream]) -> None:
        """Let go of the column caches of streams no longer drawn live."""
        for gone in self._caches.keys() - streams:
            del self._caches[gone]

    def cache_stats(self) -> list:
        """The last query's figures of each live curve's cache (tests count work with them)."""
        return [cache.last_stats for cache in self._caches.values()]

    def _aggregated(
        self, stream: Stream, origin: float, t0: float, t1: float, bucket: float
    ) -> Points:
        agg = stream.pyramid().aggregate(stream.ring, t0, t1, bucket)
        i0, i1 = stream.ring.range_indices(t0, t1)
        return Points(agg.centers - origin, agg.mean, i1 - i0, agg.min, agg.max)

    # ------------------------------------------------------------ bands

    @staticmethod
    def new_band(plot: pg.PlotItem, color) -> Band:
        c, bg = pg.mkColor(color), pg.mkColor(pg.getConfigOption("background"))
        a = BAND_ALPHA / 255  # the colour at that alpha over the background, made opaque
        rgb = zip(c.getRgb()[:3], bg.getRgb()[:3], strict=True)
        mix = [round(a * x + (1 - a) * y) for x, y in rgb]
        band = Band(pg.PlotCurveItem(antialias=False), QColor(*mix))
        band.fill.setZValue(-2)
        plot.addItem(band.fill)  # in the bounds: auto-range keeps the whole band in view
        return band


def column_width(span: float, width: int) -> float:
    """The live decimation's column width for ``span`` seconds over ``width`` pixels: the
    smallest step of a 2**(1/8) ladder not below span / width (so at most ``width`` columns)."""
    exact = span / max(int(width), 1)
    if not (exact > 0 and math.isfinite(exact)):
        return exact
    steps = math.ceil(math.log2(exact) * COLUMN_STEPS_PER_OCTAVE - 1e-9)
    return 2.0 ** (steps / COLUMN_STEPS_PER_OCTAVE)


def _raw(stream: Stream, origin: float, t0: float, t1: float) -> Points:
    """Every stored sample in view, plus one either side so the line reaches the edges."""
    ring = stream.ring
    i0, i1 = ring.range_indices(t0, t1)
    a, b = max(i0 - 1, 0), min(i1 + 1, len(ring))
    y = ring.v[a:b].copy()
    y[~np.isfinite(y)] = np.nan
    return Points(ring.t[a:b] - origin, y, i1 - i0)
