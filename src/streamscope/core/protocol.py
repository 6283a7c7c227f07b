"""Protocol v1, sans-I/O: frames in, samples / control messages / errors out.

``decode`` is a pure function (the arrival time is an argument), so every message form and
every error can be tested without a socket. A bad part of a frame never costs the valid parts:
each problem becomes an error string and decoding goes on. PROTOCOL.md is the reference.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

PROTOCOL_VERSION = 1
BINARY_MAGIC = b"SSB1"
MAX_ERRORS_REPORTED = 20

_F64 = np.float64


@dataclass(frozen=True, slots=True)
class Limits:
    """What one frame may hold; anything past these is rejected with an error."""

    # 4 MiB: 260k samples in binary form; the worst JSON (single Unity packets) decodes in
    # ~0.1 s, which is how long one frame may hold up the GUI thread (16 MiB took ~0.4 s).
    max_frame_bytes: int = 4 * 1024 * 1024
    max_name_length: int = 200
    max_depth: int = 16
    max_fields: int = 10_000


DEFAULT_LIMITS = Limits()


@dataclass(slots=True)
class Batch:
    """Samples of one stream, in arrival order."""

    stream: str
    t: np.ndarray
    v: np.ndarray
    backfill: bool = False  # a client's answer with its recent history: only newer samples count


@dataclass(slots=True)
class Control:
    """A non-sample message (hello, bye, list_streams, ...) with its fields."""

    type: str
    fields: dict[str, Any]


@dataclass(slots=True)
class Decoded:
    items: list[Batch | Control] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def sample_count(self) -> int:
        return sum(len(i.t) for i in self.items if isinstance(i, Batch))


class _Collector:
    """Groups single samples per stream between control messages (keeps ingest vectorized)."""

    def __init__(self, out: Decoded) -> None:
        self.out = out
        self.pending: dict[str, tuple[list[float], list[float]]] = {}

    def add(self, stream: str, t: float, v: float) -> None:
        ts, vs = self.pending.setdefault(stream, ([], []))
        ts.append(t)
        vs.append(v)

    def add_arrays(self, stream: str, t: np.ndarray, v: np.ndarray, backfill: bool = False) -> None:
        self.flush()
        if len(t):
            self.out.items.append(Batch(stream, t, v, backfill))

    def control(self, ctl: Control) -> None:
        self.flush()
        self.out.items.append(ctl)

    def flush(self) -> None:
        for name, (ts, vs) in self.pending.items():
            self.out.items.append(Batch(name, np.array(ts, dtype=_F64), np.array(vs, dtype=_F64)))
        self.pending = {}


class _Bad(Exception):
    """One rejected sample or message; the text goes to the client."""


# ---------------------------------------------------------------- scalar checks


@dataclass(frozen=True, slots=True)
class _HugeInt:
    """An integer literal too long for Python's ``int`` (over 4,300 digits): it fails as one
    sample's value or time, not as the whole frame."""

    digits: int


def _show(x: Any, width: int = 40) -> str:
    """A client's value as it appears in an error: short, one line, quoted if text."""
    if isinstance(x, _HugeInt):
        return f"({x.digits}-digit integer)"
    if isinstance(x, str):
        text = repr(x)
    elif isinstance(x, dict):
        return "an object"
    elif isinstance(x, list):
        return "a list"
    else:
        text = json.dumps(x) if isinstance(x, bool | float) or x is None else repr(x)
    return text if len(text) <= width else text[: width - 1] + "…"


def fmt_time(t: float) -> str:
    """A timestamp in an error: seconds, up to microseconds, no trailing zeros."""
    return f"{t:.6f}".rstrip("0").rstrip(".")


def _at(name: str, t: float) -> str:
    """Where a sample error happened: ``'fps' at t=1.5``."""
    return f"'{name}' at t={fmt_time(t)}"


def _value(x: Any) -> float:
    """A sample value: number, bool (1/0) or null (NaN = gap). ±Infinity is refused."""
    if x is None:
        return math.nan
    if isinstance(x, _HugeInt):
        raise _Bad(f"value {_show(x)} is out of range")
    if isinstance(x, bool):
        return 1.0 if x else 0.0
    if isinstance(x, int | float):
        try:
            f = float(x)
        except OverflowError:
            raise _Bad(f"value {_show(x)} is out of range") from None
        if math.isinf(f):
            raise _Bad("value is infinite (send null for a gap)")
        return f
    raise _Bad(f"value {_show(x)} is not a number")


def _time(x: Any) -> float:
    if isinstance(x, _HugeInt):
        raise _Bad(f"timestamp {_show(x)} is out of range")
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise _Bad(f"timestamp {_show(x)} is not a number")
    try:
        f = float(x)
    except OverflowError:
        raise _Bad(f"timestamp {_show(x)} is out of range") from None
    if not math.isfinite(f):
        raise _Bad(f"timestamp {_show(f)} is not finite")
    return f


def _sample(name: str, ts: Any, x: Any, now: float) -> tuple[float, float]:
    """One sample's time and value; an error names the stream and, if valid, the time."""
    try:
        t = now if ts is None else _time(ts)
    except _Bad as e:
        raise _Bad(f"'{name}': {e}") from None
    try:
        return t, _value(x)
    except _Bad as e:
        raise _Bad(f"{_at(name, t)}: {e}") from None


def check_name(name: Any, limits: Limits = DEFAULT_LIMITS) -> str:
    if not isinstance(name, str) or not name:
        raise _Bad("stream name is missing or not a string")
    if len(name) > limits.max_name_length:
        raise _Bad(f"stream name longer than {limits.max_name_length} characters")
    if not name.isprintable():
        raise _Bad("stream name contains control characters")
    return name


# ---------------------------------------------------------------- arrays

_Faults = list[tuple[int, str]]  # (index in the list, what was wrong with that entry)


def _array(items: Any, what: str, allow_gaps: bool) -> tuple[np.ndarray, np.ndarray, _Faults]:
    """A JSON list as float64, a mask of the valid entries and ``(index, reason)`` for the first
    ``MAX_ERRORS_REPORTED`` others (the count of all is ``(~ok).sum()``).

    The common case (all numbers) is one vectorized conversion; mixed lists fall back per item.
    """
    if not isinstance(items, list):
        raise _Bad(f"'{what}' must be a list")
    try:
        arr = np.array(items) if items else np.empty(0, dtype=_F64)
    except (ValueError, TypeError, OverflowError):  # ragged or exotic: checked item by item
        arr = np.empty(0, dtype=object)
    if arr.ndim == 1 and arr.dtype.kind in "fiub":
        out = arr.astype(_F64)
        ok = np.isfinite(out) if not allow_gaps else ~np.isinf(out)
        bad = np.flatnonzero(~ok)[:MAX_ERRORS_REPORTED]
        reason = "value is infinite" if allow_gaps else "timestamp is not finite"
        return out, ok, [(int(i), reason) for i in bad]
    conv = _value if allow_gaps else _time
    out = np.full(len(items), np.nan, dtype=_F64)
    ok = np.ones(len(items), dtype=bool)
    errors: _Faults = []
    for i, x in enumerate(items):
        try:
            out[i] = conv(x)
        except _Bad as e:
            ok[i] = False
            if len(errors) < MAX_ERRORS_REPORTED:
                errors.append((i, str(e)))
    return out, ok, errors


def _array_errors(
    name: str, what: str, bad: _Faults, count: int, t: np.ndarray | None
) -> list[str]:
    """``'s' v[3] at t=1.5: value 'x' is not a number``, the first few, then how many more."""
    out = []
    for i, reason in bad:
        when = f" at t={fmt_time(float(t[i]))}" if t is not None and np.isfinite(t[i]) else ""
        out.append(f"'{name}' {what}[{i}]{when}: {reason}")
    if count > len(bad):
        out.append(f"'{name}': {count - len(bad)} more invalid entries in '{what}' rejected")
    return out


# ---------------------------------------------------------------- message forms


def _unity(obj: dict[str, Any], now: float, acc: _Collector, limits: Limits) -> None:
    name = check_name(obj.get("streamId"), limits)
    if "value" not in obj:
        raise _Bad(f"'{name}': missing 'value'")
    acc.add(name, *_sample(name, obj.get("timestamp"), obj["value"], now))


def _samples(
    obj: dict[str, Any], now: float, acc: _Collector, errors: list[str], limits: Limits
) -> None:
    samples = obj.get("samples")
    if not isinstance(samples, list):
        raise _Bad("'samples' must be a list")
    for i, s in enumerate(samples):
        try:
            if not isinstance(s, dict):
                raise _Bad("not an object")
            name = check_name(s.get("stream"), limits)
            if "v" not in s:
                raise _Bad(f"'{name}': missing 'v'")
            acc.add(name, *_sample(name, s.get("t"), s["v"], now))
        except _Bad as e:
            errors.append(f"samples[{i}]: {e}")


def _series(
    obj: dict[str, Any], acc: _Collector, errors: list[str], limits: Limits, backfill: bool = False
) -> None:
    name = check_name(obj.get("stream"), limits)
    v, ok, vbad = _array(obj.get("v"), "v", allow_gaps=True)
    vcount = len(v) - int(np.count_nonzero(ok))
    if "t" in obj:
        t, tok, tbad = _array(obj["t"], "t", allow_gaps=False)
        if len(t) != len(v):
            raise _Bad(f"'{name}': 't' has {len(t)} entries but 'v' has {len(v)}")
        errors.extend(_array_errors(name, "t", tbad, int((~tok).sum()), None))
        ok &= tok
    elif "t0" in obj and "dt" in obj:
        try:
            t = _time(obj["t0"]) + _time(obj["dt"]) * np.arange(len(v), dtype=_F64)
        except _Bad as e:
            raise _Bad(f"'{name}': {e}") from None
    else:
        raise _Bad(f"'{name}': series needs 't', or 't0' and 'dt'")
    errors.extend(_array_errors(name, "v", vbad, vcount, t))
    if not ok.all():
        t, v = t[ok], v[ok]
    acc.add_arrays(name, t, v, backfill)


def _flatten(obj: Any, prefix: str, out: list[tuple[str, Any]], depth: int, lim: Limits) -> None:
    """PlotJuggler-style: nested numbers become ``a/b``, arrays ``a[i]``; strings are skipped.
    Values are checked per field by the caller, so one bad field costs only itself."""
    if depth > lim.max_depth:
        raise _Bad(f"nested deeper than {lim.max_depth} levels")
    if isinstance(obj, dict):
        items = obj.items()
        sep = "/" if prefix else ""
        keyed = ((f"{prefix}{sep}{k}", x) for k, x in items)
    elif isinstance(obj, list):
        keyed = ((f"{prefix}[{i}]", x) for i, x in enumerate(obj))
    else:
        if isinstance(obj, bool | int | float | _HugeInt) or obj is None:
            out.append((prefix, obj))
        return
    for key, x in keyed:
        if len(out) >= lim.max_fields:
            raise _Bad(f"more than {lim.max_fields} fields in one object")
        _flatten(x, key, out, depth + 1, lim)


def _flat(
    obj: dict[str, Any], now: float, acc: _Collector, errors: list[str], limits: Limits
) -> None:
    ts = obj.get("timestamp")
    t = now if ts is None else _time(ts)
    fields: list[tuple[str, Any]] = []
    rest = {k: x for k, x in obj.items() if k != "timestamp"}
    _flatten(rest, "", fields, 0, limits)
    if not fields:
        raise _Bad("object has no 'type', no 'streamId' and no numeric fields")
    for name, x in fields:
        try:
            name = check_name(name, limits)
            try:
                v = _value(x)
            except _Bad as e:
                raise _Bad(f"{_at(name, t)}: {e}") from None
            acc.add(name, t, v)
        except _Bad as e:
            errors.append(str(e))


# Keys a client may mean: one that differs only in case is a typo, not a stream (a ``streamID``
# would otherwise turn the packet into a flat object with a stream called ``value``).
_KEYS = {
    k.lower(): k
    for k in (
        "type", "streamId", "timestamp", "value", "metadata", "stream", "samples", "t", "v",
        "t0", "dt", "session", "name", "client", "version", "metric",
    )
}  # fmt: skip
_FLAT_KEYS = {k.lower(): k for k in ("type", "streamId", "timestamp")}  # others are streams


def _check_case(obj: dict[str, Any], known: dict[str, str]) -> None:
    for key in obj:
        want = known.get(key.lower()) if isinstance(key, str) else None
        if want is not None and key != want:
            raise _Bad(f"unknown key {key!r}: did you mean {want}?")


_CONTROLS = {"hello", "bye", "list_streams", "request_historical_data", "get_stats"}


def _object(obj: Any, now: float, acc: _Collector, errors: list[str], limits: Limits) -> None:
    if not isinstance(obj, dict):
        raise _Bad(f"expected a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    if kind is not None and not isinstance(kind, str):
        raise _Bad(f"'type' must be a string, not {type(kind).__name__}")
    _check_case(obj, _KEYS if kind is not None or "streamId" in obj else _FLAT_KEYS)
    if kind is None:
        if "streamId" in obj:
            _unity(obj, now, acc, limits)
        else:
            _flat(obj, now, acc, errors, limits)
    elif kind == "samples":
        _samples(obj, now, acc, errors, limits)
    elif kind == "series":
        _series(obj, acc, errors, limits)
    elif kind == "historical_data_response":
        reply = {"stream": obj.get("metric"), "t": obj.get("t"), "v": obj.get("v")}
        _series(reply, acc, errors, limits, backfill=True)
    elif kind in _CONTROLS:
        if kind == "request_historical_data":
            check_name(obj.get("stream"), limits)
        acc.control(Control(kind, obj))
    else:
        raise _Bad(f"unknown message type {kind!r}")


# ---------------------------------------------------------------- binary


def encode_binary(stream: str, t: np.ndarray, v: np.ndarray) -> bytes:
    """Pack one stream's samples as a binary frame (see PROTOCOL.md)."""
    name = stream.encode()
    t = np.ascontiguousarray(t, dtype="<f8")
    v = np.ascontiguousarray(v, dtype="<f8")
    if len(t) != len(v):
        raise ValueError("t and v differ in length")
    head = BINARY_MAGIC + struct.pack("<H", len(name)) + name + struct.pack("<I", len(t))
    return head + t.tobytes() + v.tobytes()


def _binary(data: bytes, acc: _Collector, errors: list[str], limits: Limits) -> None:
    try:
        (nlen,) = struct.unpack_from("<H", data, 4)
        name = check_name(data[6 : 6 + nlen].decode(), limits)
        (n,) = struct.unpack_from("<I", data, 6 + nlen)
    except (struct.error, UnicodeDecodeError) as e:
        raise _Bad(f"bad binary header: {e}") from None
    start = 10 + nlen
    if len(data) != start + 16 * n:
        raise _Bad(f"binary frame for '{name}' should be {start + 16 * n} bytes, is {len(data)}")
    t = np.frombuffer(data, "<f8", n, start).astype(_F64)
    v = np.frombuffer(data, "<f8", n, start + 8 * n).astype(_F64)
    ok = np.isfinite(t) & ~np.isinf(v)
    if not ok.all():
        errors.append(
            f"'{name}': {int((~ok).sum())} samples with non-finite time or infinite value"
        )
        t, v = t[ok], v[ok]
    acc.add_arrays(name, t, v)


# ---------------------------------------------------------------- entry point


def _int(digits: str) -> int | _HugeInt:
    """Integers as the stdlib parses them, except one too long for ``int``: a ``_HugeInt``."""
    return int(digits) if len(digits) <= 4000 else _HugeInt(len(digits.lstrip("-")))


def _near(text: str, pos: int) -> str:
    """The few characters around ``pos`` in a bad frame, as the error shows them."""
    snippet = text[max(0, pos - 20) : pos + 20]
    return repr(("…" if pos > 20 else "") + snippet + ("…" if pos + 20 < len(text) else ""))


def _loads(data: str | bytes) -> Any:
    """orjson; if it refuses, the stdlib parser, which also reads ``NaN``/``Infinity`` literals
    (Python's ``json.dumps`` writes them) and out-of-range numbers (1e999 → inf, a 5,000-digit
    integer). Those then fail per sample, instead of costing every valid sample in the
    frame. Its messages ("Expecting value") also say more than orjson's for text that is not
    JSON at all (``fps=60``: orjson says "invalid literal, expected 'false'")."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    if isinstance(data, str):
        text = data
    else:
        raw = bytes(data)
        try:
            text = raw.decode()
        except UnicodeDecodeError as e:
            raise _Bad(f"not valid UTF-8 at byte {e.start}: near {raw[:40]!r}") from None
    try:
        return json.loads(text, parse_int=_int)
    except json.JSONDecodeError as e:
        what = e.msg[:1].lower() + e.msg[1:]
        raise _Bad(
            f"not valid JSON at line {e.lineno} column {e.colno}: {what}, near {_near(text, e.pos)}"
        ) from None
    except ValueError as e:  # anything else the parser refuses
        raise _Bad(f"not valid JSON: {e}") from None


def decode(data: str | bytes, now: float, limits: Limits = DEFAULT_LIMITS) -> Decoded:
    """Decode one WebSocket frame. ``now`` is the arrival time used for samples without one."""
    out = Decoded()
    size = len(data)
    if size > limits.max_frame_bytes:
        out.errors.append(f"frame of {size} bytes exceeds the limit of {limits.max_frame_bytes}")
        return out
    acc = _Collector(out)
    try:
        if isinstance(data, bytes | bytearray | memoryview) and bytes(data[:4]) == BINARY_MAGIC:
            _binary(bytes(data), acc, out.errors, limits)
        else:
            doc = _loads(data)
            for i, obj in enumerate(doc if isinstance(doc, list) else [doc]):
                try:
                    _object(obj, now, acc, out.errors, limits)
                except _Bad as e:
                    out.errors.append(f"[{i}] {e}" if isinstance(doc, list) else str(e))
    except _Bad as e:
        out.errors.append(str(e))
    except RecursionError:
        out.errors.append("JSON nested too deeply")
    acc.flush()
    return out


# ---------------------------------------------------------------- replies


def encode(msg: dict[str, Any]) -> str:
    """A reply as JSON text; numpy arrays go out as lists, NaN as null."""
    return orjson.dumps(msg, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def error_reply(errors: list[str]) -> dict[str, Any]:
    more = len(errors) - 1
    message = errors[0] + (f" (and {more} more)" if more > 0 else "")
    return {"type": "error", "message": message, "errors": errors[:MAX_ERRORS_REPORTED]}


def initial_configuration(version: str, data_sources: list[str]) -> dict[str, Any]:
    return {
        "type": "initial_configuration",
        "server": "streamscope",
        "version": version,
        "protocol": PROTOCOL_VERSION,
        "data_sources": data_sources,
    }
