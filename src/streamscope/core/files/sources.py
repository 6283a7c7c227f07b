"""Files that open like a recording: StreamScope's own ``.ssrec`` and MCAP.

``RecordingSource`` is what the readers have in common (sessions, streams, samples on demand),
so the CSV export, ``streamscope export`` and the app's open path take either;
``open_recording_file`` picks the reader by the file's first bytes (an MCAP file renamed
still opens).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from streamscope.core.files.mcap_import import McapRecording, is_mcap
from streamscope.core.files.progress import Progress, no_progress
from streamscope.core.files.recording import RecordedSession, RecordedStream, Recording

Series = tuple[np.ndarray, np.ndarray]
SUFFIXES = (".ssrec", ".mcap")


class RecordingSource(Protocol):
    path: Path

    @property
    def sessions(self) -> list[RecordedSession]: ...

    @property
    def total_samples(self) -> int: ...

    def stream_names(self) -> list[str]: ...

    def read(
        self, stream: RecordedStream, progress: Progress = no_progress, done: int = 0,
        total: int | None = None,
    ) -> Series: ...  # fmt: skip

    def read_all(
        self, progress: Progress = no_progress
    ) -> list[tuple[RecordedSession, dict[str, Series]]]: ...

    def notes(self) -> list[str]: ...

    def close(self) -> None: ...


def open_recording_file(path: str | Path) -> Recording | McapRecording:
    """The reader for ``path``: MCAP by its magic bytes, else a StreamScope recording
    (``RecordingError`` says why a file is neither)."""
    return McapRecording(path) if is_mcap(path) else Recording(path)
