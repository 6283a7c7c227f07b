"""File menu entries for MCAP, the exchange format of Foxglove and PlotJuggler.

- Export recording as MCAP…: a ``.ssrec`` file converted (``core/files/mcap_export.py``);
- Export sessions as MCAP…: what the store holds now (copied on the GUI thread, written on a
  worker);
- ``.mcap`` files given to File ▸ Open or ``--open`` are read here (``FileActions.openers``):
  decoded in the background with progress, then shown like a recording's sessions, with what
  could not be read (a cut file, undecoded channels) told, not raised.

Built on ``FileActions`` (its dialogs, background tasks and messages), so the File feature
stays one place for the folders and the progress dialog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from streamscope.core.files import mcap_export, mcap_import
from streamscope.core.files import recording as rec
from streamscope.core.files.userdirs import recordings_dir, stamped_name
from streamscope.ui.file_actions import RECORDING_FILTER, FileActions
from streamscope.ui.progress import BackgroundTask

MCAP_FILTER = {"MCAP (*.mcap)": 0}


class McapActions(QObject):
    def __init__(self, files: FileActions) -> None:
        super().__init__(files)
        self.files = files
        files.mcap_actions = self
        files.openers[mcap_import.SUFFIX] = self.open_mcap
        w = files.window.window()
        menu, before = files.window.file_menu, files.chart_image_action
        self.export_recording_action = QAction("Export recording as &MCAP…", w)
        self.export_recording_action.setStatusTip(
            "Convert a recording for Foxglove or PlotJuggler (JSON messages)"
        )
        self.export_recording_action.triggered.connect(self._ask_export_recording)
        self.export_sessions_action = QAction("Export sessions as MC&AP…", w)
        self.export_sessions_action.setStatusTip(
            "Save every session shown in the browser for Foxglove or PlotJuggler"
        )
        self.export_sessions_action.triggered.connect(self._ask_export_sessions)
        # after "Export recording as CSV…", before the separator that ends that group
        anchor = _separator_before(menu, before)
        for a in (self.export_recording_action, self.export_sessions_action):
            menu.insertAction(anchor, a)

    # ------------------------------------------------------------ export

    def _ask_export_recording(self) -> None:
        f = self.files
        src = f._ask_open(
            "Recording to convert", RECORDING_FILTER, "recording_dir", recordings_dir()
        )
        if not src:
            return
        out, _ = f._ask_save(
            "Save MCAP as", f"{src.stem}.mcap", MCAP_FILTER, "mcap_dir", src.parent
        )
        if out:
            self.export_recording(src, out.with_suffix(".mcap"))

    def export_recording(self, src: Path, out: Path) -> BackgroundTask | None:
        try:
            rec.Recording(src).close()
        except rec.RecordingError as e:
            self.files.notify("Export recording as MCAP", str(e))
            return None

        def convert(progress):
            with rec.Recording(src) as r:
                return mcap_export.export_recording_mcap(r, out, progress)

        return self.files._run(f"Converting {src.name} to MCAP…", convert, self._saved)

    def _ask_export_sessions(self) -> None:
        if not self._has_sessions():
            self.files._say("No sessions to export: nothing has been received or opened yet")
            return
        out, _ = self.files._ask_save(
            "Export sessions as MCAP", stamped_name("sessions", ".mcap"), MCAP_FILTER,
            "mcap_dir", recordings_dir(),
        )  # fmt: skip
        if out:
            self.export_sessions(out.with_suffix(".mcap"))

    def _has_sessions(self) -> bool:
        return any(
            not s.internal and any(len(st) for st in s.streams.values())
            for s in self.files.store.sessions.values()
        )

    def export_sessions(self, out: Path) -> BackgroundTask | None:
        """Every session in the store (not the app's own metrics) to ``out``."""
        sessions = mcap_export.store_sessions(self.files.store)  # a copy, taken here
        if not sessions:
            self.files._say("No sessions to export")
            return None
        return self.files._run(
            f"Exporting {out.name}…",
            lambda progress: mcap_export.export_store_mcap(sessions, out, progress),
            self._saved,
        )

    def _saved(self, res: mcap_export.ExportResult) -> None:
        self.files._say(
            f"Saved {res.path.name}: {res.messages:,} messages, {res.samples:,} samples, "
            f"{len(res.topics)} topics  —  {res.path.parent}"
        )

    # ------------------------------------------------------------ import

    def open_mcap(self, path: Path) -> BackgroundTask | None:
        """Decode an MCAP file in the background and show it as one session."""
        path = Path(path)
        try:
            mcap_import.McapRecording(path)
        except rec.RecordingError as e:
            self.files.notify("Open MCAP", str(e))
            return None

        def read(progress):
            with mcap_import.McapRecording(path) as r:
                return r.read_all(progress), r.notes()

        def done(result) -> None:
            sessions, notes = result
            f = self.files
            added, problems = rec.add_to_store(f.store, path, sessions)
            f.window.browser.sync()
            n = sum(len(s.streams) for s in added)
            f._say(f"Opened {path.name}: {n} streams")
            if notes or problems or not n:
                lines = [*notes, *problems] or ["no JSON channel with numbers in it"]
                f.notify(f"Open {path.name}", "\n".join(lines))

        return self.files._run(f"Opening {path.name}…", read, done)


def _separator_before(menu, action: QAction) -> QAction:
    """The separator just above ``action`` in ``menu`` (else ``action`` itself)."""
    actions = menu.actions()
    i = actions.index(action) if action in actions else -1
    return actions[i - 1] if i > 0 and actions[i - 1].isSeparator() else action
