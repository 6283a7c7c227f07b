"""XY chart: one stream against another (player_position_x vs player_position_z), paired by
timestamp, drawn as a trajectory over the chosen window with the newest point highlighted.
Drop one stream to set X, a second to set Y (or two at once). Redrawn by the render clock.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.analysis.align import METHODS, align_xy
from streamscope.core.store.store import LIVE, Store
from streamscope.ui.dnd import AcceptsStreams, streams_from_mime
from streamscope.ui.grid import CheapGrid
from streamscope.ui.windows import WINDOWS

XY_WINDOWS: list[tuple[str, float | None]] = [("5 s", 5.0), *WINDOWS]  # trails can be short
MAX_POINTS = 20_000  # beyond this the trajectory is thinned evenly
TRAIL = "#4fc3f7"
HEAD = "#ffeb3b"


class _DropPlot(AcceptsStreams, pg.PlotWidget):
    streamsDropped = Signal(QMimeData)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)


class XYDock(QDockWidget):
    closed = Signal(object)

    def __init__(
        self, store: Store, object_name: str, x: str = "", y: str = "", parent=None
    ) -> None:
        super().__init__("XY chart", parent)
        self.setObjectName(object_name)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.store = store
        self._structure = -1
        self._drawn: tuple = ()
        self.points = 0  # pairs drawn by the last refresh

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        bar = QHBoxLayout()
        self.x_box = self._stream_box("Stream on the horizontal axis")
        self.y_box = self._stream_box("Stream on the vertical axis")
        self.window_box = QComboBox()
        for label, _ in XY_WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(2)
        self.window_box.setToolTip("How much of the recent trajectory to show")
        self.method_box = QComboBox()
        self.method_box.addItems(list(METHODS))
        self.method_box.setToolTip(
            "How samples are paired by time: linear interpolates the other stream between its "
            "samples, nearest takes its closest sample"
        )
        self.tolerance = QDoubleSpinBox()
        self.tolerance.setRange(0.0, 60.0)
        self.tolerance.setDecimals(3)
        self.tolerance.setSingleStep(0.05)
        self.tolerance.setValue(0.1)
        self.tolerance.setSuffix(" s")
        self.tolerance.setToolTip("Samples further apart in time than this are not paired")
        self.equal = QCheckBox("1:1")
        self.equal.setToolTip("Same scale on both axes (for positions)")
        self.equal.setChecked(True)
        self.equal.toggled.connect(self._aspect)
        for w in (QLabel("X"), self.x_box, QLabel("Y"), self.y_box):
            bar.addWidget(w, 1 if isinstance(w, QComboBox) else 0)
        options = QHBoxLayout()  # a second row keeps the dock narrow enough to sit beside a chart
        for w in (self.window_box, self.method_box, self.tolerance, self.equal):
            options.addWidget(w)
        for box in (self.window_box, self.method_box):
            box.currentIndexChanged.connect(self._invalidate)
        self.tolerance.valueChanged.connect(self._invalidate)
        self.status = QLabel("")
        self.status.setStyleSheet("color: gray")
        options.addWidget(self.status, 1)
        lay.addLayout(bar)
        lay.addLayout(options)

        self.plot = _DropPlot()
        self.plot.streamsDropped.connect(self.handle_drop)
        item = self.plot.getPlotItem()
        self.grid = CheapGrid(item)  # as the charts: pyqtgraph's grid repaints both axes
        # Axes that only ever widen: with the 1:1 aspect lock, a tick label that changes an
        # axis's width changes the view's, hence the range, hence the labels again; allowed to
        # shrink back, that loop repainted the plot on every pass of the event loop.
        for name in ("left", "bottom"):
            item.getAxis(name).setStyle(autoReduceTextSpace=False)
        self.trail = item.plot([], [], pen=pg.mkPen(TRAIL, width=1))
        self.start_dot = pg.ScatterPlotItem(size=7, brush=pg.mkBrush("#90a4ae"), pen=None)
        self.head = pg.ScatterPlotItem(size=13, brush=pg.mkBrush(HEAD), pen=pg.mkPen("k", width=1))
        self.head.setZValue(10)
        item.addItem(self.start_dot)
        item.addItem(self.head)
        self.hint = pg.TextItem(
            "Drop a stream for X, then one for Y", color="#888", anchor=(0.5, 0.5)
        )
        self.hint.setParentItem(item.getViewBox())
        item.getViewBox().sigResized.connect(self._place_hint)
        lay.addWidget(self.plot, 1)
        self.setWidget(body)
        self._aspect(True)
        self.set_streams(x, y)

    def _stream_box(self, tip: str) -> QComboBox:
        box = QComboBox()
        box.setEditable(True)
        box.setMinimumContentsLength(8)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.setToolTip(tip)
        box.currentTextChanged.connect(self._invalidate)
        return box

    # ------------------------------------------------------------ layouts

    def state(self) -> dict:
        """The streams and choices, as a layout saves them (one entry of ``xy``)."""
        return {
            "x": self.x_name,
            "y": self.y_name,
            "window": self.window_box.currentIndex(),
            "method": self.method_box.currentText(),
            "tolerance": self.tolerance.value(),
            "equal": self.equal.isChecked(),
        }

    def restore(self, state: dict) -> None:
        """Pick the saved choices (the streams are set when the dock is made)."""
        self.window_box.setCurrentIndex(int(state.get("window", 2)))
        self.method_box.setCurrentText(str(state.get("method", "linear")))
        self.tolerance.setValue(float(state.get("tolerance", 0.1)))
        self.equal.setChecked(bool(state.get("equal", True)))

    # ------------------------------------------------------------ choices

    @property
    def x_name(self) -> str:
        return self.x_box.currentText().strip()

    @property
    def y_name(self) -> str:
        return self.y_box.currentText().strip()

    def set_streams(self, x: str, y: str) -> None:
        self.x_box.setCurrentText(x)
        self.y_box.setCurrentText(y)
        self._invalidate()

    def handle_drop(self, mime: QMimeData) -> int:
        names = [n for _, n in streams_from_mime(mime)]
        if len(names) >= 2:
            self.set_streams(names[0], names[1])
            return 2
        if not names:
            return 0
        if not self.x_name:
            self.set_streams(names[0], self.y_name)
        else:  # X is set: the drop sets (or replaces) Y
            self.set_streams(self.x_name, names[0])
        return 1

    def _aspect(self, on: bool) -> None:
        self.plot.getPlotItem().getViewBox().setAspectLocked(on, ratio=1.0)
        self._invalidate()

    def _invalidate(self, *_) -> None:
        self._drawn = ()
        x, y = self.x_name, self.y_name
        self.setWindowTitle(f"XY: {y or '?'} vs {x or '?'}")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", x)
        item.setLabel("left", y)
        self.hint.setVisible(not (x and y))

    def _place_hint(self, *_) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        self.hint.setPos(vb.width() / 2, vb.height() / 2)

    # ------------------------------------------------------------ drawing

    def _sync_names(self) -> None:
        if self._structure == self.store.structure_version:
            return
        self._structure = self.store.structure_version
        names = self.store.stream_names()
        for box in (self.x_box, self.y_box):
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentText(current)
            box.blockSignals(False)

    def refresh(self) -> bool:
        """Called by the render clock: re-pair and redraw when either stream has news."""
        self._sync_names()
        if not (self.x_name and self.y_name):
            return False
        sx, sy = (
            self.store.find(self.x_name, source=LIVE),
            self.store.find(self.y_name, source=LIVE),
        )
        if sx is None or sy is None or not len(sx.ring) or not len(sy.ring):
            self.status.setText("waiting for data…")
            return False
        key = (id(sx), sx.version, id(sy), sy.version)
        if key == self._drawn:
            return False
        self._drawn = key
        window = XY_WINDOWS[self.window_box.currentIndex()][1]
        end = max(sx.ring.last_t, sy.ring.last_t)
        t0 = end - window if window else -np.inf
        pad = self.tolerance.value()
        (tx, vx), (ty, vy) = (_since(s.ring, t0 - pad) for s in (sx, sy))
        a = align_xy(tx, vx, ty, vy, self.tolerance.value(), self.method_box.currentText())
        keep = a.t >= t0
        x, y = a.x[keep], a.y[keep]
        self.points = len(x)
        if len(x) > MAX_POINTS:
            step = int(np.ceil(len(x) / MAX_POINTS))
            x, y = np.r_[x[:-1:step], x[-1]], np.r_[y[:-1:step], y[-1]]
        self.trail.setData(x, y, skipFiniteCheck=True)
        if len(x):
            self.head.setData([x[-1]], [y[-1]])
            self.start_dot.setData([x[0]], [y[0]])
            self.status.setText(f"{self.points:,} pairs")
        else:
            self.head.setData([], [])
            self.start_dot.setData([], [])
            self.status.setText("no samples close enough in time — raise the tolerance")
        self.plot.scene().prepareForPaint()  # auto-range now: one paint, not two (chart_dock)
        return True

    def closeEvent(self, ev) -> None:
        self.closed.emit(self)
        super().closeEvent(ev)


def _since(ring, t0: float) -> tuple[np.ndarray, np.ndarray]:
    i = int(np.searchsorted(ring.t, t0, "left"))
    return ring.t[i:], ring.v[i:]
