"""The Anomalies list: every outlier the rolling z-score found (newest first), its settings,
and a click that centres the charts showing that stream on the anomaly.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.analysis.anomaly import AnomalyConfig
from streamscope.core.analysis.fmt import fmt_value, fmt_z
from streamscope.core.analysis.hub import AnalysisHub, Anomaly
from streamscope.core.store.store import Store
from streamscope.ui.analysis.dock import AnalysisDock

COLUMNS = ("Time (s)", "Stream", "Value", "z", "Session")


class AnomalyModel(QAbstractTableModel):
    """Rows are the hub's anomaly list, newest first; ``sync`` inserts what is new."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Anomaly] = []  # newest first
        self.session_names: dict[str, str] = {}

    def rowCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{a.x:.3f}",
                a.stream,
                fmt_value(a.value),
                fmt_z(a.z),
                self.session_names.get(a.session_id, a.session_id),
            )[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Click to show it on the charts that plot this stream"
        return None

    def sync(self, source: list[Anomaly], new: int, rebuilt: bool) -> None:
        """``source`` oldest first; ``new`` of its last entries are not shown yet."""
        if rebuilt or new >= len(source):
            self.beginResetModel()
            self.rows = source[::-1]
            self.endResetModel()
            return
        if new > 0:
            self.beginInsertRows(QModelIndex(), 0, new - 1)
            self.rows[0:0] = source[: -new - 1 : -1]
            self.endInsertRows()
        extra = len(self.rows) - len(source)
        if extra > 0:
            self.beginRemoveRows(QModelIndex(), len(source), len(self.rows) - 1)
            del self.rows[len(source) :]
            self.endRemoveRows()


class AnomaliesDock(AnalysisDock):
    anomalyActivated = Signal(object)  # Anomaly

    def __init__(self, store: Store, hub: AnalysisHub, parent: QWidget | None = None) -> None:
        super().__init__("Anomalies", "anomalies", store, hub, parent)
        self._seen_total = 0
        self._epoch = hub.anomaly_epoch
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        cfg = hub.anomaly_config
        self.window_spin = QSpinBox()
        self.window_spin.setRange(3, 100_000)
        self.window_spin.setValue(cfg.window)
        self.window_spin.setSuffix(" samples")
        self.window_spin.setToolTip("Baseline: the samples before each one")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.5, 1000.0)
        self.threshold_spin.setSingleStep(0.5)
        self.threshold_spin.setValue(cfg.threshold)
        self.threshold_spin.setPrefix("|z| > ")
        self.threshold_spin.setToolTip("How many standard deviations from the baseline is odd")
        for w in (self.window_spin, self.threshold_spin):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._config_changed)
        self.count_label = QLabel("")
        clear = QPushButton("Clear")
        clear.setToolTip("Empty the list (the marks on the charts stay)")
        clear.clicked.connect(self.clear)
        bar.addWidget(self.window_spin)
        bar.addWidget(self.threshold_spin)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(clear)
        lay.addLayout(bar)
        self.model = AnomalyModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # the session name
        header.setMinimumSectionSize(40)
        self.table.clicked.connect(self._clicked)
        self.table.activated.connect(self._clicked)
        lay.addWidget(self.table, 1)
        self.setWidget(body)
        self._hidden_before = 0  # anomalies_total at the last Clear

    def state(self) -> dict:
        """The detector's settings, as a layout saves them (``anomaly``)."""
        cfg = self.hub.anomaly_config
        return {"window": cfg.window, "threshold": cfg.threshold}

    def restore(self, state: dict) -> None:
        """Apply saved settings to the hub and show them; raises on a malformed part."""
        cfg = AnomalyConfig(int(state.get("window", 100)), float(state.get("threshold", 3.0)))
        self.hub.set_anomaly_config(cfg)
        self.window_spin.setValue(self.hub.anomaly_config.window)
        self.threshold_spin.setValue(self.hub.anomaly_config.threshold)

    def _config_changed(self, *_) -> None:
        try:
            cfg = AnomalyConfig(self.window_spin.value(), self.threshold_spin.value())
        except ValueError as e:
            self.count_label.setText(str(e))
            return
        self.hub.set_anomaly_config(cfg)

    def clear(self) -> None:
        hub = self.hub
        self._hidden_before = hub.anomalies_total
        self.model.beginResetModel()
        self.model.rows = []
        self.model.endResetModel()
        self._seen_total = hub.anomalies_total
        self._update_count()

    def refresh(self) -> bool:
        hub = self.hub
        rebuilt = hub.anomaly_epoch != self._epoch
        new = hub.anomalies_total - self._seen_total
        if not rebuilt and new == 0:
            return False
        if rebuilt:
            self._epoch = hub.anomaly_epoch
            self._hidden_before = 0
        self.model.session_names = {s.id: s.name for s in self.store.sessions.values()}
        shown = hub.anomalies_total - self._hidden_before
        source = list(hub.anomalies)[-shown:] if shown > 0 else []
        self.model.sync(source, min(new, len(source)), rebuilt)
        self._seen_total = hub.anomalies_total
        self._update_count()
        return True

    def _update_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} anomal{'y' if n == 1 else 'ies'}")

    def _clicked(self, index) -> None:
        if index.isValid():
            self.anomalyActivated.emit(self.model.rows[index.row()])
