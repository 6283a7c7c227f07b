"""``streamscope --self-test``: prove an installation works end to end, then exit.

Made for bundles: it runs the real app (server on an ephemeral port, window, render clock),
connects a real WebSocket client, sends samples in three protocol forms, reads them back,
waits for a chart to draw them, saves the chart as a PNG and checks the curves are visible
in the file. It prints one line and exits 0, or prints the reason and exits 1. Qt runs
offscreen unless ``QT_QPA_PLATFORM`` says otherwise, so it works with no display.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

LAUNCHED_AT_ENV = "STREAMSCOPE_LAUNCHED_AT"  # a launcher's time.time() at spawn (smoke script)
TIMEOUT = 60.0  # seconds for the whole test; a cold bundle start on a slow CI disk fits
STREAMS = ("selftest_sine", "selftest_ramp")
UNITY_STREAM = "selftest_unity"
SPAN = 30.0  # seconds of data: the default 30 s window, so curves cross the whole plot
_IMPORTED_AT = time.time()


class SelfTestFailure(Exception):
    """A check that failed; its message is the reason printed."""


@dataclass
class Coverage:
    """Where a curve's color shows in an image region."""

    pixels: int  # pixels of that color
    columns: float  # fraction of the region's columns holding at least one
    rows: float  # fraction of the region's rows holding at least one


def curve_coverage(rgb: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> Coverage:
    """Measure how much of an (h, w, 3) uint8 image is drawn in ``color`` (±``tol``)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or not rgb.size:
        raise ValueError(f"expected an (h, w, 3) image, got shape {rgb.shape}")
    diff = np.abs(rgb.astype(np.int16) - np.asarray(color, np.int16)).max(axis=2)
    hit = diff <= tol
    return Coverage(int(hit.sum()), float(hit.any(axis=0).mean()), float(hit.any(axis=1).mean()))


def check_curves(
    rgb: np.ndarray, curves: dict[str, tuple[int, int, int]], min_columns: float = 0.8
) -> dict[str, Coverage]:
    """Every curve must show across most of the plot's width; raise with what is missing."""
    if not (rgb != rgb[0, 0]).any():
        raise SelfTestFailure("the exported PNG is blank (one color throughout)")
    found = {name: curve_coverage(rgb, color) for name, color in curves.items()}
    for name, cov in found.items():
        if cov.columns < min_columns:
            raise SelfTestFailure(
                f"curve {name!r} covers {cov.columns:.0%} of the plot's width in the PNG "
                f"(expected at least {min_columns:.0%}; {cov.pixels} pixels of its color)"
            )
    return found


def process_start_time() -> tuple[float, str]:
    """Wall-clock time this process started, and what that is measured from."""
    launched = os.environ.get(LAUNCHED_AT_ENV)
    if launched:
        try:
            return float(launched), "launch"
        except ValueError:
            pass
    try:
        if not sys.platform.startswith("linux"):  # the OS's own figure, to the millisecond
            return psutil.Process().create_time(), "process start"
        # Linux: psutil adds the boot time in whole seconds (up to 1 s off), so the kernel's
        # start tick since boot is read against the uptime, which has 10 ms steps.
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - (uptime - ticks / os.sysconf("SC_CLK_TCK")), "process start"
    except (OSError, ValueError, IndexError, psutil.Error):
        return _IMPORTED_AT, "interpreter start"


def main(png: str | None = None, verbose: bool = False) -> int:
    """Run the self-test; ``png`` keeps the exported image at that path."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.app import StartupError, check_qt_binding

    try:
        check_qt_binding()
        with tempfile.TemporaryDirectory(prefix="streamscope-selftest-") as tmp:
            line = _run(Path(png) if png else Path(tmp) / "selftest.png")
    except SelfTestFailure as e:
        _say(f"StreamScope self-test FAILED: {e}", sys.stderr)
        return 1
    except StartupError as e:
        _say(f"StreamScope self-test FAILED: {e}", sys.stderr)
        return 2
    except Exception as e:  # anything else is a failure of the installation: say what
        logging.getLogger(__name__).debug("self-test error", exc_info=True)
        _say(f"StreamScope self-test FAILED: {type(e).__name__}: {e}", sys.stderr)
        return 1
    _say(line, sys.stdout)
    return 0


def _say(text: str, stream) -> None:
    """Print if there is somewhere to print to (a windowed Windows build has no console)."""
    if stream is not None:
        print(text, file=stream, flush=True)


def _run(png: Path) -> str:
    from streamscope.app import qt_application, run_on_qasync
    from streamscope.ui.appicon import app_icon

    app = qt_application()  # main() chose the platform and checked the binding
    app.setApplicationName("StreamScope")
    icon = app_icon()
    if icon.isNull():
        raise SelfTestFailure("the app icon is missing from the resources")
    app.setWindowIcon(icon)
    return run_on_qasync(app, _self_test(png, len(icon.availableSizes())))


async def _self_test(png: Path, icon_sizes: int) -> str:
    from streamscope import __version__
    from streamscope.app import AppOptions, StreamScope

    scope = StreamScope(
        AppOptions(host="127.0.0.1", port=0, plots=[list(STREAMS)], remember_layout=False)
    )
    step = ["starting the app"]
    try:
        async with asyncio.timeout(TIMEOUT):
            await scope.start()
            result = await _exercise(scope, png, step)
    except TimeoutError:
        raise SelfTestFailure(f"timed out after {TIMEOUT:.0f} s while {step[0]}") from None
    finally:
        await scope.stop()
    started, origin = process_start_time()
    first_frame = result.pop("first_frame") - started
    frames = f"{result['frames']} frame{'s' if result['frames'] != 1 else ''}"
    return (
        f"StreamScope {__version__} self-test passed: {result['samples']} samples in "
        f"{result['streams']} streams over {scope.server.url}, read back exactly; "
        f"{frames} drawn; PNG {result['png']} shows {len(STREAMS)} curves; "
        f"icon {icon_sizes} sizes; first frame {first_frame:.2f} s after {origin}"
    )


async def _exercise(scope, png: Path, step: list[str]) -> dict:
    """The steps after start-up; ``step[0]`` names the current one for a timeout message."""
    from streamscope.ingest.client import StreamClient

    chart = scope.window.charts[0]
    clock = scope.window.clock
    first_frame: list[float] = []

    def on_tick() -> None:
        if clock.frames and not first_frame:
            first_frame.append(time.time())

    clock.ticked.connect(on_tick)

    step[0] = "connecting a client"
    t = np.linspace(0.0, SPAN, 3001)
    sine = 50 + 40 * np.sin(2 * np.pi * t / 10)
    ramp = np.linspace(0.0, 100.0, len(t))
    async with StreamClient(scope.server.url, name="Self-test") as client:
        if (client.config or {}).get("type") != "initial_configuration":
            raise SelfTestFailure(f"unexpected greeting from the server: {client.config!r}")
        step[0] = "sending samples"
        await client.send_binary(STREAMS[0], t, sine)
        await client.send_series(STREAMS[1], t, ramp)
        for i in range(10):
            await client.send_sample(UNITY_STREAM, 60.0 - i / 10, t=i / 10)
        step[0] = "reading the samples back"
        for name, values in ((STREAMS[0], sine), (STREAMS[1], ramp)):
            reply = await client.request(
                {"type": "request_historical_data", "stream": name}, "historical_data"
            )
            if reply.get("type") != "historical_data":
                raise SelfTestFailure(f"reading back {name!r} gave {reply!r}")
            if not (np.array_equal(reply["t"], t) and np.array_equal(reply["v"], values)):
                raise SelfTestFailure(f"{name!r} came back different from what was sent")
        listing = await client.request({"type": "list_streams"}, "streams")
        names = {s.get("name") for s in listing.get("streams", [])}
        if not {*STREAMS, UNITY_STREAM} <= names:
            raise SelfTestFailure(f"the server lists {sorted(names)}, not the streams sent")

    step[0] = "waiting for the chart to draw"
    while not (first_frame and all(chart.curves[n].points_drawn for n in STREAMS)):
        await asyncio.sleep(0.01)

    step[0] = "exporting the PNG"
    size = _export_and_verify(chart, png)
    return {
        "samples": scope.store.total_samples,
        "streams": len(names),
        "frames": clock.frames,
        "png": size,
        "first_frame": first_frame[0],
    }


def _export_and_verify(chart, png: Path) -> str:
    """Save the chart's plot as a PNG, load the file back, and find every curve in it."""
    from PySide6.QtGui import QImage

    plot = chart.plot
    pixmap = plot.grab()
    png.parent.mkdir(parents=True, exist_ok=True)
    if not pixmap.save(str(png), "PNG"):
        raise SelfTestFailure(f"could not write {png}")
    if png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise SelfTestFailure(f"{png} is not a PNG file")
    image = QImage(str(png))
    if image.isNull():
        raise SelfTestFailure(f"{png} does not load back as an image")
    if image.size() != pixmap.size() or image.width() < 200 or image.height() < 100:
        raise SelfTestFailure(
            f"{png} is {image.width()}x{image.height()}, expected "
            f"{pixmap.width()}x{pixmap.height()} (at least 200x100)"
        )
    rgb = _rgb_array(image)
    # Only the data area counts: axes and legend text must not pass for a curve.
    scale = pixmap.devicePixelRatio()
    vb = plot.getPlotItem().getViewBox()
    area = plot.mapFromScene(vb.sceneBoundingRect()).boundingRect()
    x0, y0 = max(0, int(area.left() * scale)), max(0, int(area.top() * scale))
    x1, y1 = int(area.right() * scale), int(area.bottom() * scale)
    region = rgb[y0:y1, x0:x1]
    if region.shape[0] < 50 or region.shape[1] < 100:
        h, w = region.shape[:2]
        raise SelfTestFailure(f"the plot area in the PNG is only {w}x{h}")
    colors = {}
    for name in STREAMS:
        r, g, b, _ = chart.curves[name].item.opts["pen"].color().getRgb()
        colors[name] = (r, g, b)
    check_curves(region, colors)
    return f"{image.width()}x{image.height()}"


def _rgb_array(image) -> np.ndarray:
    """An (h, w, 3) uint8 copy of a QImage."""
    from PySide6.QtGui import QImage

    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = img.height(), img.width(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=h * stride)
    return buf.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()
