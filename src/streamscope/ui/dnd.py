"""What a dragged stream carries: one MIME format shared by the browser and every drop target."""

from __future__ import annotations

import orjson
from PySide6.QtCore import QMimeData

STREAM_MIME = "application/x-streamscope-streams"


def streams_to_mime(refs: list[tuple[str, str]]) -> QMimeData:
    """``refs`` are (session id, stream name) pairs."""
    mime = QMimeData()
    mime.setData(STREAM_MIME, orjson.dumps([{"session": s, "stream": n} for s, n in refs]))
    mime.setText("\n".join(n for _, n in refs))
    return mime


def streams_from_mime(mime: QMimeData) -> list[tuple[str, str]]:
    """The (session id, stream name) pairs in ``mime``; empty if it carries none."""
    if not mime.hasFormat(STREAM_MIME):
        return []
    try:
        items = orjson.loads(bytes(mime.data(STREAM_MIME)))
        return [(str(i["session"]), str(i["stream"])) for i in items]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return []


class AcceptsStreams:
    """Mixin for a widget that takes streams dragged from the browser: put it before the Qt
    base class, give the class a ``streamsDropped = Signal(QMimeData)`` and call
    ``setAcceptDrops(True)``. Anything else dragged over it is refused."""

    def dragEnterEvent(self, ev) -> None:
        if streams_from_mime(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev) -> None:
        self.dragEnterEvent(ev)

    def dropEvent(self, ev) -> None:
        if streams_from_mime(ev.mimeData()):
            self.streamsDropped.emit(ev.mimeData())
            ev.acceptProposedAction()
        else:
            ev.ignore()
