"""Python's cyclic garbage collection, run on the GUI thread only.

Why: the collector runs in whichever thread happens to allocate past a threshold. In a worker
thread (the recording writer, the summary's endpoint call) it may destroy a Qt object that
still has timers registered; Qt cannot unregister them from there and later crashes in
``QTimerInfoList::activateTimers`` (seen under gdb in this project's test suite). So while the
app runs, automatic collection is off and a GUI-thread timer collects instead, with the same
generation thresholds (the approach of pyqtgraph's ``GarbageCollector``, plus a way back).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadGC(QObject):
    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__()
        self._was_enabled = gc.isenabled()
        self._threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first."""
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self._threshold[generation]:
                break
            gc.collect(generation)

    def stop(self) -> None:
        """Back to automatic collection (the app is shutting down, or a test is done)."""
        self.timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
