"""Long work off the GUI thread, with a progress dialog that can cancel it.

``BackgroundTask`` runs ``fn(progress)`` on a worker thread. The work reports through
``progress(done, total)`` (see ``core.progress``); the dialog polls those numbers on a timer,
so the worker never touches a widget, and Cancel makes the next ``progress`` call raise
``Cancelled``. The result (or error) comes back as a signal on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from streamscope.core.files.progress import Cancelled, Progress

POLL_MS = 50


class BackgroundTask(QObject):
    finished = Signal(object)  # the function's result
    failed = Signal(str)  # the error message, for the user
    cancelled = Signal()

    def __init__(
        self,
        parent: QWidget | None,
        label: str,
        fn: Callable[[Progress], Any],
        show_after_ms: int = 400,
    ) -> None:
        super().__init__(parent)
        self.label = label
        self._fn = fn
        self._done = 0
        self._total = 0
        self._cancel = threading.Event()
        self._outcome: tuple[str, Any] | None = None
        self.dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle("StreamScope")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(show_after_ms)  # quick work never flashes a dialog
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._thread = threading.Thread(target=self._work, name="background-task", daemon=True)

    def start(self) -> BackgroundTask:
        self.dialog.setValue(0)
        self._thread.start()
        self._timer.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def done(self) -> bool:
        """The outcome was delivered (finished, failed or cancelled)."""
        return self._outcome is not None and not self._timer.isActive()

    def _progress(self, done: int, total: int) -> None:
        if self._cancel.is_set():
            raise Cancelled()
        self._done, self._total = done, total

    def _work(self) -> None:
        try:
            self._outcome = ("ok", self._fn(self._progress))
        except Cancelled:
            self._outcome = ("cancelled", None)
        except Exception as e:  # reported to the user, never lost in a thread
            self._outcome = ("error", str(e) or type(e).__name__)

    def _poll(self) -> None:
        total = self._total
        if total > 0:
            scale = max(1, total // 1_000_000 + 1)  # QProgressDialog takes ints
            self.dialog.setMaximum(total // scale)
            self.dialog.setValue(min(self._done, total) // scale)
        if self._outcome is None:
            return
        self._timer.stop()
        self.dialog.reset()
        self.dialog.hide()
        kind, value = self._outcome
        if kind == "ok":
            self.finished.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(value)
        self.dialog.deleteLater()
