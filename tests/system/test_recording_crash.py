"""``kill -9`` while the real app records: the file opens and holds all but the last second.

The app runs as a subprocess (``python -m streamscope --port 0 --record DIR``, offscreen);
this test is its client. After every batch it makes a round trip (``get_stats``), so it
knows when the app had processed each batch. Then SIGKILL, no goodbye: every batch the app
had processed more than a second before the kill must be in the file, bit for bit, and
nothing else but a clean continuation of what was sent.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from streamscope.core.files.recording import Recording
from streamscope.ingest.client import StreamClient
from support.paths import child_env

BATCH = 500
RATE_HZ = 50_000  # samples per second, paced: well below what forces an early flush
FEED_SECONDS = 3.0
GRACE = 1.0  # what a crash may lose

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
    pytest.mark.slow,  # the whole app in a child process, fed for seconds, then killed
]


def wait_for(pattern: str, fd: int, deadline: float, seen: bytearray) -> re.Match:
    """Read ``fd`` (without blocking past ``deadline``) until ``pattern`` shows up."""
    rx = re.compile(pattern.encode())
    while (m := rx.search(seen)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {pattern!r} from the app; it said:\n{seen.decode()}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"the app exited early; it said:\n{seen.decode()}")
            seen += chunk
    return m


async def feed(url: str) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Send batches for FEED_SECONDS; each with the time the app was known to have it."""
    sent = []
    rng = np.random.default_rng(5)
    async with StreamClient(url, name="Crash Test") as client:
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < FEED_SECONDS:
            await asyncio.sleep(max(0.0, start + i * BATCH / RATE_HZ - time.monotonic()))
            t = (i * BATCH + np.arange(BATCH)) / RATE_HZ
            v = rng.normal(size=BATCH)
            await client.send_binary("x", t, v)
            reply = await client.request({"type": "get_stats"}, "stats", timeout=10)
            assert reply["type"] == "stats", reply
            sent.append((t, v, time.monotonic()))
            i += 1
    return sent


def test_sigkill_mid_recording_keeps_all_but_the_last_second(tmp_path):
    rec_dir = tmp_path / "rec"
    env = child_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamscope", "--port", "0", "--record", str(rec_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        seen = bytearray()
        url = wait_for(
            r"listening on (ws://\S+)", proc.stderr.fileno(), time.monotonic() + 60, seen
        )
        sent = asyncio.run(asyncio.wait_for(feed(url.group(1).decode()), 60))
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stderr.close()

    (path,) = rec_dir.glob("*.ssrec")
    with Recording(path) as rec:
        (session,) = [s for s in rec.sessions if s.product == "Crash Test"]
        (stream,) = session.streams
        t, v = rec.read(stream)
    sent_t = np.concatenate([b[0] for b in sent])
    sent_v = np.concatenate([b[1] for b in sent])
    must_have = sum(len(b[0]) for b in sent if b[2] <= killed_at - GRACE)
    assert must_have >= 10 * BATCH, "the test fed too little to mean anything"
    assert len(t) >= must_have, (
        f"lost {must_have - len(t)} samples the app had for more than {GRACE} s "
        f"({len(t)} of {len(sent_t)} sent are on disk)"
    )
    # what is there is exactly a prefix of what was sent: no torn or repeated chunk
    assert np.array_equal(t, sent_t[: len(t)])
    assert np.array_equal(v.view(np.int64), sent_v[: len(v)].view(np.int64))
