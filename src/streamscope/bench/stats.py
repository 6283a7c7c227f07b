"""Small shared pieces: percentiles, memory and CPU figures, and the Qt application every
section draws in. The one home of each: the bench sections, ``soak`` and the flood test import
them from here (the QApplication itself and its qasync loop come from ``streamscope.app``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import psutil

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

PLOT_WIDTH = 1200  # px: the fixed plot width every render figure is taken at
PLOT_HEIGHT = 600


def pct(values: Sequence[float] | np.ndarray, q: float) -> float:
    """Percentile ``q`` of ``values`` (NaN when there are none, so a table shows 'n/a')."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def rss_mb() -> float:
    """Resident memory of this process now, in MB (psutil: current, not peak, on every OS)."""
    return float(psutil.Process().memory_info().rss) / 1e6


class CpuMeter:
    """This process's CPU use between two readings, in % of one core (may exceed 100)."""

    def __init__(self) -> None:
        self._proc = psutil.Process()
        self._proc.cpu_percent(None)  # the first reading only sets the starting point

    def percent(self) -> float:
        """CPU % since the previous call (or since the meter was made)."""
        return float(self._proc.cpu_percent(None))


def qt_app() -> QApplication:
    """The QApplication, offscreen unless ``QT_QPA_PLATFORM`` chooses a platform. A section
    closes its windows and the run goes on, so closing the last one quits nothing."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.app import qt_application

    app = qt_application()
    app.setQuitOnLastWindowClosed(False)
    return app
