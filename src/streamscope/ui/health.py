"""Status bar items that say when the app is exposed or shedding data.

An exposed server (listening beyond loopback) is a standing warning, not a log line; a memory
budget that drops samples, clients refused or closed for garbage are counted where the user
looks. Added to the main window's status bar from outside, so the window stays unaware of them.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QLabel

from streamscope.core.analysis.fmt import fmt_si
from streamscope.core.store.store import Store
from streamscope.ingest.guard import is_loopback
from streamscope.ingest.server import IngestServer

WARN = "color: #e65100; font-weight: bold"


def exposure_text(host: str, token: bool) -> str:
    """'' on loopback; else the warning shown for as long as the app runs."""
    if is_loopback(host):
        return ""
    where = host or "all interfaces"
    return f"⚠ Exposed on {where}" + (" · token required" if token else "")


class HealthStatus:
    """Keeps the two labels current on the render clock's tick (at most 4 times a second)."""

    def __init__(self, window, store: Store, server: IngestServer) -> None:
        self.store = store
        self.server = server
        self.exposed = QLabel(exposure_text(server.host, bool(server.settings.token)))
        self.exposed.setStyleSheet(WARN)
        self.exposed.setToolTip(
            "Anyone who can reach this address and knows the token can send data. "
            "Start with --host 127.0.0.1 to stay local."
        )
        self.exposed.setVisible(bool(self.exposed.text()))
        self.memory = QLabel()
        for w in (self.exposed, self.memory):
            w.setContentsMargins(6, 0, 6, 0)
            window.statusBar().addPermanentWidget(w)
        self._due = 0.0
        window.clock.ticked.connect(self.update)
        self.update(force=True)

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._due:
            return
        self._due = now + 0.25
        st, sv = self.store, self.server
        budget = st.settings.max_total_samples
        text = f"{fmt_si(st.stored_samples)} of {fmt_si(budget)} kept"
        problems = []
        if st.budget_dropped:
            problems.append(f"{fmt_si(st.budget_dropped)} dropped")
        refused = sum(sv.rejected.values()) + sum(st.refused.values())
        if refused:
            problems.append(f"{refused} refused")
        if sv.closed_for_limits:
            problems.append(f"{sv.closed_for_limits} closed")
        self.memory.setText(" · ".join([text, *problems]))
        self.memory.setStyleSheet(WARN if problems else "")
        self.memory.setToolTip(
            f"Samples kept: {st.stored_samples:,} of a memory budget of {budget:,} "
            "(--max-samples); past it the oldest are dropped first.\n"
            f"Dropped by the budget: {st.budget_dropped:,}; by per-stream capacity: "
            f"{st.total_dropped - st.budget_dropped:,}.\n"
            f"Error replies sent: {sv.error_replies:,}; clients closed for a volume or idle "
            f"limit: {sv.closed_for_limits}; connections refused: "
            + (", ".join(f"{n} × HTTP {code}" for code, n in sorted(sv.rejected.items())) or "0")
            + "; sessions, streams or runs refused by a store limit: "
            + (", ".join(f"{n:,} × {limit}" for limit, n in sorted(st.refused.items())) or "0")
            + "".join(  # the latest of each kind says who and how to let it in
                f"\nLast HTTP {code}: {text}" for code, text in sorted(sv.last_refusal.items())
            )
        )


def install_health_status(window, store: Store, server: IngestServer) -> HealthStatus:
    window.health = HealthStatus(window, store, server)  # kept alive with the window
    return window.health
