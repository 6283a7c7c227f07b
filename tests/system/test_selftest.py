"""``streamscope --self-test``: passes on a working install, fails with a reason otherwise."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest

from streamscope import selftest
from streamscope.core.store.store import Store
from streamscope.selftest import SelfTestFailure, check_curves, curve_coverage
from support.paths import ROOT, child_env

RESULT = re.compile(
    r"^StreamScope \S+ self-test passed: 6012 samples in 3 streams over ws://127\.0\.0\.1:\d+, "
    r"read back exactly; \d+ frames? drawn; PNG \d+x\d+ shows 2 curves; icon 8 sizes; "
    r"first frame (?P<s>[0-9.]+) s after (?P<origin>launch|process start|interpreter start)$"
)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "streamscope", *args],
        env=child_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=120,
    )


def only_harmless(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.strip() and "propagateSizeHints" not in ln]


@pytest.mark.slow
def test_self_test_passes_and_prints_one_line(tmp_path):
    png = tmp_path / "out" / "selftest.png"
    proc = run_cli("--self-test", "--self-test-png", str(png))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and RESULT.match(lines[0]), lines
    assert only_harmless(proc.stderr) == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_self_test_measures_from_the_launcher_time_when_given():
    launched = time.time()
    proc = run_cli("--self-test", env={selftest.LAUNCHED_AT_ENV: repr(launched)})
    assert proc.returncode == 0, proc.stderr
    m = RESULT.match(proc.stdout.strip())
    assert m and m["origin"] == "launch"
    assert 0 < float(m["s"]) < time.time() - launched


@pytest.mark.slow
def test_self_test_with_the_excluded_modules_blocked():
    """What bundle_filter leaves out of the bundle must not be needed: block those imports
    (as the bundle lacks them) and run the whole self-test."""
    code = f"""
import importlib.abc, sys
sys.path.insert(0, {str(ROOT / "packaging")!r})
from bundle_filter import EXCLUDED_MODULES
sys.path.pop(0)
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if any(name == m or name.startswith(m + ".") for m in EXCLUDED_MODULES):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Block())
from streamscope.cli import main
raise SystemExit(main(["--self-test"]))
"""
    env = child_env()
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert RESULT.match(proc.stdout.strip())


# ------------------------------------------------------------ failures say why


def run_patched(patch: str) -> subprocess.CompletedProcess:
    """``--self-test`` in a child process after ``patch`` broke something on purpose. A child,
    because the self-test runs (and closes) its own event loop: in the test process that loop
    would outlive its test and could crash a later one."""
    code = f"""
import sys
from streamscope import selftest
{patch}
from streamscope.cli import main
raise SystemExit(main(["--self-test"]))
"""
    env = child_env()
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_a_missing_icon_fails_with_a_reason():
    proc = run_patched("from streamscope.ui import appicon\nappicon.icon_paths = lambda: []")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "self-test FAILED: the app icon is missing" in proc.stderr


@pytest.mark.slow
def test_a_chart_that_never_draws_times_out_naming_the_step():
    proc = run_patched(
        "from streamscope.ui.chart_dock import ChartDock\n"
        "selftest.TIMEOUT = 3.0\n"
        "ChartDock.refresh = lambda self: False"
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "timed out after 3 s while waiting for the chart to draw" in proc.stderr


def test_a_plot_without_the_curves_fails_the_png_check(qtbot, tmp_path):
    from streamscope.app import build_window

    window = build_window(Store())
    qtbot.addWidget(window)
    window.show()
    chart = window.new_chart(list(selftest.STREAMS))  # curves bound, but no data ever came
    chart.refresh()
    # (only the legend's swatch shows the color: a few percent of the width)
    with pytest.raises(SelfTestFailure, match=r"'selftest_sine' covers \d% of the plot's width"):
        selftest._export_and_verify(chart, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").is_file()  # the file was written; its content failed


def test_a_plot_with_the_curves_passes_the_png_check(qtbot, tmp_path):
    from streamscope.app import build_window

    store = Store()
    sid = store.open_session("Game").id
    t = np.linspace(0, selftest.SPAN, 2000)
    store.append(sid, selftest.STREAMS[0], t, np.sin(t))
    store.append(sid, selftest.STREAMS[1], t, t)
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    chart = window.new_chart(list(selftest.STREAMS))
    assert chart.refresh()
    size = selftest._export_and_verify(chart, tmp_path / "ok.png")
    assert re.fullmatch(r"\d+x\d+", size)


# ------------------------------------------------------------ the pixel checks


def image_with_line(rgb=None, color=(79, 195, 247), upto=1.0, offset=0) -> np.ndarray:
    if rgb is None:
        rgb = np.zeros((200, 400, 3), np.uint8)
        rgb[::25, :] = (40, 40, 40)  # grid lines must not count
    h, w = rgb.shape[:2]
    cols = np.arange(int(w * upto))
    rows = (h / 2 + offset + (h / 4) * np.sin(cols / 20)).astype(int)
    rgb[rows, cols] = color
    return rgb


def test_curve_coverage_measures_columns_and_rows():
    cov = curve_coverage(image_with_line(), (79, 195, 247))
    assert cov.columns == 1.0 and 0.4 < cov.rows < 0.6 and cov.pixels == 400
    assert curve_coverage(image_with_line(), (255, 183, 77)).pixels == 0


def test_check_curves_accepts_a_full_width_curve_and_names_a_short_one():
    rgb = image_with_line(image_with_line(), color=(255, 183, 77), upto=0.5, offset=-60)
    found = check_curves(rgb, {"sine": (79, 195, 247)})
    assert found["sine"].columns == 1.0
    with pytest.raises(SelfTestFailure, match="'ramp' covers 50%"):
        check_curves(rgb, {"sine": (79, 195, 247), "ramp": (255, 183, 77)})


def test_check_curves_calls_a_blank_image_blank():
    with pytest.raises(SelfTestFailure, match="blank"):
        check_curves(np.full((100, 200, 3), 7, np.uint8), {"sine": (79, 195, 247)})
    with pytest.raises(ValueError):
        curve_coverage(np.zeros((10, 10)), (0, 0, 0))


def test_process_start_time(monkeypatch):
    monkeypatch.setenv(selftest.LAUNCHED_AT_ENV, "1700000000.5")
    assert selftest.process_start_time() == (1700000000.5, "launch")
    monkeypatch.setenv(selftest.LAUNCHED_AT_ENV, "not a number")
    started, origin = selftest.process_start_time()
    assert origin in ("process start", "interpreter start")
    assert time.time() - 3600 < started <= time.time()
    if sys.platform.startswith("linux"):
        assert origin == "process start"
