"""Alert rules and their log: type ``fps < 30 for 2 s`` and press Enter; each rule shows
whether it is active now, how often it fired and when; the log lists every fire and clear.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.analysis.alerts import AlertRule, RuleError, rules_from_json, rules_to_json
from streamscope.core.analysis.fmt import fmt_value
from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.store.store import Store
from streamscope.ui.analysis.dock import AnalysisDock

RULE_ID = Qt.ItemDataRole.UserRole
ACTIVE = QColor("#ff5252")


class AlertsDock(AnalysisDock):
    def __init__(self, store: Store, hub: AnalysisHub, parent: QWidget | None = None) -> None:
        super().__init__("Alerts", "alerts", store, hub, parent)
        self.book = hub.alerts
        self._version = -1
        self._structure = -1
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.entry = QLineEdit()
        self.entry.setPlaceholderText("New rule, e.g.  fps < 30 for 2 s   (Enter)")
        self.entry.setToolTip(
            "stream, one of > >= < <=, a threshold, optionally 'for' a duration (s or ms).\n"
            "It fires when the condition has held that long, and clears when it stops."
        )
        self.entry.returnPressed.connect(self.add_from_entry)
        self._names = QStringListModel()
        completer = QCompleter(self._names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.entry.setCompleter(completer)
        add = QPushButton("Add")
        add.clicked.connect(self.add_from_entry)
        bar.addWidget(self.entry, 1)
        bar.addWidget(add)
        lay.addLayout(bar)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #ef5350")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        lay.addWidget(self.error)

        self.rules = QTreeWidget()
        self.rules.setHeaderLabels(["Rule", "State", "Fired", "Last fired (s)"])
        self.rules.setRootIsDecorated(False)
        _fit_columns(self.rules)
        self.rules.itemChanged.connect(self._item_changed)
        self.rules.setToolTip("Untick a rule to pause it; Delete removes the selected rule")
        remove = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.rules)
        remove.activated.connect(self.remove_selected)
        self.log = QTreeWidget()
        self.log.setHeaderLabels(["Time (s)", "Rule", "Event", "Value"])
        self.log.setRootIsDecorated(False)
        _fit_columns(self.log, stretch=1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.rules)
        split.addWidget(self.log)
        lay.addWidget(split, 1)
        self.setWidget(body)

    # ------------------------------------------------------------ layouts

    def state(self) -> dict:
        """The rules, as a layout saves them (its ``alert_rules`` list is ``rules``)."""
        return {"rules": json.loads(rules_to_json(self.book.rules))}

    def restore(self, state: dict) -> None:
        """Replace every rule with the saved ones; raises ``RuleError`` on a bad rule."""
        self.book.replace_all(rules_from_json(json.dumps(state.get("rules", []))))

    # ------------------------------------------------------------ editing

    def add_from_entry(self) -> AlertRule | None:
        text = self.entry.text().strip()
        if not text:
            return None
        try:
            rule = AlertRule.parse(text)
        except RuleError as e:
            self._show_error(str(e))
            return None
        self.book.add(rule)
        self.entry.clear()
        self._show_error("")
        known = set(self.store.stream_names()) | set(self.hub.derived)
        if rule.stream not in known:
            self._show_error(
                f"Added; no stream named '{rule.stream}' yet — it applies when one arrives.",
                note=True,
            )
        self.refresh()
        return rule

    def prefill(self, stream: str) -> None:
        self.entry.setText(f"{stream} > ")
        self.entry.setFocus()
        self.entry.end(False)

    def remove_selected(self) -> None:
        for item in self.rules.selectedItems():
            self.book.remove(item.data(0, RULE_ID))
        self.refresh()

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.book.set_enabled(
                item.data(0, RULE_ID), item.checkState(0) == Qt.CheckState.Checked
            )

    def _show_error(self, text: str, note: bool = False) -> None:
        self.error.setStyleSheet(f"color: {'#ffb74d' if note else '#ef5350'}")  # note: amber
        self.error.setText(text)
        self.error.setVisible(bool(text))

    # ------------------------------------------------------------ display

    def refresh(self) -> bool:
        store = self.store
        if self._structure != store.structure_version:
            self._structure = store.structure_version
            self._names.setStringList(sorted(set(store.stream_names())))
        if self._version == self.book.version:
            return False
        self._version = self.book.version
        self.rules.blockSignals(True)
        self.rules.clear()
        for st in self.book.states:
            r = st.rule
            state = "ACTIVE" if st.active else ("paused" if not r.enabled else "ok")
            last = f"{st.last_fired:.2f}" if st.last_fired is not None else ""
            item = QTreeWidgetItem([r.describe(), state, str(st.fired), last])
            item.setData(0, RULE_ID, r.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if r.enabled else Qt.CheckState.Unchecked)
            if st.active:
                for col in range(4):
                    item.setForeground(col, QBrush(ACTIVE))
            self.rules.addTopLevelItem(item)
        self.rules.blockSignals(False)
        self.log.clear()
        for ev in list(self.book.events)[::-1][:500]:
            item = QTreeWidgetItem([f"{ev.x:.3f}", ev.rule, ev.kind, fmt_value(ev.value)])
            if ev.kind == "fired":
                item.setForeground(2, QBrush(ACTIVE))
            self.log.addTopLevelItem(item)
        return True


def _fit_columns(tree: QTreeWidget, stretch: int = 0) -> None:
    """One column takes the spare width, the others fit their contents (narrow docks)."""
    header = tree.header()
    header.setStretchLastSection(False)
    for col in range(tree.columnCount()):
        mode = (
            QHeaderView.ResizeMode.Stretch
            if col == stretch
            else QHeaderView.ResizeMode.ResizeToContents
        )
        header.setSectionResizeMode(col, mode)
