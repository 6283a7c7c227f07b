"""The stream browser: a session → stream tree with a filter box; streams drag onto charts.

Live sessions are top-level items, newest first; each opened recording is one group below
them (its file name, in italics on a tinted row), holding its sessions: a recording is never
mistaken for live data, and its context menu charts or closes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streamscope.core.store.store import Store
from streamscope.ui.dnd import streams_to_mime

REF_ROLE = Qt.ItemDataRole.UserRole  # (session id, stream name) on stream items
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1  # a recording's path, on its group and below
RECORDING_TINT = QColor(120, 90, 30, 70)  # the background of a recording's group row


class _Tree(QTreeWidget):
    dragging = Signal(bool)  # a drag of streams started (True) / ended (False)

    def startDrag(self, actions) -> None:
        self.dragging.emit(True)
        try:
            super().startDrag(actions)
        finally:
            self.dragging.emit(False)

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:
        refs = [it.data(0, REF_ROLE) for it in items if it.data(0, REF_ROLE)]
        return streams_to_mime([tuple(r) for r in refs])


class StreamBrowser(QWidget):
    """Mirrors the store; ``sync`` is called from the render clock, never from ingest."""

    streamActivated = Signal(str, str)  # session id, stream name (double-click / Enter)
    chartRecording = Signal(str)  # a recording's path: "Chart this recording"
    closeRecording = Signal(str)  # a recording's path: "Close recording"

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter streams…  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = _Tree()
        self.tree.setHeaderLabels(["Stream", "Samples"])
        self.tree.setColumnWidth(0, 210)
        self.tree.setDragEnabled(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemActivated.connect(self._activated)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        # Sends a command to the client feeding a session; False if that client is gone.
        self.send_command: Callable[[str, dict], bool] = lambda _sid, _msg: False
        self.paused_at_source: set[tuple[str, str]] = set()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.filter)
        lay.addWidget(self.tree)
        self._sessions: dict[str, QTreeWidgetItem] = {}
        self._streams: dict[tuple[str, str], QTreeWidgetItem] = {}
        self._recordings: dict[str, QTreeWidgetItem] = {}  # path -> group item
        self._structure = -1

    def sync(self) -> None:
        """Add/remove items for new/dropped sessions and streams; refresh counts."""
        if self._structure != self.store.structure_version:
            self._structure = self.store.structure_version
            self._rebuild()
        for (sid, name), item in self._streams.items():
            stream = self.store.sessions[sid].streams[name]
            item.setText(1, f"{len(stream):,}")

    def _rebuild(self) -> None:
        sessions = self.store.sessions
        for sid in [s for s in self._sessions if s not in sessions]:
            root = self._sessions.pop(sid)
            parent = root.parent()
            if parent is not None:
                parent.removeChild(root)
            else:
                self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(root))
            for key in [k for k in self._streams if k[0] == sid]:
                del self._streams[key]
        sources = {s.source for s in sessions.values() if s.source}
        for path in [p for p in self._recordings if p not in sources]:
            group = self._recordings.pop(path)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(group))
        for sid, session in sessions.items():
            root = self._sessions.get(sid)
            if root is None:
                root = QTreeWidgetItem([session.name, ""])
                root.setFlags(root.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
                if session.source:
                    root.setData(0, SOURCE_ROLE, session.source)
                    self._recording_group(session.source).addChild(root)
                else:
                    self.tree.insertTopLevelItem(0, root)  # newest first, above recordings
                self._sessions[sid] = root
                root.setExpanded(True)
            started = dt.datetime.fromtimestamp(session.started).strftime("%H:%M:%S")
            root.setText(0, session.name)
            root.setText(1, "recorded" if session.source else "live" if session.live else "ended")
            root.setToolTip(
                0,
                f"{session.name}\nstarted {started}\nclient {session.client or '?'}\n"
                f"peer {session.peer}\nsession id {sid}",
            )
            for name in session.streams:
                if (sid, name) not in self._streams:
                    item = QTreeWidgetItem(root, [name, ""])
                    item.setData(0, REF_ROLE, [sid, name])
                    if session.source:
                        item.setData(0, SOURCE_ROLE, session.source)
                    item.setToolTip(0, "Drag onto a chart, or onto empty space for a new chart")
                    self._streams[(sid, name)] = item
            root.sortChildren(0, Qt.SortOrder.AscendingOrder)
        self._apply_filter(self.filter.text())

    def _recording_group(self, path: str) -> QTreeWidgetItem:
        """The group item of recording ``path``, made below every live session."""
        group = self._recordings.get(path)
        if group is None:
            group = QTreeWidgetItem([f"Recording: {Path(path).name}", "file"])
            group.setFlags(group.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
            group.setData(0, SOURCE_ROLE, path)
            group.setToolTip(0, f"{path}\nRight-click: Chart this recording, Close recording")
            font = group.font(0)
            font.setItalic(True)
            font.setBold(True)
            for col in (0, 1):
                group.setFont(col, font)
                group.setBackground(col, QBrush(RECORDING_TINT))
            self.tree.addTopLevelItem(group)  # below the live sessions
            group.setExpanded(True)
            self._recordings[path] = group
        return group

    def recording_paths(self) -> list[str]:
        """The recordings shown, in the order opened."""
        return list(self._recordings)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().lower()
        for root in self._sessions.values():
            shown = 0
            for i in range(root.childCount()):
                child = root.child(i)
                hide = bool(needle) and needle not in child.data(0, REF_ROLE)[1].lower()
                child.setHidden(hide)
                shown += not hide
            root.setHidden(bool(needle) and shown == 0)
        for group in self._recordings.values():
            kids = [group.child(i) for i in range(group.childCount())]
            group.setHidden(bool(needle) and all(k.isHidden() for k in kids))

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        ref = item.data(0, REF_ROLE)
        if ref:
            self.streamActivated.emit(ref[0], ref[1])

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        ref = item.data(0, REF_ROLE) if item else None
        source = item.data(0, SOURCE_ROLE) if item else None
        menu = QMenu(self)
        if source:
            menu.addAction("Chart this recording", lambda: self.chartRecording.emit(source))
            menu.addAction("Close recording", lambda: self.closeRecording.emit(source))
            if not ref:
                menu.exec(self.tree.viewport().mapToGlobal(pos))
                return
            menu.addSeparator()
        if not ref:
            return
        sid, name = ref
        menu.addAction("Chart in the newest chart", lambda: self.streamActivated.emit(sid, name))
        live = self.store.sessions[sid].live
        if (sid, name) in self.paused_at_source:
            act = menu.addAction(
                "Resume at source", lambda: self.set_source_paused(sid, name, False)
            )
        else:
            act = menu.addAction("Pause at source", lambda: self.set_source_paused(sid, name, True))
        act.setEnabled(live)
        act.setToolTip("Ask the client to stop/start sending this metric")
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def set_source_paused(self, sid: str, name: str, paused: bool) -> bool:
        """Ask the client feeding ``sid`` to stop/start sending ``name`` (original protocol).

        On resume, first ask for the client's recent history: it kept recording while paused,
        and its reply (stored as backfill, only what is newer) closes the gap before live
        samples move the stream on."""
        if not paused:
            self.send_command(sid, {"type": "request_historical_data", "metric": name})
        kind = "stop_streaming" if paused else "start_streaming"
        if not self.send_command(sid, {"type": kind, "metric": name}):
            return False
        if paused:
            self.paused_at_source.add((sid, name))
        else:
            self.paused_at_source.discard((sid, name))
        item = self._streams.get((sid, name))
        if item is not None:
            font = item.font(0)
            font.setItalic(paused)
            item.setFont(0, font)
            item.setText(0, f"{name} (paused at source)" if paused else name)
        return True

    def selected_refs(self) -> list[tuple[str, str]]:
        return [
            tuple(it.data(0, REF_ROLE)) for it in self.tree.selectedItems() if it.data(0, REF_ROLE)
        ]
