"""``streamscope bench --only broker``: producers and viewers through NATS, against direct.

Throughput: sender processes (``bench/sender.py``, full speed) write to a viewer's WebSocket
(direct) or to a ``streamscope relay`` process that publishes to a local ``nats-server``
(JetStream on or off), which the viewers in this process subscribe to (headless: the ingest
server's frame handling and a store each, as in the app). Samples/s is what each viewer
stored over the steady part; with 3 viewers (all in this one process, sharing its core) the
slowest one's rate is reported, and the counts are compared once the senders have stopped and
every viewer has worked through what the stream still held (``settle``).

Replay: 10M samples (10 streams × 1M, binary frames of 1000) are published to JetStream,
then the real app (window, one chart of the 10 streams) is started with ``--nats`` and timed
until it holds them all; the render clock's tick gaps are taken meanwhile.

Needs ``nats-server`` on PATH (Debian: ``apt-get install nats-server``).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import numpy as np

from streamscope.bench.ingest import FORM_LABELS
from streamscope.bench.live import sender, wait_for

WARMUP_S = 1.0
REPLAY_STREAMS = 10
REPLAY_PER_STREAM = 1_000_000
REPLAY_BATCH = 1000
RATIO_TARGET = 0.7  # through the broker vs direct, batched forms
REPLAY_TARGET_S = 10.0
GAP_TARGET_MS = 50.0
BATCHED = ("unity-array", "series", "binary")
SETTLE_S = 1.0  # counts unchanged this long: the viewers are done
DRAIN_TIMEOUT_S = 90.0  # at most this long for the viewers to work through the backlog
ROW_TIMEOUT_S = 240.0  # a case that takes longer is reported as not measured


@dataclass
class BrokerRow:
    form: str
    path: str  # direct | relay+JetStream | relay, no JetStream
    producers: int
    viewers: int
    samples_per_s: float  # the slowest viewer's
    equal: bool  # every viewer stored the same count


@dataclass
class ReplayRow:
    samples: int
    publish_s: float
    replay_s: float
    gap_p50: float
    gap_p95: float
    gap_max: float
    frames: int


@dataclass
class BrokerResult:
    rows: list[BrokerRow]
    replay: ReplayRow | None


async def settle(counts: Callable[[], list[int]], still_s: float, timeout: float) -> None:
    """Wait until ``counts()`` has not changed for ``still_s`` (or ``timeout`` passed)."""
    end = time.monotonic() + timeout
    last, since = counts(), time.monotonic()
    while time.monotonic() < end:
        await asyncio.sleep(0.1)
        now = counts()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= still_s:
            return


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def nats_server(jetstream: bool) -> AsyncIterator[str]:
    exe = shutil.which("nats-server")
    if exe is None:
        raise RuntimeError("nats-server is not on PATH (Debian: apt-get install nats-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="ss-bench-js-") as store:
        cmd = [exe, "-a", "127.0.0.1", "-p", str(port)]
        if jetstream:
            cmd += ["-js", "-sd", store]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                await asyncio.sleep(0.02)
            yield f"nats://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.asynccontextmanager
async def relay(url: str) -> AsyncIterator[str]:
    cmd = [sys.executable, "-m", "streamscope", "relay", "--nats", url, "--port", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, proc.stdout.readline)
        yield line.split()[2]
    finally:
        proc.terminate()  # it sends what is queued first (up to ~5 s), then exits
        await _ended(proc, 15)  # waited for on the loop: the viewers go on meanwhile


async def _ended(proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < end:
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


class HeadlessViewer:
    """The app's ingest without a window: a store, the server's frame handling, the broker."""

    def __init__(self, url: str | None) -> None:
        from streamscope.core.store.store import Store, StoreSettings
        from streamscope.ingest.nats_link import BrokerLink, BrokerOptions
        from streamscope.ingest.nats_source import NatsSource, Replay
        from streamscope.ingest.server import IngestServer

        self.store = Store(StoreSettings(capacity=200_000))
        self.server = IngestServer(self.store, "127.0.0.1", 0)
        self.source = None
        if url:
            link = BrokerLink(BrokerOptions(url))
            self.source = NatsSource(link, self.server, Replay("none"))

    async def start(self) -> None:
        await self.server.start()
        if self.source is not None:
            self.source.link.start()
            await self.source.link.wait_connected(10)
            await wait_for(
                lambda: self.source is not None and self.source._sub is not None, 10, "sub"
            )

    async def stop(self) -> None:
        if self.source is not None:
            await self.source.close()
            await self.source.link.close()
        await self.server.stop()


async def throughput(
    form: str, path: str, producers: int, viewers: int, seconds: float, url: str | None
) -> BrokerRow:
    group = [HeadlessViewer(url if path != "direct" else None) for _ in range(viewers)]
    for v in group:
        await v.start()
    try:
        async with contextlib.AsyncExitStack() as stack:
            target = group[0].server.url
            if path != "direct":
                assert url is not None
                target = await stack.enter_async_context(relay(url))
            streams = max(1, 8 // producers)
            for i in range(producers):
                args = ("--form", form, "--streams", str(streams), "--prefix", f"p{i}/s",
                        "--seconds", str(seconds + 15))  # fmt: skip
                await stack.enter_async_context(sender(target, *args))
            await wait_for(lambda: all(v.store.total_samples for v in group), 20, "samples")
            await asyncio.sleep(WARMUP_S)
            n0 = [v.store.total_samples for v in group]
            t0 = time.perf_counter()
            await asyncio.sleep(seconds)
            n1 = [v.store.total_samples for v in group]
            t1 = time.perf_counter()
        # Senders stopped and the relay has sent what it held: the viewers may still be working
        # through what the stream holds (they store slower than one producer sends), so wait
        # until every count has stood still for a while before comparing them.
        await settle(lambda: [v.store.total_samples for v in group], SETTLE_S, DRAIN_TIMEOUT_S)
        equal = len({v.store.total_samples for v in group}) == 1
        rate = min(b - a for a, b in zip(n0, n1, strict=True)) / (t1 - t0)
        return BrokerRow(form, path, producers, viewers, rate, equal)
    finally:
        for v in group:
            await v.stop()


async def replay_10m(log: Callable[[str], None], samples_per_stream: int) -> ReplayRow:
    from streamscope.app import AppOptions, StreamScope
    from streamscope.ingest.nats_client import NatsStreamClient
    from streamscope.ui.frame_monitor import FrameMonitor

    names = [f"r{i}" for i in range(REPLAY_STREAMS)]
    total = REPLAY_STREAMS * samples_per_stream
    async with nats_server(True) as url:
        t0 = time.perf_counter()
        async with NatsStreamClient(url, source="replay", name="Replay") as p:
            for start in range(0, samples_per_stream, REPLAY_BATCH):
                t = (start + np.arange(REPLAY_BATCH)) * 1e-4
                for name in names:
                    await p.send_binary(name, t, np.sin(t))
            if not await p.flush(120):
                raise RuntimeError("the broker did not take the replay data")
        publish_s = time.perf_counter() - t0
        log(f"  replay: {total / 1e6:.0f}M samples published in {publish_s:.1f} s")
        options = AppOptions(port=0, plots=[names], remember_layout=False, nats=url)
        options.max_samples = max(40_000_000, total + 1_000_000)
        options.capacity = max(1_000_000, samples_per_stream)
        scope = StreamScope(options)
        monitor = FrameMonitor(scope.window.clock)
        t0 = time.perf_counter()
        await scope.start()
        try:
            await wait_for(lambda: scope.store.total_samples >= total, 120, "the replay")
            replay_s = time.perf_counter() - t0
            f = monitor.take()
        finally:
            monitor.close()
            await scope.stop()
    return ReplayRow(total, publish_s, replay_s, f.gap_p50, f.gap_p95, f.gap_max, f.frames)


async def measure_broker(
    seconds: float, quick: bool = False, log: Callable[[str], None] = print
) -> BrokerResult:
    forms = ("unity", "binary") if quick else tuple(FORM_LABELS)
    shapes = [(1, 1), (8, 1), (1, 3)]
    rows: list[BrokerRow] = []

    def show(r: BrokerRow) -> None:
        log(
            f"  {r.form:<11} {r.path:<22} {r.producers}p {r.viewers}v "
            f"{r.samples_per_s / 1e3:9.1f}k samples/s{'' if r.equal else ' (counts differ)'}"
        )

    async def measure(form: str, path: str, producers: int, viewers: int) -> None:
        try:
            if path == "direct":
                row = await asyncio.wait_for(
                    throughput(form, path, producers, 1, seconds, None), ROW_TIMEOUT_S
                )
            else:
                async with nats_server(path == "relay+JetStream") as url:
                    row = await asyncio.wait_for(
                        throughput(form, path, producers, viewers, seconds, url), ROW_TIMEOUT_S
                    )
        except (TimeoutError, RuntimeError) as e:  # one stuck case must not stop the matrix
            log(f"  {form} {path} {producers}p {viewers}v: not measured ({e or 'timed out'})")
            return
        rows.append(row)
        show(row)

    for form in forms:
        for producers, viewers in shapes:
            if viewers == 1:  # the 3-viewer shapes compare with the same direct row
                await measure(form, "direct", producers, 1)
            for path in ("relay+JetStream", "relay, no JetStream"):
                await measure(form, path, producers, viewers)
    per_stream = 100_000 if quick else REPLAY_PER_STREAM
    replay = await replay_10m(log, per_stream)
    log(
        f"  replay {replay.samples / 1e6:.0f}M: {replay.replay_s:.1f} s, tick gap p95 "
        f"{replay.gap_p95:.1f} ms"
    )
    return BrokerResult(rows, replay)


def broker_table(result: BrokerResult) -> list[str]:
    lines = [
        "== Broker: samples/s stored per viewer (slowest of the viewers) ==",
        f"{'form':<28} {'path':<22} {'producers':>9} {'viewers':>7} {'samples/s':>12} "
        f"{'vs direct':>9} {'all viewers':>12}",
    ]
    direct = {(r.form, r.producers): r.samples_per_s for r in result.rows if r.path == "direct"}
    for r in result.rows:
        base = direct.get((r.form, r.producers))
        ratio = f"{r.samples_per_s / base:8.2f}x" if base and r.path != "direct" else ""
        # the viewers share this one process: together they stored this much per second
        together = f"{r.samples_per_s * r.viewers / 1e3:>11.1f}k" if r.viewers > 1 else ""
        lines.append(
            f"{FORM_LABELS.get(r.form, r.form):<28} {r.path:<22} {r.producers:>9} {r.viewers:>7} "
            f"{r.samples_per_s / 1e3:>11.1f}k {ratio:>9} {together:>12}"
            + ("" if r.equal else "  counts differ")
        )
    if result.replay:
        p = result.replay
        lines += [
            "",
            f"Replay to a late joiner (the app, one chart): {p.samples / 1e6:.1f}M samples in "
            f"{p.replay_s:.1f} s ({p.samples / p.replay_s / 1e6:.2f}M/s); tick gap p50 "
            f"{p.gap_p50:.1f} p95 {p.gap_p95:.1f} max {p.gap_max:.1f} ms over {p.frames} frames "
            f"(published in {p.publish_s:.1f} s)",
        ]
    return lines


def broker_targets(result: BrokerResult) -> list:
    from streamscope.bench.report import Target

    out = []
    direct = {(r.form, r.producers): r.samples_per_s for r in result.rows if r.path == "direct"}
    # One viewer against one direct viewer. With 3 viewers all three run in the bench's one
    # process (on 2 cores each gets about a third of what one viewer gets), so those rows
    # are checked for equal counts, and their rate is shown, not held to the ratio.
    ratios = [
        r.samples_per_s / direct[(r.form, r.producers)]
        for r in result.rows
        if r.path != "direct"
        and r.viewers == 1
        and r.form in BATCHED
        and direct.get((r.form, r.producers))
    ]
    if ratios:
        worst = min(ratios)
        out.append(
            Target(
                f"broker: batched forms through relay+broker >= {RATIO_TARGET}x direct (1 viewer)",
                f"worst {worst:.2f}x",
                worst >= RATIO_TARGET,
            )
        )
    several = [r for r in result.rows if r.viewers > 1]
    if several:
        unequal = sum(not r.equal for r in several)
        out.append(
            Target(
                "broker: every viewer of a shape ends with the same count",
                f"{len(several) - unequal} of {len(several)} shapes equal",
                unequal == 0,
            )
        )
    if result.replay:
        p = result.replay
        full = p.samples >= REPLAY_STREAMS * REPLAY_PER_STREAM
        out.append(
            Target(
                f"broker: replay 10M samples <= {REPLAY_TARGET_S:g} s",
                f"{p.samples / 1e6:.0f}M in {p.replay_s:.1f} s",
                (p.replay_s <= REPLAY_TARGET_S) if full else None,
            )
        )
        out.append(
            Target(
                f"broker: tick gap p95 during replay <= {GAP_TARGET_MS:g} ms",
                f"{p.gap_p95:.1f} ms",
                p.gap_p95 <= GAP_TARGET_MS,
            )
        )
    return out


def check_nats_server() -> None:
    if shutil.which("nats-server") is None:
        raise RuntimeError("nats-server is not on PATH (Debian: apt-get install nats-server)")
