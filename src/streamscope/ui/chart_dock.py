"""One chart: a dock with curves bound to stream names, a time window, follow/pause, crosshair.

A chart never reads the network and never redraws on its own: the render clock calls
``refresh`` once per frame, and the chart redraws only what changed since the last frame.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QMimeData, QRect, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.adaptive.policy import Override
from streamscope.core.series.plotdata import Points
from streamscope.core.store.store import LIVE, Store, Stream
from streamscope.ui.axes import speed_up
from streamscope.ui.chart_engine import (
    DECIMATION_CHOICES,
    MODE_CHOICES,
    Band,
    ChartEngine,
    Decimation,
    column_width,
    parse_override,
)
from streamscope.ui.dnd import AcceptsStreams, streams_from_mime
from streamscope.ui.grid import CheapGrid
from streamscope.ui.overlay import BADGE_STYLE, OverlayLabel
from streamscope.ui.view_box import KnownBoundsViewBox, keep_bounds_while_scrolling
from streamscope.ui.windows import WINDOWS

PALETTE = [
    "#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8",
    "#fff176", "#4db6ac", "#f06292", "#a1887f", "#90a4ae",
]  # fmt: skip


def curve_key(name: str, source: str = LIVE) -> str:
    """How a chart names a curve (its legend text): the stream name for live data, the name and
    the recording's file name for a recording's stream."""
    return f"{name} ({Path(source).name})" if source else name


@dataclass(eq=False)
class Curve:
    """A curve bound to a stream *name* from one source (live ingest, or an opened recording);
    it follows the newest session of that source that has it."""

    name: str
    item: pg.PlotDataItem
    source: str = LIVE  # "" live; else the recording's path (Session.source)
    stream: Stream | None = None
    ghost: pg.PlotDataItem | None = None  # the previous session's curve, drawn faintly
    ghost_stream: Stream | None = None
    drawn: tuple = ()  # what the last draw showed: (stream id, version, x range, style)
    points_drawn: int = 0
    points_in_view: int = 0
    band: Band | None = None  # the min–max band while the chart is aggregated
    note: str = ""  # shown after the name in the legend: "no data in view", "waiting for data"

    @property
    def key(self) -> str:
        return curve_key(self.name, self.source)


MODE_TIP = (
    "Render mode: Auto picks raw, decimated or aggregated from the data rate, the points in "
    "view and the measured draw time"
)
# Keys that act on the chart holding the focus: (what, key, the toolbar button they toggle).
# While following, the view's right edge moves on with the wall clock between batches (at most
# this many of the source's mean intervals between updates, and never past SCROLL_AHEAD_MAX_S)
# so a chart fed 20 batches/s scrolls at the frame rate instead of jumping 20 times a second.
SCROLL_AHEAD_INTERVALS = 1.5
SCROLL_AHEAD_MAX_S = 0.5
# ...and a curve is set again when its data changed or the view has moved this share of its
# span since (points that left the view are clipped, not drawn, meanwhile).
REDRAW_SCROLL_SHARE = 1 / 16
CHART_SHORTCUTS = (
    ("Follow latest", "F", "follow_btn"),
    ("Pause display", "Space", "pause_btn"),
    ("Ghost of the previous session", "G", "ghost_btn"),
)


class DropPlotWidget(AcceptsStreams, pg.PlotWidget):
    """A plot that accepts streams dragged from the browser."""

    streamsDropped = Signal(QMimeData)
    left = Signal()  # the mouse left the plot: the crosshair and its readout go
    badge: OverlayLabel | None = None  # set in __init__; pyqtgraph resizes the view before that
    readout: OverlayLabel | None = None

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.setAcceptDrops(True)
        self.paint_ms = 0.0  # painting time since the render clock last took it
        # The chart's mode and draw rate, in the plot's top-right corner: in the header it was
        # cut off as soon as a chart was narrower than its buttons.
        self.badge = OverlayLabel(self, "top-right", style=BADGE_STYLE)
        # The crosshair readout, bottom-left over the plot and elided to its width: in the
        # toolbar its text widened the dock and reflowed the window under the mouse.
        self.readout = OverlayLabel(self, "bottom-left", area=self._view_rect)

    def _view_rect(self) -> QRect:
        """The data area (inside the axes), in this widget's coordinates."""
        vb = self.getPlotItem().getViewBox()
        return self.mapFromScene(vb.sceneBoundingRect()).boundingRect()

    def set_badge(self, text: str) -> None:
        self.badge.setText(text)

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        for label in (self.badge, self.readout):
            if label is not None:
                label.place()

    def leaveEvent(self, ev) -> None:
        super().leaveEvent(ev)
        self.left.emit()

    def paintEvent(self, ev) -> None:
        """Timed: painting is most of a chart's real cost, and it happens after setData."""
        start = time.perf_counter()
        super().paintEvent(ev)
        self.paint_ms += (time.perf_counter() - start) * 1000

    def take_paint_ms(self) -> float:
        ms, self.paint_ms = self.paint_ms, 0.0
        return ms


@dataclass
class ChartState:
    """What the user chose for this chart (kept in layouts)."""

    title: str
    window: float | None = 30.0  # seconds shown when following; None = everything stored
    follow: bool = True
    paused: bool = False
    ghost: bool = False  # overlay the previous session of each stream
    streams: list[str] = field(default_factory=list)
    mode: Override = Override.AUTO  # render mode override (Auto lets the policy choose)
    decimation: Decimation = Decimation.MINMAX


class ChartDock(QDockWidget):
    closed = Signal(object)

    def __init__(self, store: Store, title: str, object_name: str, parent=None) -> None:
        super().__init__(title, parent)
        self.setObjectName(object_name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.store = store
        self.state = ChartState(title)
        self.curves: dict[str, Curve] = {}
        self._structure = -1
        self._frozen_at: float | None = None
        self.x_lead = 0.0  # seconds of future kept in view while following (forecast overlays)
        self.recording = ""  # the recording this chart was made for ("Chart this recording")
        self.engine = ChartEngine()
        self._edge: tuple[float, float, float, float] | None = None  # see _live_edge
        self._shown_x: tuple[float, float] | None = None  # the x range last set while following
        # Seconds each live session's axis is moved right so that sessions line up on the wall
        # clock (see _bind); set per structure change, used where x = t - origin anyway.
        self._shifts: dict[str, float] = {}
        self._build()

    # ------------------------------------------------------------ widgets

    def _build(self) -> None:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        self.window_box = QComboBox()
        for label, _ in WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(1)
        self.window_box.setToolTip("Time window shown while following the latest data")
        self.window_box.currentIndexChanged.connect(self._window_changed)
        self.follow_btn = self._toggle("Follow", "Keep the newest data in view (F)", True)
        self.follow_btn.toggled.connect(self.set_follow)
        self.pause_btn = self._toggle("Pause", "Freeze the display; data keeps arriving (Space)")
        self.pause_btn.toggled.connect(self.set_paused)
        self.ghost_btn = self._toggle(
            "Ghost", "Overlay the previous play session faintly, on session time (G)"
        )
        self.ghost_btn.toggled.connect(self.set_ghost)
        self.fit_btn = QToolButton()
        self.fit_btn.setText("Fit")
        self.fit_btn.setToolTip(
            "Back to the live view: follow the newest data, values fitted (double-click the "
            "chart does the same). Wheel zooms time; Ctrl+wheel zooms values"
        )
        self.fit_btn.clicked.connect(self.fit_view)
        self.mode_box = QComboBox()
        for _, text in MODE_CHOICES:
            self.mode_box.addItem(text)
        self.mode_box.setToolTip(MODE_TIP)
        self.mode_box.installEventFilter(self)  # its tooltip says what is drawn now: eventFilter
        self.mode_box.currentIndexChanged.connect(lambda i: self.set_mode(MODE_CHOICES[i][0]))
        for w in (self.window_box, self.follow_btn, self.pause_btn, self.ghost_btn, self.fit_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.mode_box)
        lay.addLayout(bar)

        self.view = KnownBoundsViewBox()
        self.plot = DropPlotWidget(viewBox=self.view)
        for side in ("bottom", "left", "top", "right"):  # hidden ones follow the view too
            speed_up(self.plot.getPlotItem().getAxis(side))
        self.mode_label = self.plot.badge  # a child of the plot: it never widens the chart
        self.readout = self.plot.readout  # likewise
        self.plot.left.connect(self.clear_crosshair)
        self.plot.streamsDropped.connect(self.handle_drop)
        item = self.plot.getPlotItem()
        self.grid = CheapGrid(item)  # not showGrid: its alpha-blended axis grid cost ~5x more
        item.setLabel("bottom", "time since session start", units="s")
        item.setClipToView(False)
        # a dimmed backing keeps the names readable where a curve passes under the legend
        self.legend = item.addLegend(offset=(8, 8), brush=pg.mkBrush(0, 0, 0, 170))
        vb = item.getViewBox()
        vb.setAutoVisible(y=True)
        vb.enableAutoRange(axis="y")
        vb.sigRangeChangedManually.connect(self._user_moved_view)
        self.view.fitRequested.connect(self.fit_view)
        item.hideButtons()  # the tiny "A": the toolbar's Fit and a double-click replace it
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
        self.cursor.setVisible(False)
        item.addItem(self.cursor, ignoreBounds=True)
        self._mouse = pg.SignalProxy(
            self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved
        )
        lay.addWidget(self.plot, 1)
        self.setWidget(body)
        self._build_menu(vb.menu)

        for text, key, button in CHART_SHORTCUTS:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(getattr(self, button).toggle)
            self.addAction(act)

    def _build_menu(self, menu) -> None:
        """Render mode and decimation method in the chart's right-click menu."""
        menu.addSeparator()
        self.mode_actions: dict[Override, QAction] = {}
        self.decimation_actions: dict[Decimation, QAction] = {}
        for title, choices, actions, setter in (
            ("Render mode", MODE_CHOICES, self.mode_actions, self.set_mode),
            ("Decimation", DECIMATION_CHOICES, self.decimation_actions, self.set_decimation),
        ):
            sub = menu.addMenu(title)
            group = QActionGroup(sub)
            for value, text in choices:
                act = QAction(text, sub, checkable=True)
                act.triggered.connect(lambda _=False, v=value, f=setter: f(v))
                group.addAction(act)
                sub.addAction(act)
                actions[value] = act
        self.mode_actions[Override.AUTO].setChecked(True)
        self.decimation_actions[Decimation.MINMAX].setChecked(True)

    def _toggle(self, text: str, tip: str, checked: bool = False) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setToolTip(tip)
        b.setCheckable(True)
        b.setChecked(checked)
        return b

    # ------------------------------------------------------------ curves

    def add_stream(self, name: str, source: str = LIVE) -> bool:
        """Add a curve for stream ``name`` of ``source`` (live, or a recording's path); no-op
        if present. It shows once data arrives."""
        key = curve_key(name, source)
        if key in self.curves:
            return False
        color = PALETTE[len(self.curves) % len(PALETTE)]
        item = pg.PlotDataItem([], [], pen=pg.mkPen(color, width=1), name=key)
        keep_bounds_while_scrolling(item.curve, self.view)  # before the view connects to it
        self.plot.addItem(item)
        self.curves[key] = Curve(name, item, source)
        if not source:  # a recording's curves are not kept in layouts: the file may be gone
            self.state.streams.append(name)
        self._structure = -1
        return True

    def remove_stream(self, key: str) -> None:
        """Remove the curve ``key`` (see ``curve_key``: the stream name for live data)."""
        curve = self.curves.pop(key, None)
        if curve is not None:
            self._drop_ghost(curve)
            self._draw_band(curve, Points(np.empty(0), np.empty(0), 0))  # removes a band
            self.plot.removeItem(curve.item)
            self.view.forget(curve.item)
            self.legend.removeItem(curve.item)
            if not curve.source:
                self.state.streams.remove(curve.name)

    def remove_source(self, source: str) -> int:
        """Remove every curve of recording ``source``; returns how many."""
        gone = [k for k, c in self.curves.items() if c.source == source]
        for key in gone:
            self.remove_stream(key)
        return len(gone)

    def handle_drop(self, mime: QMimeData) -> int:
        """Add the streams a drop carries (the path a mouse drop takes); return how many.
        A stream dragged from a recording stays bound to that recording."""
        return sum(
            self.add_stream(name, source_of(self.store, sid))
            for sid, name in streams_from_mime(mime)
        )

    # ------------------------------------------------------------ user choices

    def _window_changed(self, index: int) -> None:
        self.state.window = WINDOWS[index][1]
        self.set_follow(True)

    def set_follow(self, on: bool) -> None:
        self.state.follow = on
        if self.follow_btn.isChecked() != on:
            self.follow_btn.setChecked(on)
        self._invalidate()

    def fit_view(self) -> None:
        """The live view back: following, values fitted to what is in view."""
        vb = self.plot.getPlotItem().getViewBox()
        vb.enableAutoRange(axis="y")
        vb.setAutoVisible(y=True)
        if self.state.paused:
            self.set_paused(False)
        self.set_follow(True)

    def set_paused(self, on: bool) -> None:
        self.state.paused = on
        self._frozen_at = self._latest() if on else None
        if self.pause_btn.isChecked() != on:
            self.pause_btn.setChecked(on)
        self._invalidate()

    def set_ghost(self, on: bool) -> None:
        self.state.ghost = on
        if self.ghost_btn.isChecked() != on:
            self.ghost_btn.setChecked(on)
        if not on:
            for c in self.curves.values():
                self._drop_ghost(c)
        self._structure = -1  # rebind: find each stream's previous session
        self._invalidate()

    def _drop_ghost(self, c: Curve) -> None:
        if c.ghost is not None:
            self.plot.removeItem(c.ghost)
            self.view.forget(c.ghost)
        c.ghost, c.ghost_stream = None, None

    def set_mode(self, name: str | Override) -> None:
        """Render mode override: "auto", "raw", "decimate" or "aggregate" (ValueError else)."""
        mode = parse_override(name)
        self.state.mode = self.engine.override = mode
        index = [o for o, _ in MODE_CHOICES].index(mode)
        if self.mode_box.currentIndex() != index:
            self.mode_box.setCurrentIndex(index)
        self.mode_actions[mode].setChecked(True)
        self._invalidate()

    def set_decimation(self, name: str | Decimation) -> None:
        """Decimation method: "minmax" (exact M4, default) or "lttb" (MinMaxLTTB)."""
        method = Decimation(str(getattr(name, "value", name)).lower())
        self.state.decimation = self.engine.decimation = method
        self.decimation_actions[method].setChecked(True)
        self._invalidate()

    def _user_moved_view(self, *_) -> None:
        if self.state.follow:
            self.set_follow(False)

    def _invalidate(self) -> None:
        for c in self.curves.values():
            c.drawn = ()
        self.engine.last_draw = None  # a user's change shows at once, even when throttled

    # ------------------------------------------------------------ drawing

    def _bind(self) -> None:
        """Point every curve at the newest session holding its stream name."""
        if self._structure == self.store.structure_version:
            return
        self._structure = self.store.structure_version
        for c in self.curves.values():
            c.stream = self.store.find(c.name, source=c.source)
            self._note(c, "" if c.stream is not None else "waiting for data")
            c.ghost_stream = None
            if self.state.ghost and c.stream is not None:
                c.ghost_stream = self.store.previous(c.stream)
                if c.ghost_stream is not None and c.ghost is None:
                    color = pg.mkColor(c.item.opts["pen"].color())
                    color.setAlpha(90)
                    c.ghost = pg.PlotDataItem(
                        pen=pg.mkPen(color, width=1),
                        name=f"{c.key}: previous session, aligned at its start",
                    )
                    keep_bounds_while_scrolling(c.ghost.curve, self.view)  # before adding it
                    c.ghost.setZValue(-1)
                    self.plot.getPlotItem().addItem(c.ghost)
            if c.ghost is not None and c.ghost_stream is None:
                self._drop_ghost(c)
        self._align_sessions()

    def _align_sessions(self) -> None:
        """One clock per chart: each live session's 0 is placed at its wall-clock start, as
        far right of the earliest session's as it began after it, so samples that arrived
        together are drawn together. A recording's sessions (no wall clock) start at 0: at
        the start of the earliest live one. Alone, a session keeps its own axis."""
        walls = {}
        for c in self.curves.values():
            session = self.store.sessions.get(c.stream.session_id) if c.stream else None
            if session is not None and session.wall_zero is not None:
                walls[session.id] = session.wall_zero
        first = min(walls.values(), default=0.0)
        self._shifts = {sid: wall - first for sid, wall in walls.items()}
        label = (
            "time since the first session's start, sessions aligned on the wall clock"
            if len(walls) > 1
            else "time since session start"
        )
        axis = self.plot.getPlotItem().getAxis("bottom")
        if axis.labelText != label:
            axis.setLabel(label, units="s")

    def _origin(self, stream: Stream) -> float:
        """The stream time drawn at x = 0: its session's origin, moved by its session's shift
        (see _align_sessions)."""
        session = self.store.sessions.get(stream.session_id)
        if session is None:
            return 0.0
        return (session.origin or 0.0) - self._shifts.get(session.id, 0.0)

    def _note(self, c: Curve, note: str) -> None:
        """Mark ``c`` in the legend ("no data in view"); written only when it changes."""
        if note == c.note:
            return
        c.note = note
        label = self.legend.getLabel(c.item)
        if label is not None:
            color = "#888" if note else self.legend.opts["labelTextColor"] or "#ddd"
            label.setText(f"{c.key} — {note}" if note else c.key, color=color)

    def _latest(self) -> float | None:
        ends = [
            s.ring.last_t - self._origin(s)
            for c in self.curves.values()
            if (s := c.stream) is not None and len(s.ring)
        ]
        return max(ends) if ends else None

    def _live_edge(self, latest: float, now: float) -> float:
        """The right edge of a following view: the newest sample's time, moved on with the wall
        clock since it arrived, by at most ~1.5 of the source's update intervals, and never
        back (unless the data itself went back: a new session)."""
        edge, data_t, seen_at, interval = self._edge or (latest, latest, now, 0.0)
        if latest != data_t:  # new data: learn how often it comes
            gap = now - seen_at
            interval = gap if interval == 0.0 else 0.8 * interval + 0.2 * min(gap, 1.0)
            data_t, seen_at = latest, now
        ahead = min(SCROLL_AHEAD_INTERVALS * interval, SCROLL_AHEAD_MAX_S)
        moved = latest + min(now - seen_at, ahead)
        edge = moved if edge > latest + ahead or moved > edge else edge
        self._edge = (edge, data_t, seen_at, interval)
        return edge

    def _x_range(self, now: float | None = None) -> tuple[float, float] | None:
        """Session-relative time range to draw this frame."""
        latest = self._frozen_at if self.state.paused else self._latest()
        if latest is None:
            return None
        if self.state.follow and not self.state.paused and now is not None:
            latest = self._live_edge(latest, now)
        if self.state.follow:
            starts = [
                s.ring.t[0] - self._origin(s)
                for c in self.curves.values()
                if (s := c.stream) is not None and len(s.ring)
            ]
            if self.state.window is None:
                return min(starts), max(latest, min(starts) + 1e-9)
            if latest + self.x_lead < self.state.window and min(starts, default=0.0) >= 0:
                # a young session fills the window from its start, left to right, instead of
                # sitting at the right edge of mostly empty time before it (refresh adds x_lead)
                return 0.0, self.state.window - self.x_lead
            return latest - self.state.window, latest
        x0, x1 = self.plot.getPlotItem().getViewBox().viewRange()[0]
        return x0, min(x1, latest) if self.state.paused else x1

    def refresh(self, now: float | None = None) -> bool:
        """Redraw curves whose data, view or plan changed, if the chart's rate allows it this
        tick (``now``: time.monotonic()). Returns True if anything was drawn.

        While following, the x range moves every frame (see ``_live_edge``) but a curve is set
        again only when its data changed or the view moved a sixteenth of its span: between,
        the points already set are still right, only the view over them moved."""
        now = time.monotonic() if now is None else now
        self._bind()
        xr = self._x_range(now)
        if xr is None:
            return False
        width = max(100, int(self.view.width()))
        live = [(c, s, self._origin(s)) for c in self.curves.values() if (s := c.stream)]
        views = [(s, xr[0] + o, xr[1] + o) for _, s, o in live]
        plan = self.engine.plan_frame(views, xr[1] - xr[0], width, now)
        style = (plan.mode, plan.bucket_s, plan.antialias, self.engine.decimation)
        following = self.state.follow and not self.state.paused
        span = xr[1] - xr[0]
        if following and span > 0:
            where = (math.floor(xr[0] / (span * REDRAW_SCROLL_SHARE)), column_width(span, width))
        else:
            where = xr
        keys = {}
        for c, s, _ in live:
            g = c.ghost_stream
            key = (
                id(s),
                s.version if not self.state.paused else -1,
                (id(g), g.version) if g is not None else None,
                where,
                width,
                style,
            )
            if key != c.drawn:
                keys[c.key] = key
        moved = following and xr != self._shown_x
        if not self.engine.due(now, bool(keys) or moved):
            self._update_mode_label()
            return False
        for c, s, origin in live:
            if c.key not in keys:
                continue
            pts = self._draw(c, s, origin, xr, width, following)
            g = c.ghost_stream
            if g is not None and c.ghost is not None:
                # the ghost starts where the curve's own session starts: aligned at session
                # start by design (a previous Play ran at another time of day)
                o = self._origin(g) - self._shifts.get(s.session_id, 0.0)
                ghost = self.engine.decimated(g, o, xr[0] + o, xr[1] + o, width)
                c.ghost.setData(ghost.x, ghost.y, connect="finite", antialias=plan.antialias)
                self.view.set_bounds(c.ghost, _bounds(ghost, xr))
            c.drawn = keys[c.key]
            c.points_drawn, c.points_in_view = len(pts.x), pts.in_view
            self._note(c, "" if pts.in_view else "no data in view")
        self.engine.keep_caches({s for _, s, _ in live} if following else set())
        self.engine.last_draw = now
        if self.state.follow:
            self.plot.getPlotItem().setXRange(xr[0], xr[1] + self.x_lead, padding=0)
            self._shown_x = xr
        # Settle the y auto-range now: pyqtgraph defers it to the start of the paint, where a
        # range change schedules a second paint of the whole plot (one paint a frame, not two:
        # frames 22 -> 17 ms p50 with 8 curves, `streamscope bench --only render`).
        self.plot.scene().prepareForPaint()
        self._update_mode_label()
        return True

    def _draw(
        self,
        c: Curve,
        s: Stream,
        origin: float,
        xr: tuple[float, float],
        width: int,
        live: bool = False,
    ) -> Points:
        """Fill ``c``'s items with what ``s`` shows over session-relative range ``xr``."""
        plan = self.engine.plan
        pts = self.engine.points(s, origin, xr[0] + origin, xr[1] + origin, width, live)
        if self.state.paused and self._frozen_at is not None:
            pts = pts.clip_to(self._frozen_at)  # what arrived after the pause stays hidden
        finite = bool(np.isfinite(pts.y).all())
        c.item.setData(
            pts.x,
            pts.y,
            connect="all" if finite else "finite",
            skipFiniteCheck=finite,
            antialias=plan.antialias,
        )
        self.view.set_bounds(c.item, _bounds(pts, xr))
        self._draw_band(c, pts)
        return pts

    def _draw_band(self, c: Curve, pts: Points) -> None:
        if pts.lo is None or pts.hi is None:
            if c.band is not None:
                for item in c.band.items():
                    self.plot.removeItem(item)
                c.band = None
            return
        if c.band is None:
            c.band = self.engine.new_band(self.plot.getPlotItem(), c.item.opts["pen"].color())
        vb = self.plot.getPlotItem().getViewBox()
        x0, x1 = vb.viewRange()[0]
        bucket = self.engine.plan.bucket_s or 0.0
        c.band.set(pts.x, pts.lo, pts.hi, vb.width() * bucket / max(x1 - x0, 1e-12))

    def _update_mode_label(self) -> None:
        shown = sum(c.points_in_view for c in self.curves.values())
        drawn = sum(c.points_drawn for c in self.curves.values())
        self.engine.points_in_view, self.engine.points_drawn = shown, drawn
        text = self.engine.label(self.state.paused)
        if text != self.mode_label.text():
            self.plot.set_badge(text)

    def report(self) -> dict:
        """What this chart draws now (for get_stats and tests)."""
        plan = self.engine.plan
        return {
            "title": self.state.title,
            "mode": plan.mode.value,
            "override": self.state.mode.value,
            "throttled": plan.throttled,
            "points_in_view": sum(c.points_in_view for c in self.curves.values()),
            "points_drawn": sum(c.points_drawn for c in self.curves.values()),
            "fps": plan.target_fps,
            "label": self.mode_label.text(),
        }

    # ------------------------------------------------------------ crosshair

    def _mouse_moved(self, args) -> None:
        pos = args[0]
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            self.clear_crosshair()
            return
        x = vb.mapSceneToView(pos).x()
        self.cursor.setPos(x)
        self.cursor.setVisible(True)
        self.readout.setText(self.values_at(x))

    def clear_crosshair(self) -> None:
        self.cursor.setVisible(False)
        self.readout.setText("")

    def values_at(self, x: float) -> str:
        """Readout text: each curve's last sample at or before session-relative time ``x``."""
        parts = [f"t = {x:.3f} s"]
        for c in self.curves.values():
            s = c.stream
            if s is None or not len(s.ring):
                continue
            i = int(np.searchsorted(s.ring.t, x + self._origin(s), "right")) - 1
            if i >= 0:
                parts.append(f"{c.key} {_fmt(float(s.ring.v[i]))}")
        return "   ".join(parts)

    def eventFilter(self, obj, ev) -> bool:
        """The mode selector's tooltip explains the current plan; written when asked for, not
        on every frame whose label changed."""
        if obj is self.mode_box and ev.type() == QEvent.Type.ToolTip:
            self.mode_box.setToolTip(f"{MODE_TIP}\n\nNow: {self.engine.explain()}")
        return super().eventFilter(obj, ev)

    def closeEvent(self, ev) -> None:
        self.closed.emit(self)
        super().closeEvent(ev)


def _bounds(pts: Points, xr: tuple[float, float]) -> tuple[float, float, float, float] | None:
    """x and y bounds of what ``pts`` draws inside ``xr`` (the y axis ranges on what is in view,
    as pyqtgraph's auto-range with auto-visible y does), band edges included."""
    if not len(pts.x):
        return None
    inside = (pts.x >= xr[0]) & (pts.x <= xr[1])
    ys = [a[inside] for a in (pts.y, pts.lo, pts.hi) if a is not None]
    y = np.concatenate(ys) if len(ys) > 1 else ys[0]
    y = y[np.isfinite(y)]
    if not len(y):
        return None
    return float(pts.x[0]), float(pts.x[-1]), float(y.min()), float(y.max())


def source_of(store: Store, session_id: str) -> str:
    """The source of a dragged stream's session ("" live, or a recording's path)."""
    session = store.sessions.get(session_id)
    return session.source if session is not None else LIVE


def _fmt(v: float) -> str:
    return "gap" if math.isnan(v) else f"{v:.6g}"
