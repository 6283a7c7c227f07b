"""Recording throughput: ``python -m streamscope.bench.recording [--seconds S] [--rate R]``.

Feeds a real ``Store`` with a recorder attached from the main thread, which plays the GUI
thread (in the app, ingest and drawing share it), in 60 Hz frames, and prints:
- the rate committed to disk, sustained over the run including the final flush, checked
  against what the file holds afterwards;
- what each frame's storing cost the main thread (median, 99th percentile, worst; and the
  share of time busy), with the recorder and, as the baseline, without it: the difference
  is what recording costs the GUI;
- the largest backlog the writer thread had, and the file size.
Then the same unthrottled, for the ceiling. Figures, not pass/fail (docs/files.md has a run).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from streamscope.bench.stats import pct
from streamscope.core.files.recording import Recording, RecordingWriter
from streamscope.core.store.store import Store, StoreSettings

FRAME = 1 / 60
# Small rings: this measures the recorder, not ring compaction of a 1M-sample buffer.
CAPACITY = 100_000


def feed(
    writer_path: Path | None, seconds: float, rate: float, streams: int, batch: int
) -> dict[str, float]:
    """Append ``rate`` samples/s (0 = as fast as possible) for ``seconds``; measure."""
    store = Store(StoreSettings(capacity=CAPACITY))
    writer = None
    if writer_path is not None:
        writer = RecordingWriter(writer_path)
        writer.attach(store)
    session = store.open_session("Bench")
    names = [f"s{i}" for i in range(streams)]
    v = np.random.default_rng(1).normal(size=batch)
    base = np.arange(batch, dtype=np.float64)
    per_frame = max(1, round(rate * FRAME / batch)) if rate else 50
    frames: list[float] = []
    sent = 0
    backlog = 0
    k = 0
    start = time.perf_counter()
    next_frame = start
    while (now := time.perf_counter()) - start < seconds:
        if rate:
            if now < next_frame:
                time.sleep(next_frame - now)  # a benchmark, not a test: real time is the point
            next_frame += FRAME
        f0 = time.perf_counter()
        for _ in range(per_frame):
            store.append(session.id, names[k % streams], (k * batch + base) * 1e-6, v)
            k += 1
        frames.append(time.perf_counter() - f0)
        sent += per_frame * batch
        if writer is not None:
            backlog = max(backlog, writer.backlog)
    fed = time.perf_counter() - start
    if writer is not None:
        writer.close()
    ms = np.array(frames) * 1000
    return {
        "sent": sent,
        "total_s": time.perf_counter() - start,
        "busy": ms.sum() / 1000 / fed,
        "p50": pct(ms, 50),
        "p99": pct(ms, 99),
        "worst": float(ms.max()),
        "backlog": backlog,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.recording")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=2e6, help="paced samples/s (default 2M)")
    p.add_argument("--streams", type=int, default=8)
    p.add_argument("--batch", type=int, default=1000, help="samples per append (a message)")
    p.add_argument("--dir", help="where to write (default: a temporary folder)")
    a = p.parse_args(argv)
    print(
        f"recording bench: {a.streams} streams, {a.batch} samples per append, "
        f"{a.seconds:g} s per run, frame = {FRAME * 1000:.1f} ms"
    )
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        for label, rate in ((f"paced {a.rate / 1e6:g}M/s", a.rate), ("unthrottled", 0.0)):
            path = Path(tmp) / f"{label.split()[0]}.ssrec"
            r = feed(path, a.seconds, rate, a.streams, a.batch)
            base = feed(None, min(a.seconds, 5.0), rate, a.streams, a.batch)
            with Recording(path) as rec:
                on_disk = rec.total_samples
            if on_disk != r["sent"]:
                print(f"MISMATCH: {on_disk} samples on disk, {r['sent']} sent")
                return 1
            print(
                f"{label}: {r['sent'] / r['total_s'] / 1e6:.2f}M samples/s committed "
                f"({on_disk / 1e6:.1f}M samples, {r['total_s']:.1f} s incl. final flush, "
                f"file {path.stat().st_size / 1e6:.0f} MB, writer backlog max "
                f"{r['backlog'] / 1e6:.2f}M)\n"
                f"  main thread per frame, recording: median {r['p50']:.2f} ms, p99 "
                f"{r['p99']:.2f} ms, worst {r['worst']:.1f} ms, busy {100 * r['busy']:.0f}%\n"
                f"  main thread per frame, no recorder: median {base['p50']:.2f} ms, p99 "
                f"{base['p99']:.2f} ms, worst {base['worst']:.1f} ms, "
                f"busy {100 * base['busy']:.0f}%"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
