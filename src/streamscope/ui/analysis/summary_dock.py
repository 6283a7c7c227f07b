"""Stream summary: a short rule-based reading of one stream (trend, volatility, anomalies,
recommendations), refreshed live; optionally a model's fuller interpretation on request.

The model is asked on a worker thread and the answer is picked up by the render clock, so the
window never waits; any failure shows the reason and keeps the built-in summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.analysis.llm import LLMSettings, LLMWorker
from streamscope.core.analysis.summary import StreamSummary, summarize
from streamscope.core.store.store import LIVE, Store
from streamscope.ui.analysis.dock import AnalysisDock
from streamscope.ui.windows import WINDOWS

# the charts' windows from 30 s on: a summary of 10 s says little
SUMMARY_WINDOWS: list[tuple[str, float | None]] = [
    (f"last {label}" if span else "all stored", span) for label, span in WINDOWS[1:]
]
REFRESH_S = 1.0


class SummaryDock(AnalysisDock):
    """Saves nothing in layouts (its place and visibility are Qt's dock state)."""

    def __init__(
        self,
        store: Store,
        hub: AnalysisHub,
        settings: Callable[[], LLMSettings],
        parent: QWidget | None = None,
    ) -> None:
        """``settings`` gives the model endpoint in force (it changes while the dock lives)."""
        super().__init__("Summary", "summary", store, hub, parent)
        self.settings = settings
        self.worker = LLMWorker()
        self.summary: StreamSummary | None = None
        self.model_text = ""
        self._pending: tuple[str, Future] | None = None
        self._due = 0.0
        self._structure = -1

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.stream_box = QComboBox()
        self.stream_box.setEditable(True)
        self.stream_box.setMinimumContentsLength(16)
        self.stream_box.setToolTip("Stream to summarize")
        self.stream_box.currentTextChanged.connect(self._stream_changed)
        self.window_box = QComboBox()
        for label, _ in SUMMARY_WINDOWS:
            self.window_box.addItem(label)
        self.window_box.setCurrentIndex(1)
        self.window_box.currentIndexChanged.connect(lambda *_: self._poke())
        self.ask_btn = QPushButton("Ask model")
        self.ask_btn.clicked.connect(self.ask_model)
        bar.addWidget(self.stream_box, 1)
        bar.addWidget(self.window_box)
        bar.addWidget(self.ask_btn)
        lay.addLayout(bar)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlaceholderText("Pick a stream (or use a chart's Analysis ▸ Summary of).")
        lay.addWidget(self.text, 1)
        self.model_status = QLabel("")
        self.model_status.setStyleSheet("color: gray")
        self.model_status.setWordWrap(True)
        lay.addWidget(self.model_status)
        self.setWidget(body)
        self.update_model_button()

    @property
    def stream(self) -> str:
        return self.stream_box.currentText().strip()

    def set_stream(self, name: str) -> None:
        self.stream_box.setCurrentText(name)
        self._poke()

    def _stream_changed(self, *_) -> None:
        self.model_text = ""
        self.model_status.setText("")
        self._poke()

    def _poke(self) -> None:
        self._due = 0.0

    def update_model_button(self) -> None:
        s = self.settings()
        self.ask_btn.setEnabled(s.enabled and self._pending is None)
        self.ask_btn.setToolTip(
            f"Send this stream's statistics to {s.endpoint} ({s.model}) for a fuller reading"
            if s.enabled
            else "Off: set an OpenAI-compatible endpoint in Analysis ▸ Model endpoint…"
        )

    # ------------------------------------------------------------ summary

    def compute(self) -> StreamSummary | None:
        name = self.stream
        stream = self.store.find(name, source=LIVE) if name else None
        if stream is None:
            return None
        ring = stream.ring
        window = SUMMARY_WINDOWS[self.window_box.currentIndex()][1]
        i = int(np.searchsorted(ring.t, ring.last_t - window, "right")) if window else 0
        t, v = ring.t[i:], ring.v[i:]
        anomalies = 0
        sa = self.hub.analysis(name)
        if sa is not None and sa.stream is stream and len(t):
            anomalies = sa.anomalies_between(t[0] - sa.origin, t[-1] - sa.origin + 1e-9)
        return summarize(name, t, v, anomalies)

    def ask_model(self) -> bool:
        """Send the current summary to the configured endpoint (returns at once)."""
        settings = self.settings()
        summary = self.compute()
        if not settings.enabled or summary is None or self._pending is not None:
            return False
        self._pending = (summary.name, self.worker.submit(summary, settings))
        self.model_status.setText(f"Asking {settings.model} at {settings.endpoint}…")
        self.update_model_button()
        return True

    def refresh(self) -> bool:
        drew = self._collect_model_answer()
        store = self.store
        if self._structure != store.structure_version:
            self._structure = store.structure_version
            current = self.stream_box.currentText()
            self.stream_box.blockSignals(True)
            self.stream_box.clear()
            self.stream_box.addItems(store.stream_names())
            self.stream_box.setCurrentText(current)
            self.stream_box.blockSignals(False)
        now = time.monotonic()
        if now < self._due or not self.isVisible():
            return drew
        self._due = now + REFRESH_S
        self.summary = self.compute()
        self._show()
        return True

    def _collect_model_answer(self) -> bool:
        if self._pending is None or not self._pending[1].done():
            return False
        name, fut = self._pending
        self._pending = None
        self.update_model_button()
        if name != self.stream:
            return False  # the user moved on to another stream
        try:
            self.model_text = fut.result()
            self.model_status.setText(f"Model: {self.settings().model}")
        except Exception as e:  # any failure: keep the built-in summary
            self.model_text = ""
            self.model_status.setText(f"Model unavailable ({e}); showing the built-in summary.")
        self._show()
        return True

    def _show(self) -> None:
        if self.summary is None:
            self.text.setPlainText(f"No stream named '{self.stream}' yet." if self.stream else "")
            return
        text = self.summary.text
        if self.model_text:
            text += f"\n\nModel interpretation ({self.settings().model}):\n{self.model_text}"
        if self.text.toPlainText() != text:
            self.text.setPlainText(text)

    def shutdown(self) -> None:
        self.worker.shutdown()
