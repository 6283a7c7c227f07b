"""Keeps the analysis of the streams someone is looking at current with the store.

``AnalysisHub.update`` is called once per frame by the UI's render clock (never by ingest).
It derives new samples for derived streams, then, for every *watched* stream name, folds the
samples that arrived since the last frame into its statistics and scores them for anomalies,
then evaluates the alert rules. Everything is bound to stream *names* and follows the newest
session holding each, like the charts. Work per frame is proportional to what arrived.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from streamscope.core.analysis.alerts import AlertBook
from streamscope.core.analysis.anomaly import AnomalyConfig, find_anomalies
from streamscope.core.analysis.derived import DerivedSpec, DerivedStream
from streamscope.core.analysis.stats import OnlineStats, WindowStats
from streamscope.core.store.store import LIVE, Store, Stream

MAX_ANOMALIES = 2000  # kept in the shared list (newest win)
MAX_MARKS = 10_000  # kept per stream for drawing


@dataclass(frozen=True, slots=True)
class Anomaly:
    stream: str
    session_id: str
    t: float  # stream time (raw)
    x: float  # session-relative time, as charts show it
    value: float
    z: float


class StreamAnalysis:
    """Statistics and anomaly marks of one stream (one session's copy of a name)."""

    def __init__(self, stream: Stream, origin: float) -> None:
        self.stream = stream
        self.origin = origin
        self.stats = OnlineStats()
        self.seen = 0
        self.marks_x = np.empty(0)  # session-relative times of anomalies, ascending
        self.marks_v = np.empty(0)
        self.marks_version = 0
        self.anomalies = 0
        self._window: WindowStats | None = None

    def window(self, seconds: float) -> WindowStats:
        """Statistics over the last ``seconds`` of the stream, brought up to date."""
        if self._window is None or self._window.seconds != seconds:
            self._window = WindowStats(seconds)
        self._window.update(self.stream.ring)
        return self._window

    def marks_between(self, x0: float, x1: float) -> tuple[np.ndarray, np.ndarray]:
        i0, i1 = np.searchsorted(self.marks_x, [x0, x1], side="left")
        return self.marks_x[i0:i1], self.marks_v[i0:i1]

    def anomalies_between(self, x0: float, x1: float) -> int:
        i0, i1 = np.searchsorted(self.marks_x, [x0, x1], side="left")
        return int(i1 - i0)


class AnalysisHub:
    def __init__(self, store: Store, anomaly: AnomalyConfig | None = None) -> None:
        self.store = store
        self.anomaly_config = anomaly or AnomalyConfig()
        self.watched: set[str] = set()
        self.streams: dict[str, StreamAnalysis] = {}
        self.derived: dict[str, DerivedStream] = {}
        self.alerts = AlertBook()
        self.anomalies: deque[Anomaly] = deque(maxlen=MAX_ANOMALIES)
        self.anomalies_total = 0  # ever found; views compare it to see what is new
        self.anomaly_epoch = 0  # bumps when the list was rebuilt (new settings)
        self._structure = -1

    # ------------------------------------------------------------ configuration

    def set_watched(self, names: set[str]) -> None:
        """The stream names views are showing; only these are analysed."""
        self.watched = set(names)
        for name in [n for n in self.streams if n not in self.watched]:
            del self.streams[name]

    def set_anomaly_config(self, config: AnomalyConfig) -> None:
        """New window/threshold: every watched stream is rescored from its stored history."""
        if config == self.anomaly_config:
            return
        self.anomaly_config = config
        self.anomalies.clear()
        self.anomaly_epoch += 1
        self.streams.clear()

    def add_derived(self, spec: DerivedSpec) -> str:
        """Start keeping ``spec.name`` current; return its stream name."""
        if spec.name not in self.derived:
            self.derived[spec.name] = DerivedStream(spec)
        return spec.name

    def remove_derived(self, name: str) -> None:
        self.derived.pop(name, None)

    # ------------------------------------------------------------ per frame

    def update(self) -> bool:
        """Fold in what arrived since the last call; True if anything changed."""
        changed = False
        for d in list(self.derived.values()):
            changed |= d.update(self.store) > 0
        for name in self.watched:
            stream = self.store.find(name, source=LIVE)
            if stream is None:
                continue
            sa = self.streams.get(name)
            if sa is None or sa.stream is not stream:
                session = self.store.sessions.get(stream.session_id)
                sa = self.streams[name] = StreamAnalysis(
                    stream, (session.origin or 0.0) if session else 0.0
                )
            changed |= self._fold(sa)
        changed |= self.alerts.update(self.store) > 0
        return changed

    def _fold(self, sa: StreamAnalysis) -> bool:
        ring = sa.stream.ring
        new = ring.total - sa.seen
        if new <= 0:
            return False
        start = max(0, len(ring) - new)
        sa.seen = ring.total
        t, v = ring.t, ring.v
        sa.stats.update(t[start:], v[start:])
        idx, z = find_anomalies(v, start, self.anomaly_config)
        if len(idx):
            x = t[idx] - sa.origin
            vals = v[idx]
            sa.marks_x = np.concatenate((sa.marks_x, x))[-MAX_MARKS:]
            sa.marks_v = np.concatenate((sa.marks_v, vals))[-MAX_MARKS:]
            sa.marks_version += 1
            sa.anomalies += len(idx)
            name, sid = sa.stream.name, sa.stream.session_id
            for i in range(max(0, len(idx) - MAX_ANOMALIES), len(idx)):
                self.anomalies.append(
                    Anomaly(name, sid, float(t[idx[i]]), float(x[i]), float(vals[i]), float(z[i]))
                )
            self.anomalies_total += len(idx)
        return True

    # ------------------------------------------------------------ queries

    def analysis(self, name: str) -> StreamAnalysis | None:
        return self.streams.get(name)

    def last_value(self, name: str) -> float:
        sa = self.streams.get(name)
        return sa.stats.last_v if sa else math.nan
