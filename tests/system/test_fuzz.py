"""Fuzzing the real server: over 100,000 malformed frames, interleaved with valid samples.

Zero crashes (no handler failure, no internal error, nothing logged at ERROR), a well-behaved
client is served afterwards, and every valid sample sent between the garbage is stored exactly
(in order, bit for bit, NaN gaps included), whatever sessions the garbage started or ended.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import struct

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from streamscope.core.protocol import BINARY_MAGIC, Limits, encode_binary
from streamscope.core.store.store import Store, StoreSettings
from streamscope.ingest.guard import ServerSettings
from streamscope.ingest.server import IngestServer
from support.server import still_serves

LIMITS = Limits(max_frame_bytes=64 * 1024)  # small, so "too big" frames are cheap to send
BULK_CONNECTIONS = 4
BULK_GARBAGE_PER_CONNECTION = 26_000  # 104,000 malformed frames in all
VALID_EVERY = 5  # one valid frame after every few garbage frames


class ErrorLog(logging.Handler):
    """Collects every ERROR record (handler failures, internal errors) during a run."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logging.getLogger().removeHandler(self)


# ---------------------------------------------------------------- valid frames


class ValidStream:
    """The samples one connection sends between the garbage, in every wire form."""

    def __init__(self, name: str, rng: random.Random) -> None:
        self.name = name
        self.rng = rng
        self.t: list[float] = []
        self.v: list[float] = []
        self.k = 0

    def _next(self, n: int) -> tuple[list[float], list[float]]:
        t = [1.0 + (len(self.t) + i) * 1e-3 for i in range(n)]
        v = [math.nan if self.rng.random() < 0.05 else self.rng.uniform(-1e6, 1e6) for _ in t]
        self.t += t
        self.v += v
        return t, v

    def frame(self) -> str | bytes:
        self.k += 1
        form, name = self.k % 6, self.name
        if form == 0:
            (t,), (v,) = self._next(1)
            return orjson.dumps({"streamId": name, "timestamp": t, "value": _j(v)}).decode()
        if form == 1:
            t, v = self._next(3)
            return orjson.dumps(
                [
                    {"streamId": name, "timestamp": a, "value": _j(b)}
                    for a, b in zip(t, v, strict=True)
                ]
            ).decode()
        if form == 2:
            t, v = self._next(4)
            samples = [{"stream": name, "t": a, "v": _j(b)} for a, b in zip(t, v, strict=True)]
            return orjson.dumps({"type": "samples", "samples": samples}).decode()
        if form == 3:
            t, v = self._next(5)
            return orjson.dumps(
                {"type": "series", "stream": name, "t": t, "v": [_j(b) for b in v]}
            ).decode()
        if form == 4:
            t, v = self._next(6)
            return encode_binary(name, np.array(t), np.array(v))
        (t,), (v,) = self._next(1)
        return orjson.dumps({"timestamp": t, name: _j(v), "label": "ignored"}).decode()


def _j(v: float) -> float | None:
    return None if math.isnan(v) else v


def stored(store: Store, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Everything stored under ``name``, across the sessions garbage may have started."""
    parts = [s.streams[name] for s in store.sessions.values() if name in s.streams]
    t = np.concatenate([p.ring.t for p in parts]) if parts else np.empty(0)
    v = np.concatenate([p.ring.v for p in parts]) if parts else np.empty(0)
    return t, v


def assert_all_stored(store: Store, valid: ValidStream) -> None:
    t, v = stored(store, valid.name)
    assert len(t) == len(valid.t), f"{valid.name}: stored {len(t)} of {len(valid.t)}"
    assert np.array_equal(t, valid.t)
    assert np.array_equal(v, np.array(valid.v), equal_nan=True)


# ---------------------------------------------------------------- malformed frames


TOO_MANY_FIELDS = orjson.dumps({f"k{i}": i for i in range(LIMITS.max_fields + 1)}).decode()
TOO_BIG = '{"streamId":"g","value":1,"pad":"' + "x" * LIMITS.max_frame_bytes + '"}'


def garbage(rng: random.Random) -> str | bytes:
    """One frame the server must reject (every kind yields exactly one error reply)."""
    kind = rng.randrange(12)
    if kind == 0:  # random bytes
        return bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200)))
    if kind == 1:  # random text
        return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(1, 100)))
    if kind == 2:  # truncated valid JSON
        doc = orjson.dumps(
            {"type": "series", "stream": "g", "t": [1.0, 2.0, 3.0], "v": [4, 5, 6]}
        ).decode()
        return doc[: rng.randrange(1, len(doc) - 1)]
    if kind == 3:  # deeply nested arrays, past orjson's and our depth limits
        d = rng.randrange(20, 3000)
        return "[" * d + "]" * d if rng.random() < 0.5 else "[" * d
    if kind == 4:  # nested objects past max_depth
        d = rng.randrange(LIMITS.max_depth + 2, 200)
        return '{"a":' * d + "1" + "}" * d
    if kind == 5:  # huge: too big a frame, or numbers out of range
        if rng.random() < 0.3:
            return TOO_BIG
        digits = "9" * rng.randrange(400, 5000)
        return rng.choice(
            [f'{{"streamId":"g","value":{digits}e9}}', f'{{"streamId":"g","value":-{digits}}}']
        )
    if kind == 6:  # wrong types in known forms
        return rng.choice(
            [
                '{"type":5}',
                '{"type":"series","stream":[],"v":{}}',
                '{"type":"series","stream":"g","t":[1,2],"v":[1]}',
                '{"type":"samples","samples":"x"}',
                '{"streamId":null,"value":1}',
                '{"streamId":"g","value":"1.5"}',
                '{"streamId":"g","value":[1]}',
                '{"streamId":"g"}',
                '{"type":"no such type"}',
                "[1,2,3]",
                '"just a string"',
                "null",
            ]
        )
    if kind == 7:  # broken binary frames
        name = b"g"
        n = rng.randrange(0, 50)
        body = struct.pack("<H", len(name)) + name + struct.pack("<I", n) + b"\0" * (16 * n)
        return rng.choice(
            [
                BINARY_MAGIC + body[:-1] if n else BINARY_MAGIC + body + b"x",
                BINARY_MAGIC + struct.pack("<H", 60000) + b"g",
                BINARY_MAGIC + struct.pack("<H", 2) + b"\xff\xfe" + struct.pack("<I", 0),
                BINARY_MAGIC,
            ]
        )
    if kind == 8:  # bad stream names
        return orjson.dumps(
            {"streamId": rng.choice(["", "x" * 300, "a\x00b", "tab\there"]), "value": 1}
        ).decode()
    if kind == 9:  # non-finite and non-numeric values, NaN/Infinity literals
        return rng.choice(
            [
                '{"streamId":"g","timestamp":1,"value":Infinity}',
                '{"streamId":"g","timestamp":NaN,"value":1}',
                '{"streamId":"g","timestamp":1,"value":-Infinity}',
                '{"streamId":"g","timestamp":"now","value":1}',
                '{"type":"series","stream":"g","t":[1,"x"],"v":[1,2]}',
                '{"type":"series","stream":"g","t0":0,"dt":"x","v":[1]}',
            ]
        )
    if kind == 10:  # wild timestamps
        return rng.choice(
            [
                '{"streamId":"g","timestamp":1e300,"value":1}',
                '{"streamId":"g","timestamp":-1e15,"value":1}',
                '{"streamId":"g","timestamp":1.7e12,"value":1}',
            ]
        )
    # flat objects with nothing numeric, or too many fields
    if rng.random() < 0.5:
        return orjson.dumps({"a": "b", "c": ["d"], "e": {"f": "g"}}).decode()
    return TOO_MANY_FIELDS


# ---------------------------------------------------------------- the runs


def make_server() -> IngestServer:
    store = Store(StoreSettings(max_sessions=1_000_000, max_streams_per_session=1_000_000))
    settings = ServerSettings(max_error_replies=0)  # every error answered: none coalesced
    return IngestServer(store, "127.0.0.1", 0, LIMITS, settings)


async def send_all(url: str, frames: list[str | bytes]) -> dict[str, int]:
    """Send every frame on one connection while reading replies; wait until all are handled."""
    counts: dict[str, int] = {}
    async with connect(url, max_size=None, compression=None) as ws:
        await ws.recv()
        done = asyncio.get_running_loop().create_future()

        async def read() -> None:
            async for msg in ws:
                kind = orjson.loads(msg)["type"]
                counts[kind] = counts.get(kind, 0) + 1
                if kind == "streams" and counts[kind] == 1 and not done.done():
                    done.set_result(None)

        reader = asyncio.ensure_future(read())
        for f in frames:
            await ws.send(f)
        await ws.send('{"type":"list_streams"}')  # handled after everything before it
        await asyncio.wait_for(done, 60)
        reader.cancel()
    return counts


@pytest.mark.slow
def test_100k_malformed_frames_through_the_real_server():
    async def main():
        server = make_server()
        await server.start()
        try:
            plans = []
            for c in range(BULK_CONNECTIONS):
                rng = random.Random(1000 + c)
                valid = ValidStream(f"valid✓{c}", rng)
                frames: list[str | bytes] = [valid.frame()]
                bad = 0
                while bad < BULK_GARBAGE_PER_CONNECTION:
                    frames.append(garbage(rng))
                    bad += 1
                    if bad % VALID_EVERY == 0:
                        frames.append(valid.frame())
                plans.append((valid, frames, bad))
            counts = await asyncio.gather(*(send_all(server.url, f) for _, f, _ in plans))
            served = await still_serves(server.url)
            return plans, counts, served, server
        finally:
            await server.stop()

    with ErrorLog() as errors:
        plans, counts, served, server = asyncio.run(main())
    malformed = sum(bad for _, _, bad in plans)
    assert malformed >= 100_000
    for (valid, _, bad), got in zip(plans, counts, strict=True):
        assert got.get("error", 0) == bad  # every malformed frame answered, valid ones not
        assert_all_stored(server.store, valid)
    assert served and server.closed_for_limits == 0
    assert not errors.records, [r.getMessage() for r in errors.records[:5]]


# Hypothesis: arbitrary JSON-ish documents in the shapes of the protocol, and raw bytes/text.
_keys = st.sampled_from(
    ["type", "streamId", "stream", "value", "timestamp", "t", "v", "t0", "dt", "samples",
     "metric", "session", "name", "x", "ü/ß", ""]
)  # fmt: skip
_types = st.sampled_from(
    ["samples", "series", "historical_data_response", "hello", "bye", "list_streams", "weird"]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    _types,
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=8), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=30,
)
_frames = st.one_of(
    _json.map(lambda d: json.dumps(d)),  # allow_nan: NaN/Infinity literals as Python sends them
    st.dictionaries(_keys, _json, max_size=6).map(lambda d: json.dumps(d)),
    st.binary(max_size=64),
    st.binary(max_size=64).map(lambda b: BINARY_MAGIC + b),
    st.text(max_size=64),
)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(junk=st.lists(_frames, min_size=20, max_size=120), seed=st.integers(0, 2**32))
def test_hypothesis_garbage_never_costs_valid_samples(junk, seed):
    async def main():
        server = make_server()
        await server.start()
        try:
            valid = ValidStream("valid✓h", random.Random(seed))
            frames: list[str | bytes] = [valid.frame()]
            for i, j in enumerate(junk):
                frames.append(j)
                if i % 3 == 0:
                    frames.append(valid.frame())
            await send_all(server.url, frames)
            return valid, await still_serves(server.url), server
        finally:
            await server.stop()

    with ErrorLog() as errors:
        valid, served, server = asyncio.run(main())
    assert served
    assert_all_stored(server.store, valid)
    assert not errors.records, [r.getMessage() for r in errors.records[:5]]


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
def test_nesting_is_refused_without_recursion_errors(depth):
    from streamscope.core.protocol import decode

    for doc in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
        out = decode(doc, now=0.0, limits=Limits(max_frame_bytes=10**7))
        assert out.errors and not out.items
