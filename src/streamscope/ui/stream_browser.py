"""The stream browser: a session → stream tree with a filter box; streams drag onto charts.

Live sessions are top-level items, newest first; each opened recording is one group below
them (its file name, in italics on a tinted row), holding its sessions: a recording is never
mistaken for live data, and its context menu charts or closes it."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator
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

from streamscope.core.analysis.fmt import fmt_si
from streamscope.core.store.store import Session, Store
from streamscope.ui.dnd import streams_to_mime

REF_ROLE = Qt.ItemDataRole.UserRole  # (session id, stream name) on stream items
SOURCE_ROLE = Qt.ItemDataRole.UserRole + 1  # a recording's path, on its group and below
SESSION_ROLE = Qt.ItemDataRole.UserRole + 2  # the session id, on session rows
RECORDING_TINT = QColor(120, 90, 30, 70)  # the background of a recording's group row
WARN_COLOR = QColor(230, 81, 0)  # a session's error count (the status bar's warning colour)
COUNT_INTERVAL = 0.5  # s between sample-count refreshes of the visible rows (2 Hz)


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
    """Mirrors the store; ``sync`` is called from the render clock, never from ingest.

    Its cost follows what is shown, not what is stored: a structure change adds or removes
    only the rows that changed (each session's stream names are read from where the last
    sync stopped), and counts are refreshed ``count_interval`` apart for the rows in the
    viewport only (a collapsed session's streams are not)."""

    streamActivated = Signal(str, str)  # session id, stream name (double-click / Enter)
    chartRecording = Signal(str)  # a recording's path: "Chart this recording"
    closeRecording = Signal(str)  # a recording's path: "Close recording"

    count_interval = COUNT_INTERVAL

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter streams…  (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tree = _Tree()
        self.tree.setHeaderLabels(["Stream", "Samples"])
        self.tree.setColumnWidth(0, 190)
        self.tree.setUniformRowHeights(True)  # no per-row size hints: layout cost stays flat
        self.tree.setDragEnabled(True)
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        self.tree.itemActivated.connect(self._activated)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        # Rows scrolled or expanded into view get their counts at once, not at the next refresh.
        self.tree.verticalScrollBar().valueChanged.connect(lambda _v: self._refresh_visible())
        self.tree.itemExpanded.connect(lambda _item: self._refresh_visible())
        # Sends a command to the client feeding a session; False if that client is gone.
        self.send_command: Callable[[str, dict], bool] = lambda _sid, _msg: False
        # Errors answered to the clients of a session so far (wired by the app to the server).
        self.errors_of: Callable[[str], int] = lambda _sid: 0
        self.paused_at_source: set[tuple[str, str]] = set()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.filter)
        lay.addWidget(self.tree)
        self._sessions: dict[str, QTreeWidgetItem] = {}
        self._shown: dict[str, Session] = {}  # the session object each session row shows
        self._names: dict[str, list[str]] = {}  # session id -> its stream names, row order
        self._streams: dict[tuple[str, str], QTreeWidgetItem] = {}
        self._recordings: dict[str, QTreeWidgetItem] = {}  # path -> group item
        self._structure = -1
        self._counted = -float("inf")  # monotonic time of the last count refresh
        self.rows_updated = 0  # rows whose text the last count refresh changed
        self._updating = False

    def sync(self) -> None:
        """Add/remove rows for new/dropped sessions and streams; refresh the visible counts
        (at once after a structure change, else ``count_interval`` apart)."""
        changed = self._structure != self.store.structure_version
        if changed:
            self._structure = self.store.structure_version
            self._updating = True  # rows expanded or scrolled meanwhile are refreshed below
            try:
                self._update_structure()
            finally:
                self._updating = False
        now = time.monotonic()
        if changed or now - self._counted >= self.count_interval:
            self._counted = now
            self._refresh_visible()

    # ------------------------------------------------------------ structure

    def _update_structure(self) -> None:
        sessions = self.store.sessions
        for sid in [s for s, obj in self._shown.items() if sessions.get(s) is not obj]:
            self._remove_session(sid)
        sources = {s.source for s in sessions.values() if s.source}
        for path in [p for p in self._recordings if p not in sources]:
            group = self._recordings.pop(path)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(group))
        needle = self._needle()
        for sid, session in sessions.items():
            root = self._sessions.get(sid)
            if root is None:
                root = self._add_session(session)
            self._show_session(root, session)
            names = self._names[sid]
            if len(session.streams) > len(names):  # streams are only ever added to a session
                fresh = list(itertools.islice(session.streams, len(names), None))
                self._add_streams(root, session, fresh, needle)

    def _add_session(self, session: Session) -> QTreeWidgetItem:
        root = QTreeWidgetItem([session.name, ""])
        root.setFlags(root.flags() & ~Qt.ItemFlag.ItemIsDragEnabled)
        root.setData(0, SESSION_ROLE, session.id)
        group = self._recording_group(session.source) if session.source else None
        if group is not None:
            root.setData(0, SOURCE_ROLE, session.source)
            group.addChild(root)
        else:
            self.tree.insertTopLevelItem(0, root)  # newest first, above recordings
        self._sessions[session.id] = root
        self._shown[session.id] = session
        self._names[session.id] = []
        root.setExpanded(True)
        root.setHidden(bool(self._needle()))  # shown again by its first matching stream
        if group is not None:
            group.setHidden(all(group.child(i).isHidden() for i in range(group.childCount())))
        return root

    def _remove_session(self, sid: str) -> None:
        root = self._sessions.pop(sid)
        del self._shown[sid]
        parent = root.parent()
        if parent is not None:
            parent.removeChild(root)
        else:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(root))
        for name in self._names.pop(sid):
            del self._streams[(sid, name)]

    def _show_session(self, root: QTreeWidgetItem, session: Session) -> None:
        """The session row's name, tooltip and status (live/ended/recorded, errors)."""
        started = dt.datetime.fromtimestamp(session.started).strftime("%H:%M:%S")
        root.setText(0, session.name)
        root.setToolTip(
            0,
            f"{session.name}\nstarted {started}\nclient {session.client or '?'}\n"
            f"peer {session.peer}\nsession id {session.id}",
        )
        self._show_status(root, session)

    def _show_status(self, root: QTreeWidgetItem, session: Session) -> bool:
        """Column 1 of a session row; True if its text changed."""
        status = "recorded" if session.source else "live" if session.live else "ended"
        errors = 0 if session.source else self.errors_of(session.id)
        text = f"{status} ⚠ {fmt_si(errors)}" if errors else status
        if root.text(1) == text:
            return False
        root.setText(1, text)
        if errors:
            root.setForeground(1, QBrush(WARN_COLOR))
            root.setToolTip(
                1,
                f"{errors:,} error{'s' if errors != 1 else ''} in what this session's client sent\n"
                "(rejected samples, malformed frames), answered at a limited rate;\n"
                "its valid samples were kept",
            )
        return True

    def _add_streams(
        self, root: QTreeWidgetItem, session: Session, fresh: list[str], needle: str
    ) -> None:
        """Rows for ``fresh`` stream names, each at its place in name order."""
        sid, names = session.id, self._names[session.id]
        items = []
        for name in sorted(fresh):
            item = QTreeWidgetItem([name, f"{len(session.streams[name]):,}"])
            item.setData(0, REF_ROLE, [sid, name])
            if session.source:
                item.setData(0, SOURCE_ROLE, session.source)
            item.setToolTip(0, "Drag onto a chart, or onto empty space for a new chart")
            self._streams[(sid, name)] = item
            items.append((name, item))
        if not names or names[-1] < items[0][0]:  # all after the existing rows: one insert
            root.addChildren([item for _, item in items])
            names.extend(name for name, _ in items)
        else:
            for name, item in items:
                at = bisect.bisect(names, name)
                names.insert(at, name)
                root.insertChild(at, item)
        if not needle:
            return
        shown = 0
        for name, item in items:  # hidden only once in the tree (Qt ignores it before)
            item.setHidden(needle not in name.lower())
            shown += not item.isHidden()
        if shown:
            root.setHidden(False)
            if (group := root.parent()) is not None:
                group.setHidden(False)

    # ------------------------------------------------------------ counts

    def _refresh_visible(self) -> None:
        """Counts of the stream rows in the viewport, status of its session rows."""
        if self._updating:
            return
        self.rows_updated = 0
        for item in self._visible_items():
            ref = item.data(0, REF_ROLE)
            if ref:
                session = self.store.sessions.get(ref[0])
                stream = session.streams.get(ref[1]) if session else None
                text = f"{len(stream):,}" if stream is not None else ""
                if item.text(1) != text:
                    item.setText(1, text)
                    self.rows_updated += 1
            elif (sid := item.data(0, SESSION_ROLE)) in self._shown:
                self.rows_updated += self._show_status(item, self._shown[sid])

    def _visible_items(self) -> Iterator[QTreeWidgetItem]:
        """The rows drawn in the viewport now, top to bottom (none while the panel is hidden)."""
        tree = self.tree
        if not tree.isVisible():
            return
        bottom = tree.viewport().height()
        item = tree.itemAt(0, 0)
        while item is not None and tree.visualItemRect(item).top() < bottom:
            yield item
            item = tree.itemBelow(item)

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

    def _needle(self) -> str:
        return self.filter.text().strip().lower()

    def _apply_filter(self, text: str) -> None:
        """Show only the streams whose name holds ``text`` (and the sessions that have one)."""
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
