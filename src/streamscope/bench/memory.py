"""Memory: resident size with N samples stored, in a fresh process so nothing the other
sections allocated (gigabytes of render test data) blurs the figure.

The child builds what the app holds for a session: a ``Store`` sized so every sample fits
(capacity = samples per stream), a ``MainWindow`` with one chart of all the streams, the
samples appended in 1000-sample batches as ingest does, and one drawn frame (so any cache a
render engine keeps per stream is built and counted).

    python -m streamscope.bench.memory --samples 10e6      # prints one JSON line
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import orjson

STREAMS = 8
BATCH = 1000


@dataclass
class MemoryRow:
    samples: int  # stored at the end
    streams: int
    capacity: int  # per stream, as configured
    max_samples: int  # the store's budget, as configured
    rss_start: float  # MB, the app's window up, nothing stored
    rss_end: float  # MB, after storing and drawing
    bytes_per_sample: float  # (end - start) / samples


def _child(samples: int) -> dict:
    from streamscope.app import build_window
    from streamscope.bench.stats import qt_app, rss_mb
    from streamscope.core.store.store import DEFAULT_MAX_TOTAL_SAMPLES, Store, StoreSettings

    app = qt_app()
    per = -(-samples // STREAMS)
    settings = StoreSettings(
        capacity=per, max_total_samples=max(DEFAULT_MAX_TOTAL_SAMPLES, samples)
    )
    store = Store(settings)
    names = [f"bench/s{i}" for i in range(STREAMS)]
    window = build_window(store)
    window.show()
    dock = window.new_chart(names)
    window.clock.tick()
    app.processEvents()
    gc.collect()
    rss0 = rss_mb()
    sid = store.open_session("Bench", play=False).id
    rng = np.random.default_rng(3)
    noise = rng.standard_normal(BATCH)
    for a in range(0, per, BATCH):
        n = min(BATCH, per - a)
        t = (a + np.arange(n)) * 1e-3
        for name in names:
            store.append(sid, name, t, noise[:n])
    window.clock.tick()
    app.processEvents()
    gc.collect()
    rss1 = rss_mb()
    drawn = sum(1 for c in dock.curves.values() if c.stream is not None)
    window.close()
    return {
        "samples": store.stored_samples, "streams": STREAMS, "capacity": per,
        "max_samples": settings.max_total_samples, "rss_start": rss0, "rss_end": rss1,
        "bytes_per_sample": (rss1 - rss0) * 1e6 / max(store.stored_samples, 1),
        "curves_drawn": drawn,
    }  # fmt: skip


def measure_memory(samples: int, timeout: float = 600) -> MemoryRow:
    """Run the measurement in a child process and read its JSON line."""
    cmd = [sys.executable, "-m", "streamscope.bench.memory", "--samples", str(samples)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"memory child failed ({out.returncode}): {out.stderr[-2000:]}")
    d = orjson.loads(lines[-1])
    d.pop("curves_drawn", None)
    return MemoryRow(**d)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m streamscope.bench.memory", description=__doc__)
    p.add_argument("--samples", type=float, default=10e6, help="samples to store (all streams)")
    args = p.parse_args(argv)
    sys.stdout.write(orjson.dumps(_child(int(args.samples))).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
