"""Small shared pieces: percentiles, memory, and the Qt application every section draws in."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import numpy as np

PLOT_WIDTH = 1200  # px: the fixed plot width every render figure is taken at
PLOT_HEIGHT = 600


def pct(values: Sequence[float], q: float) -> float:
    """Percentile ``q`` of ``values`` (NaN when there are none, so a table shows 'n/a')."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def rss_mb() -> float:
    """Resident memory of this process in MB, from /proc/self/status (VmRSS) on Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # peak, not current
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def qt_app():
    """The QApplication (offscreen unless a platform is chosen), after the binding check."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from streamscope.app import check_qt_binding

    check_qt_binding()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # each section closes its windows; the run goes on
    return app
