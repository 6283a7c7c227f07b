"""Snapshots of what is on screen: PNG (1× or 2×), SVG (charts), the clipboard; chart CSV.

Images are painted from the widgets themselves (``QWidget.render``), so they show exactly
what the user sees, at any scale. SVG goes through Qt's own ``QSvgGenerator`` rather than
pyqtgraph 0.14.0's ``SVGExporter``, which crashes on closed paths (filled bands).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from streamscope.core.files.csvexport import Series
from streamscope.core.store.store import Store
from streamscope.ui.chart_dock import ChartDock

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp"}
_FLAGS = QWidget.RenderFlag.DrawWindowBackground | QWidget.RenderFlag.DrawChildren


class ExportError(Exception):
    """An export that could not be written; the message is for the user."""


def render_image(widget: QWidget, scale: float = 1.0) -> QImage:
    """``widget`` as it looks now, painted at ``scale`` (2.0 = twice the pixels, crisp)."""
    settle_layout()
    size = widget.size()
    image = QImage(
        QSize(round(size.width() * scale), round(size.height() * scale)),
        QImage.Format.Format_ARGB32_Premultiplied,
    )
    image.setDevicePixelRatio(scale)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        QWidget.render(widget, painter, QPoint(), QRegion(), _FLAGS)
    finally:
        painter.end()
    return image


def save_image(widget: QWidget, path: str | Path, scale: float = 1.0) -> QSize:
    """Write ``widget`` to ``path`` (PNG/JPEG/BMP by suffix, or SVG); returns the pixel size."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return save_svg(widget, path)
    if suffix not in IMAGE_SUFFIXES:
        raise ExportError(f"cannot write {path.name}: use .png, .jpg, .bmp or .svg")
    image = render_image(widget, scale)
    _mkdir(path)
    if not image.save(str(path)):
        raise ExportError(f"could not write {path}")
    return image.size()


def save_svg(widget: QWidget, path: str | Path, title: str = "") -> QSize:
    """``widget`` as an SVG vector image (curves and filled bands stay paths)."""
    path = Path(path)
    _mkdir(path)
    settle_layout()
    size = widget.size()
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(size)
    gen.setViewBox(QRect(QPoint(0, 0), size))
    gen.setResolution(96)  # CSS pixels: browsers show the SVG at the widget's size
    gen.setTitle(title or widget.windowTitle() or "StreamScope chart")
    gen.setDescription("Exported from StreamScope")
    painter = QPainter()
    if not painter.begin(gen):
        raise ExportError(f"could not write {path}")
    try:
        QWidget.render(widget, painter, QPoint(), QRegion(), _FLAGS)
    finally:
        painter.end()
    if not path.is_file() or path.stat().st_size == 0:
        raise ExportError(f"could not write {path}")
    return size


def settle_layout() -> None:
    """Apply pending layout changes (a chart just added has not got its size yet), so the
    image has the size the widget is about to show, and rendering cannot resize it midway."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def copy_image(widget: QWidget, scale: float = 1.0) -> QImage:
    """Put ``widget``'s image on the clipboard (paste it into a bug report)."""
    image = render_image(widget, scale)
    QGuiApplication.clipboard().setImage(image)
    return image


def chart_widget(dock: ChartDock) -> QWidget:
    """What a chart snapshot shows: the plot with its axes and legend (not the buttons)."""
    return dock.plot


def _mkdir(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"cannot create {path.parent}: {e.strerror or e}") from None


# ---------------------------------------------------------------- chart data


def visible_range(dock: ChartDock) -> tuple[float, float]:
    """The chart's session-relative x range as currently shown."""
    x0, x1 = dock.plot.getPlotItem().getViewBox().viewRange()[0]
    return float(x0), float(x1)


def chart_series(
    store: Store, dock: ChartDock, x_range: tuple[float, float] | None = None
) -> tuple[list[str], list[tuple[str, dict[str, Series]]]]:
    """The exact stored samples behind a chart, ready for ``write_csv_file``: the columns
    (its streams) and, per session, {stream: (session-relative times, values)}.

    Each curve contributes the stream it shows (the newest session with that name);
    ``x_range`` limits them to what lies inside it, None means everything stored. Copies are
    taken here, on the GUI thread, so the export can run elsewhere while ingest goes on.
    """
    columns = list(dock.curves)
    by_session: dict[str, dict[str, Series]] = {}
    names: dict[str, str] = {}
    for name, curve in dock.curves.items():
        stream = curve.stream or store.find(curve.name, source=curve.source)
        if stream is None:
            continue
        session = store.sessions.get(stream.session_id)
        origin = (session.origin or 0.0) if session else 0.0
        ring = stream.ring
        i0, i1 = 0, len(ring)
        if x_range is not None:
            i0, i1 = ring.range_indices(x_range[0] + origin, x_range[1] + origin)
        t = np.array(ring.t[i0:i1]) - origin
        v = np.array(ring.v[i0:i1])
        by_session.setdefault(stream.session_id, {})[name] = (t, v)
        names[stream.session_id] = session.name if session else stream.session_id
    return columns, [(names[sid], data) for sid, data in by_session.items()]


def qt_color_name(pen) -> str | None:
    """``#rrggbb`` of a pyqtgraph pen option, if it has one."""
    try:
        return pen.color().name()
    except AttributeError:
        return None


# ---------------------------------------------------------------- scripted snapshot


async def scripted_snapshot(window, path: str | Path, after: float, scale: float = 1.0) -> int:
    """``--snapshot``: wait ``after`` seconds of normal running, draw the newest frame,
    save the whole window, print where; the exit code says whether it worked."""
    await asyncio.sleep(after)
    window.clock.tick()  # the latest samples, not those of the last timer tick
    window.clock.tick_views()
    await asyncio.sleep(0.05)  # let Qt finish layout and repaint work queued by that frame
    path = Path(path)
    try:
        size = save_image(window, path, scale)
    except ExportError as e:
        print(f"streamscope: snapshot failed: {e}", file=sys.stderr, flush=True)
        return 1
    print(f"snapshot: {path} ({size.width()}x{size.height()} px)", flush=True)
    return 0
