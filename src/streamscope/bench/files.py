"""Files: MCAP export of a recording and MCAP import, N samples in 8 streams.

Each phase runs in a fresh child process, so its peak memory is its own (a thread samples
psutil's RSS every 10 ms; the process's own peak where the OS keeps one):
- export: a ``.ssrec`` recording (8 streams sampled together at 1 kHz, as a Unity client
  sends them) → ``export_recording_mcap``: one message per row, 8 values each;
- import: that MCAP file → ``McapRecording.read_all`` (what File ▸ Open does before the
  samples go to the store).

    python -m streamscope.bench.files --samples 10e6      # prints one JSON line per phase
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import psutil

STREAMS = 8
EXPORT_S = IMPORT_S = 30.0  # targets, printed not asserted
PEAK_MB = 1000.0


@dataclass
class FilesRow:
    phase: str  # "export" or "import"
    samples: int
    seconds: float
    samples_per_s: float
    file_bytes: int
    bytes_per_sample: float  # of the MCAP file
    peak_rss_mb: float
    messages: int


class PeakRss:
    """The highest RSS seen while it runs (sampled; psutil: every OS)."""

    def __init__(self, interval: float = 0.01) -> None:
        self.proc = psutil.Process()
        self.peak = float(self.proc.memory_info().rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.peak = max(self.peak, float(self.proc.memory_info().rss))

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, float(self.proc.memory_info().rss))

    @property
    def mb(self) -> float:
        peak = self.peak
        try:  # Linux keeps the true peak (VmHWM); sampling may miss a short spike
            import resource

            peak = max(peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0)
        except (ImportError, OSError):
            pass
        return peak / 1e6


def make_recording(path: Path, samples: int) -> None:
    """A recording of one session: 8 streams (two nested under ``imu/``) at 1 kHz."""
    from streamscope.core.files.recording import RecordingWriter
    from streamscope.core.store.store import Session

    per = -(-samples // STREAMS)
    session = Session("bench", "Bench", 1, started=1.7e9, origin=0.0)
    rng = np.random.default_rng(5)
    with RecordingWriter(path) as writer:
        writer.session_opened(session)
        step = 250_000
        for a in range(0, per, step):
            n = min(step, per - a)
            t = (a + np.arange(n)) * 1e-3
            for i in range(STREAMS):
                name = f"imu/a{i}" if i >= 6 else f"s{i}"
                writer.samples_added(session, name, t, rng.standard_normal(n).round(6))


def _export(src: Path, out: Path) -> dict[str, object]:
    from streamscope.core.files.mcap_export import export_recording_mcap
    from streamscope.core.files.recording import Recording

    with PeakRss() as peak:
        t0 = time.perf_counter()
        with Recording(src) as rec:
            res = export_recording_mcap(rec, out)
        secs = time.perf_counter() - t0
    return {"phase": "export", "samples": res.samples, "seconds": secs,
            "file_bytes": res.bytes, "peak_rss_mb": peak.mb, "messages": res.messages}  # fmt: skip


def _import(src: Path) -> dict[str, object]:
    from streamscope.core.files.mcap_import import McapRecording

    with PeakRss() as peak:
        t0 = time.perf_counter()
        with McapRecording(src) as rec:
            sessions = rec.read_all()
            samples = sum(len(t) for _, data in sessions for t, _ in data.values())
            messages = rec.messages
        secs = time.perf_counter() - t0
    size = src.stat().st_size
    return {"phase": "import", "samples": samples, "seconds": secs,
            "file_bytes": size, "peak_rss_mb": peak.mb, "messages": messages}  # fmt: skip


def _child(args: list[str], timeout: float) -> FilesRow:
    cmd = [sys.executable, "-m", "streamscope.bench.files", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"files child failed ({out.returncode}): {out.stderr[-2000:]}")
    d = orjson.loads(lines[-1])
    n = max(int(d["samples"]), 1)
    return FilesRow(
        d["phase"], n, d["seconds"], n / d["seconds"], d["file_bytes"], d["file_bytes"] / n,
        d["peak_rss_mb"], d["messages"],
    )  # fmt: skip


def measure_files(samples: int, timeout: float = 600, log=print) -> list[FilesRow]:
    with tempfile.TemporaryDirectory(prefix="streamscope-bench-") as tmp:
        rec, out = Path(tmp) / "bench.ssrec", Path(tmp) / "bench.mcap"
        t0 = time.perf_counter()
        make_recording(rec, samples)
        log(f"   recording of {samples:,} samples made in {time.perf_counter() - t0:.1f} s")
        rows = [_child(["--export", str(rec), str(out)], timeout)]
        log(f"   export: {rows[-1].seconds:.1f} s")
        rows.append(_child(["--import", str(out)], timeout))
        log(f"   import: {rows[-1].seconds:.1f} s")
    return rows


def files_table(rows: list[FilesRow]) -> list[str]:
    out = [
        f"== Files: MCAP export (from a recording) and import, {STREAMS} streams, fresh process ==",
        f"{'phase':<8}{'samples':>12}{'seconds':>9}{'samples/s':>12}{'messages':>11}"
        f"{'file MB':>9}{'B/sample':>10}{'peak RSS MB':>13}",
    ]
    for r in rows:
        out.append(
            f"{r.phase:<8}{r.samples:>12,}{r.seconds:>9.1f}{r.samples_per_s:>12,.0f}"
            f"{r.messages:>11,}{r.file_bytes / 1e6:>9.1f}{r.bytes_per_sample:>10.1f}"
            f"{r.peak_rss_mb:>13.0f}"
        )
    return out


def files_targets(rows: list[FilesRow]) -> list[object]:
    from streamscope.bench.report import Target

    out: list[object] = []
    for r in rows:
        limit = EXPORT_S if r.phase == "export" else IMPORT_S
        big = r.samples >= 10_000_000
        out.append(Target(f"MCAP {r.phase} of {r.samples / 1e6:.0f}M samples <= {limit:.0f} s",
                          f"{r.seconds:.1f} s", r.seconds <= limit if big else None))  # fmt: skip
        out.append(Target(f"MCAP {r.phase}: peak memory <= {PEAK_MB:.0f} MB",
                          f"{r.peak_rss_mb:.0f} MB", r.peak_rss_mb <= PEAK_MB))  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.files", description=__doc__)
    p.add_argument("--samples", type=float, default=10e6, help="samples (all streams)")
    p.add_argument("--export", nargs=2, metavar=("SSREC", "MCAP"), help=argparse.SUPPRESS)
    p.add_argument("--import", dest="imp", metavar="MCAP", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.export:
        doc = _export(Path(args.export[0]), Path(args.export[1]))
    elif args.imp:
        doc = _import(Path(args.imp))
    else:
        rows = measure_files(int(args.samples))
        print("\n".join(files_table(rows)))
        return 0
    sys.stdout.write(orjson.dumps(doc).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
