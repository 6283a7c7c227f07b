"""Snapshots (PNG 1×/2×, SVG with a filled band, clipboard), chart CSV, and the File actions."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QPushButton

from streamscope.core.files.userdirs import Settings, safe_name, stamped_name
from streamscope.ui import export
from streamscope.ui.progress import BackgroundTask
from support.data import game_store
from support.paths import child_env


@pytest.fixture
def store():
    t = np.arange(0, 20, 0.01)
    streams = {"low": (t, np.sin(t)), "high": (t, np.cos(t) + 2), "fps": (t[::10], 60 + t[::10])}
    return game_store(streams, session_id=None)


@pytest.fixture
def window(window, qtbot):
    """Exposed before a test grabs it."""
    qtbot.waitExposed(window)
    return window


def band_chart(window, qtbot):
    """A chart with an aggregated-band look: a filled area between two curves."""
    dock = window.new_chart(["low", "high"], "band")
    window.clock.tick()
    fill = pg.FillBetweenItem(
        dock.curves["low"].item, dock.curves["high"].item, brush=(100, 100, 255, 90)
    )
    dock.plot.addItem(fill)
    qtbot.waitUntil(dock.isVisible)  # a new dock gets its place and size on the next events
    return dock


def colors(image: QImage) -> int:
    """Distinct colours in a sample of pixels: a blank image has one or two."""
    w, h = image.width(), image.height()
    return len({image.pixel(x, y) for x in range(0, w, 7) for y in range(0, h, 7)})


def test_chart_png_at_1x_and_2x(window, qtbot, tmp_path):
    dock = band_chart(window, qtbot)
    plot = export.chart_widget(dock)
    one = tmp_path / "one.png"
    two = tmp_path / "two.png"
    assert window.file_actions.save_chart_image(dock, one, 1.0) == one
    assert window.file_actions.save_chart_image(dock, two, 2.0) == two
    a, b = QImage(str(one)), QImage(str(two))
    assert one.stat().st_size > 1000 and two.stat().st_size > one.stat().st_size
    assert (a.width(), a.height()) == (plot.width(), plot.height())
    assert (b.width(), b.height()) == (2 * plot.width(), 2 * plot.height())
    assert colors(a) > 5 and colors(b) > 5
    assert "two.png (" in window.statusBar().currentMessage()


def test_chart_svg_with_a_filled_band(window, qtbot, tmp_path):
    dock = band_chart(window, qtbot)
    path = tmp_path / "band.svg"
    assert window.file_actions.save_chart_image(dock, path) == path
    assert path.stat().st_size > 1000
    root = ET.parse(path).getroot()  # well-formed XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    plot = export.chart_widget(dock)
    assert root.get("viewBox") == f"0 0 {plot.width()} {plot.height()}"
    fills = [e.get("fill") for e in root.iter(f"{ns}path")] + [
        e.get("fill") for e in root.iter(f"{ns}g")
    ]
    assert "#6464ff" in fills  # the band is there, as a filled path
    assert len(list(root.iter(f"{ns}polyline"))) >= 2  # and the two curves
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()


def test_window_png_and_clipboard(window, qtbot, tmp_path):
    band_chart(window, qtbot)
    path = tmp_path / "window.png"
    assert window.file_actions.save_window_image(path, 2.0) == path
    image = QImage(str(path))
    assert (image.width(), image.height()) == (2 * window.width(), 2 * window.height())
    window.file_actions.copy_chart()
    clip = QGuiApplication.clipboard().image()
    plot = export.chart_widget(window.charts[0])
    assert (clip.width(), clip.height()) == (plot.width(), plot.height()) and colors(clip) > 5
    window.file_actions.copy_window()
    clip = QGuiApplication.clipboard().image()
    assert (clip.width(), clip.height()) == (window.width(), window.height())


def test_export_errors_are_reported(window, qtbot, tmp_path):
    dock = band_chart(window, qtbot)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert window.file_actions.save_chart_image(dock, blocker / "x.png") is None
    assert "cannot create" in window.file_actions.last_notice
    with pytest.raises(export.ExportError, match=r"use \.png"):
        export.save_image(dock.plot, tmp_path / "x.gif")


def test_no_chart_means_a_hint_not_a_crash(window):
    window.file_actions.copy_chart()
    assert "No chart" in window.file_actions.last_notice


def test_file_names_say_what_and_when():
    when = dt.datetime(2025, 1, 31, 14, 25, 1)
    assert stamped_name("fps, memory_usage_mb", ".png", when) == (
        "fps-memory_usage_mb_20250131-142501.png"
    )
    assert safe_name('a/b\\c:d*?"<>|') == "a-b-c-d"
    assert safe_name("///") == "chart"
    assert re.fullmatch(r"Bildrate-ü_\d{8}-\d{6}\.svg", stamped_name("Bildrate ü", ".svg"))


def test_last_folder_is_remembered(tmp_path):
    settings = Settings(tmp_path / "cfg" / "settings.json")
    default = tmp_path / "default"
    assert settings.folder("snapshot_dir", default) == default
    settings.set("snapshot_dir", str(tmp_path))
    assert Settings(tmp_path / "cfg" / "settings.json").folder("snapshot_dir", default) == tmp_path
    settings.set("snapshot_dir", str(tmp_path / "gone"))
    assert settings.folder("snapshot_dir", default) == default  # a deleted folder: default
    (tmp_path / "cfg" / "settings.json").write_text("{broken")
    assert settings.get("snapshot_dir") is None


def test_current_chart_and_context_menu(window, qtbot):
    a = window.new_chart(["low"])
    b = window.new_chart(["high"])
    assert window.file_actions.current_chart() is b
    from PySide6.QtCore import QPoint, Qt

    qtbot.mouseClick(a.plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    assert window.file_actions.current_chart() is a
    entry = a.plot.scene().contextMenu[0]  # pyqtgraph's "Export..." now opens ours
    assert entry.menu() is a.export_menu
    assert [x.text() for x in a.export_menu.actions()] == [
        "Image (PNG/SVG)…",
        "Copy image",
        "Data as CSV…",
    ]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def test_chart_csv_visible_range_and_everything(window, store, qtbot, tmp_path):
    dock = window.new_chart(["fps", "low"])
    dock.window_box.setCurrentIndex(0)  # the last 10 s
    window.clock.tick()
    x0, x1 = export.visible_range(dock)
    assert x1 - x0 == pytest.approx(10, abs=0.01)
    files = window.file_actions
    part, full = tmp_path / "part.csv", tmp_path / "full.csv"
    for path, visible in ((part, True), (full, False)):
        task = files.export_chart_csv(dock, path, visible)
        qtbot.waitUntil(lambda t=task: t.done, timeout=10_000)
    header, rows = read_csv(full)
    assert header == ["session", "time", "fps", "low"]
    low = store.find("low").ring
    got_t = np.array([float(r[1]) for r in rows if r[3] != ""])
    got_v = np.array([float(r[3]) for r in rows if r[3] != ""])
    assert np.array_equal(got_t, low.t) and np.array_equal(got_v, low.v)  # exact, not drawn
    assert len(got_t) > dock.curves["low"].points_drawn
    _, rows = read_csv(part)
    times = np.array([float(r[1]) for r in rows])
    assert times.min() >= x0 and times.max() <= x1
    assert sum(r[3] != "" for r in rows) == np.count_nonzero((low.t >= x0) & (low.t <= x1))


def test_background_task_reports_and_cancels(window, qtbot):
    results = []

    def slow(progress):
        for i in range(10_000_000):
            progress(i, 10_000_000)
        return "finished"

    task = BackgroundTask(window, "Working…", slow, show_after_ms=0)
    task.cancelled.connect(lambda: results.append("cancelled"))
    task.finished.connect(results.append)
    task.start()
    qtbot.waitUntil(lambda: task._done > 0, timeout=5000)
    (button,) = task.dialog.findChildren(QPushButton)
    assert button.text() == "Cancel"
    button.click()  # what the user does
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["cancelled"]

    def fails(progress):
        raise OSError("disk full")

    errors = []
    task = BackgroundTask(window, "Failing…", fails)
    task.failed.connect(errors.append)
    task.start()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors == ["disk full"]


@pytest.mark.slow  # the whole app in a child process
def test_scripted_snapshot_from_the_command_line(tmp_path):
    """`streamscope --snapshot` offscreen, as CI or a user's script runs it."""
    out = tmp_path / "shots" / "window.png"
    env = child_env()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streamscope",
            "--port",
            "0",
            "--demo",
            "--plot",
            "fps,memory_usage_mb",
            "--plot",
            "sine_1khz",
            "--snapshot",
            str(out),
            "--after",
            "1.5",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    m = re.search(r"snapshot: (.+) \((\d+)x(\d+) px\)", result.stdout)
    assert m and Path(m.group(1)) == out
    image = QImage(str(out))
    assert (image.width(), image.height()) == (int(m.group(2)), int(m.group(3)))
    assert image.width() >= 600 and image.height() >= 400
    assert colors(image) > 20
    curve = QImage(str(out)).convertToFormat(QImage.Format.Format_RGB32)
    first_curve = 0xFF4FC3F7  # the first palette colour: a curve was drawn
    assert any(
        curve.pixel(x, y) == first_curve
        for x in range(0, curve.width(), 2)
        for y in range(0, curve.height(), 2)
    )
    # a scripted run leaves the user's last layout alone
    assert not (Path(os.environ["STREAMSCOPE_CONFIG_DIR"]) / "last_layout.json").exists()


def test_snapshot_arguments_are_checked(capsys):
    from streamscope import cli

    with pytest.raises(SystemExit) as e:
        cli.main(["--snapshot", "x.gif"])
    assert e.value.code == 2 and "--snapshot FILE must end" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["--after", "3"])
    assert "--after needs --snapshot" in capsys.readouterr().err
