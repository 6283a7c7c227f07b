"""The broker's state in the status bar (``--nats``): connecting, unreachable, reconnecting,
replaying with its progress, live or live only; bad frames counted per source in the tooltip.

Added from outside like the health labels, so the window knows nothing of NATS. The label has
a fixed width: a changing state never moves the items beside it.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel

from streamscope.ingest.nats_source import NatsSource

WARN = "color: #e65100; font-weight: bold"
WIDEST = "NATS: replaying 100% · 9999 bad frames"


class BrokerStatus:
    def __init__(self, window, source: NatsSource) -> None:
        self.source = source
        self.label = QLabel()
        self.label.setContentsMargins(6, 0, 6, 0)
        self.label.setFixedWidth(self.label.fontMetrics().horizontalAdvance(WIDEST) + 16)
        window.statusBar().addPermanentWidget(self.label)
        self._due = 0.0
        window.clock.ticked.connect(self.update)
        self.update(force=True)

    def text(self) -> str:
        s = self.source
        bad = s.errors
        return s.status() + (f" · {bad} bad frames" if bad else "")

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._due:
            return
        self._due = now + 0.25
        s, link = self.source, self.source.link
        self.label.setText(self.text())
        trouble = link.state != "connected" or s.errors > 0
        self.label.setStyleSheet(WARN if trouble else "")
        lines = [f"Broker: {link.detail}"]
        if s.progress.total:
            p = s.progress
            lines.append(f"Replayed {p.done:,} of {p.total:,} frames the stream held")
        lines.append(f"Frames from the broker: {s.frames:,}; producers: {len(s.sources)}")
        for name, st in sorted(s.sources.items()):
            if st.errors:
                lines.append(f"  {name}: {st.errors} bad frames; last: {st.last_error}")
        self.label.setToolTip("\n".join(lines))


def install_broker_status(window, source: NatsSource) -> BrokerStatus:
    window.broker_status = BrokerStatus(window, source)  # kept alive with the window
    return window.broker_status
