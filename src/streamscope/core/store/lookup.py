"""Which stored stream a name means: live data and opened recordings kept apart.

Why: ``Store.find`` takes the newest session holding a name, and a recording's sessions are
added after the live ones, so opening a recording froze every live chart on it. A chart's
curve names a stream *and* where it comes from: ``source`` "" is live ingest, else the path of
the recording it was read from (``Session.source``).
"""

from __future__ import annotations

from streamscope.core.store.store import Session, Store, Stream

LIVE = ""


def newest(store: Store, name: str, source: str = LIVE) -> Stream | None:
    """``name`` in the newest session of ``source`` that holds samples of it."""
    for session in reversed(store.sessions.values()):
        if session.source != source:
            continue
        stream = session.streams.get(name)
        if stream is not None and len(stream):
            return stream
    return None


def previous(store: Store, stream: Stream) -> Stream | None:
    """The same name in the session before ``stream``'s own, from the same source (the ghost
    overlay: the previous Play, never a recording under a live curve)."""
    own = store.sessions.get(stream.session_id)
    if own is None:
        return None
    found = False
    for session in reversed(store.sessions.values()):
        if found and session.source == own.source:
            other = session.streams.get(stream.name)
            if other is not None and len(other):
                return other
        found = found or session is own
    return None


def recordings(store: Store) -> dict[str, list[Session]]:
    """Open recordings (their paths, in the order opened) and their sessions."""
    out: dict[str, list[Session]] = {}
    for session in store.sessions.values():
        if session.source:
            out.setdefault(session.source, []).append(session)
    return out
