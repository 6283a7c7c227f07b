"""``streamscope export FILE [--csv OUT] [--mcap OUT] [--streams a,b]``: read a recording
(``.ssrec``) or an MCAP file without the app.

Without ``--csv``/``--mcap`` it lists the sessions and streams inside. ``--csv`` converts to CSV
(the format of ``core/files/csvexport.py``); ``--mcap`` converts a recording to MCAP
(``core/files/mcap_export.py``). Progress shows on a terminal; Ctrl+C stops and leaves no
partial file.

A damaged recording is read as far as it is intact: what was skipped (chunks and samples, and
the first reasons) is printed on stderr and the exit status is 3 (``DAMAGED``), the file or
listing holding the rest. 0: all read; 1: the CSV could not be written; 2: not a recording.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from streamscope.core.files.csvexport import export_recording_csv
from streamscope.core.files.mcap_export import export_recording_mcap
from streamscope.core.files.mcap_import import McapRecording
from streamscope.core.files.recording import Recording, RecordingError
from streamscope.core.files.sources import RecordingSource, open_recording_file

DAMAGED = 3  # exit status: done, from the intact part of a damaged recording


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamscope export",
        description="Show what a StreamScope recording or an MCAP file holds, or convert it "
        "(to CSV; a recording also to MCAP, for Foxglove and PlotJuggler).",
    )
    p.add_argument("recording", help="a recording file (.ssrec) or an MCAP file (.mcap)")
    p.add_argument("--csv", metavar="OUT", help="write every session's samples to this CSV")
    p.add_argument(
        "--mcap", metavar="OUT", help="write a recording's sessions to this MCAP file (JSON)"
    )
    p.add_argument(
        "--streams", metavar="A,B", help="only these comma-separated streams (default: all)"
    )
    return p


class _TerminalProgress:
    """Percent on one line, redrawn at most 5 times a second (only on a terminal)."""

    def __init__(self, stream=None) -> None:
        self.stream = sys.stderr if stream is None else stream  # the one in force now
        self.tty = self.stream.isatty()
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.tty and total and now - self.shown >= 0.2:
            self.shown = now
            self.stream.write(f"\r{100 * done / total:5.1f} %")
            self.stream.flush()

    def clear(self) -> None:
        if self.tty:
            self.stream.write("\r" + " " * 10 + "\r")


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.csv and args.mcap:
        parser.error("choose one of --csv and --mcap")
    try:
        recording = open_recording_file(args.recording)
    except RecordingError as e:
        print(f"streamscope export: {e}", file=sys.stderr)
        return 2
    if args.mcap and not isinstance(recording, Recording):
        recording.close()
        print("streamscope export: --mcap converts a recording (.ssrec); this file is MCAP "
              "already", file=sys.stderr)  # fmt: skip
        return 2
    with recording:
        if isinstance(recording, McapRecording):
            _load(recording)
        if not args.csv and not args.mcap:
            _summary(recording)
            return _damage(recording)
        streams = [s.strip() for s in args.streams.split(",")] if args.streams else None
        if streams is not None:
            unknown = sorted(set(streams) - set(recording.stream_names()))
            if unknown:
                print(
                    f"streamscope export: no stream named {', '.join(unknown)} in "
                    f"{args.recording}; it has: {', '.join(recording.stream_names())}",
                    file=sys.stderr,
                )
                return 2
        progress = _TerminalProgress()
        out = args.csv or args.mcap
        try:
            if args.mcap:
                assert isinstance(recording, Recording)
                res = export_recording_mcap(recording, Path(out), progress, streams)
                done = (
                    f"{res.messages:,} messages, {res.samples:,} samples, {len(res.topics)} topics"
                )
            else:
                rows = export_recording_csv(recording, Path(out), progress, streams)
                done = f"{rows:,} rows, {recording.total_samples:,} samples"
        except KeyboardInterrupt:
            progress.clear()
            print("streamscope export: cancelled; no file written", file=sys.stderr)
            return 130
        except OSError as e:
            progress.clear()
            print(f"streamscope export: cannot write {out}: {e}", file=sys.stderr)
            return 1
        progress.clear()
        print(f"wrote {out}: {done}")
        return _damage(recording)


def _damage(recording: RecordingSource) -> int:
    """Tell what a damaged recording cost (stderr); the exit status that says so. (An MCAP
    file's problems are its notes, printed when it was read.)"""
    if not isinstance(recording, Recording) or recording.report.ok:
        return 0
    print(f"streamscope export: {recording.path} is damaged; "
          f"{recording.report.message()}", file=sys.stderr)  # fmt: skip
    return DAMAGED


def _load(recording: McapRecording) -> None:
    """Decode an MCAP file (with progress), then say what could not be read."""
    progress = _TerminalProgress()
    try:
        recording.load(progress)
    finally:
        progress.clear()
    for note in recording.notes():
        print(f"streamscope export: {note}", file=sys.stderr)


def _summary(recording: RecordingSource) -> None:
    print(f"{recording.path}: {len(recording.sessions)} sessions, "
          f"{recording.total_samples:,} samples")  # fmt: skip
    for s in recording.sessions:
        print(f"  {s.name}  ({s.count:,} samples)")
        for st in s.streams:
            span = f"  t {st.t0:.6g} … {st.t1:.6g}" if st.count else ""
            print(f"    {st.name}: {st.count:,}{span}")
