"""``streamscope record``: the central recorder. Every producer on the broker goes into one
``.ssrec`` file (``core/files/recording.py``: SQLite WAL, committed every 0.25 s), with no
window and no Qt.

Frames reach a store exactly as in the app (``NatsSource`` → the ingest server's
``handle_frame``), and the recording writer is that store's sink, so the file holds what a
viewer would show. The store itself keeps little (``RECORDER_CAPACITY`` per stream): the
writer is handed every sample as it arrives, before any is dropped from memory.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from streamscope.core.files.recording import SUFFIX, RecordingWriter
from streamscope.core.files.userdirs import timestamp
from streamscope.core.store.store import Store, StoreSettings
from streamscope.ingest.nats_link import BrokerLink
from streamscope.ingest.nats_source import NatsSource, Replay
from streamscope.ingest.server import IngestServer

log = logging.getLogger(__name__)
RECORDER_CAPACITY = 10_000  # samples per stream held in memory (the file holds them all)


class Recorder:
    def __init__(self, link: BrokerLink, folder: str | Path, replay: Replay | None = None) -> None:
        self.store = Store(StoreSettings(capacity=RECORDER_CAPACITY, max_total_samples=4_000_000))
        self.path = Path(folder) / f"recording_{timestamp()}{SUFFIX}"
        self.writer = RecordingWriter(self.path)  # RecordingError: the caller says why
        self.writer.attach(self.store)
        self.server = IngestServer(self.store)  # not listening: its frame handling only
        self.link = link
        self.source = NatsSource(link, self.server, replay or Replay())

    async def run(self, stop: asyncio.Event) -> None:
        """Record until ``stop``; then everything received is committed and the file closed."""
        self.link.start()
        print(f"streamscope record: {self.link.where} -> {self.path}", flush=True)
        try:
            await stop.wait()
        finally:
            await self.source.close()
            await self.link.close()
            for state in self.source.sources.values():  # like a viewer quitting: sessions end
                if state.conn.session_id is not None:
                    self.store.end_session(state.conn.session_id)
            await asyncio.get_running_loop().run_in_executor(None, self.writer.close)
            log.info(
                "recorded %d samples from %d sources to %s",
                self.writer.samples_written,
                len(self.source.sources),
                self.path,
            )
