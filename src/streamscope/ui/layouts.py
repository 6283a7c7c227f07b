"""Layouts on a live window: capture the charts and dock positions, or rebuild them from a file.

The file format lives in ``core.layout`` (Qt-free); this module maps it onto a ``ChartHost``
(the main window), its ``ChartDock``s and a ``LayoutPart`` (the analysis). Chart settings that
only some versions have (the render engine's ``mode``, per-curve colors) are read and written
with ``getattr`` and defaults, so a layout survives either side not knowing about them.
"""

from __future__ import annotations

import contextlib
import re

import pyqtgraph as pg
from PySide6.QtCore import QByteArray

from streamscope.core.files.layout import ChartLayout, Layout
from streamscope.ui.chart_dock import ChartDock
from streamscope.ui.export import qt_color_name
from streamscope.ui.host import ChartHost, LayoutPart
from streamscope.ui.windows import WINDOWS

STATE_VERSION = 1  # Qt saveState() version tag for both window and chart area


def curve_colors(dock: ChartDock) -> dict[str, str]:
    """Each curve's colour: the chart's own record if it keeps one, else the pen drawn."""
    kept = getattr(dock.state, "colors", None)
    colors = dict(kept) if isinstance(kept, dict) else {}
    for name, curve in dock.curves.items():
        if name not in colors and (c := qt_color_name(curve.item.opts.get("pen"))):
            colors[name] = c
    return colors


def capture_chart(dock: ChartDock) -> ChartLayout:
    state = dock.state
    mode = getattr(state, "mode", None)
    decimation = getattr(state, "decimation", None)
    return ChartLayout(
        id=dock.objectName(),
        title=state.title,
        streams=list(state.streams),
        window=state.window,
        follow=state.follow,
        paused=state.paused,
        mode=str(getattr(mode, "value", mode)) if mode is not None else None,
        colors=curve_colors(dock),
        decimation=str(getattr(decimation, "value", decimation)) if decimation else None,
    )


def capture_layout(window: ChartHost, part: LayoutPart | None = None) -> Layout:
    return Layout(
        charts=[capture_chart(d) for d in window.charts],
        qt={
            "window_geometry": bytes(window.saveGeometry().data()),
            "window_state": bytes(window.saveState(STATE_VERSION).data()),
            "charts_state": bytes(window.area.saveState(STATE_VERSION).data()),
        },
        analysis=part.state() if part is not None else {},
    )


def apply_chart(dock: ChartDock, chart: ChartLayout) -> None:
    """Settings of a saved chart onto a new dock holding its streams."""
    index = next((i for i, (_, w) in enumerate(WINDOWS) if w == chart.window), None)
    if index is not None:
        dock.window_box.setCurrentIndex(index)
    dock.state.window = chart.window  # also a value the box does not list
    dock.set_follow(chart.follow)
    # a chart comes back live: a paused one would wait for data it already froze out
    if chart.mode is not None:
        setter = getattr(dock, "set_mode", None)
        if callable(setter):
            with contextlib.suppress(ValueError, KeyError, TypeError):  # unknown: keep default
                setter(chart.mode)
        elif hasattr(dock.state, "mode"):
            dock.state.mode = chart.mode
    if chart.decimation is not None and callable(getattr(dock, "set_decimation", None)):
        with contextlib.suppress(ValueError, KeyError, TypeError):  # unknown: keep default
            dock.set_decimation(chart.decimation)
    for name, color in chart.colors.items():
        set_curve_color(dock, name, color)


def set_curve_color(dock: ChartDock, name: str, color: str) -> None:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?", color) or name not in dock.curves:
        return
    setter = getattr(dock, "set_curve_color", None)
    if callable(setter):
        setter(name, color)
        return
    kept = getattr(dock.state, "colors", None)
    if isinstance(kept, dict):
        kept[name] = color
    dock.curves[name].item.setPen(pg.mkPen(color, width=1))


def apply_layout(window: ChartHost, layout: Layout, part: LayoutPart | None = None) -> list[str]:
    """Replace the window's charts (and ``part``'s docks: XY charts) with the layout's; dock
    positions follow when Qt can. Returns what of ``part``'s settings could not be applied."""
    for dock in part.area_docks() if part is not None else []:
        dock.close()
    for dock in list(window.charts):
        dock.setObjectName(f"closing-{id(dock)}")  # its name must not catch restored state
        window.area.removeDockWidget(dock)
        dock.close()
    window.charts.clear()
    for chart in layout.charts:
        dock = window.new_chart(chart.streams, chart.title)
        dock.setObjectName(chart.id)
        apply_chart(dock, chart)
    window.reserve_chart_ids(c.id for c in layout.charts)  # new charts get new ids
    # before the dock positions: XY charts are docks too
    problems = part.restore(layout.analysis) if part is not None and layout.analysis else []
    qt = layout.qt
    if "window_geometry" in qt:
        window.restoreGeometry(QByteArray(qt["window_geometry"]))
    if "window_state" in qt:
        window.restoreState(QByteArray(qt["window_state"]), STATE_VERSION)
    if "charts_state" in qt:
        window.area.restoreState(QByteArray(qt["charts_state"]), STATE_VERSION)
    area_docks = part.area_docks() if part is not None else []
    window.area.hint.setVisible(not window.charts and not area_docks)
    return problems
