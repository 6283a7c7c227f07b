"""Every message form of protocol v1, decoded without a socket."""

import math

import numpy as np
import orjson
import pytest

from streamscope.core import protocol
from streamscope.core.protocol import Batch, Control, Limits, decode

NOW = 1000.0


def batches(d) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = {}
    for item in d.items:
        if isinstance(item, Batch):
            ts, vs = out.setdefault(item.stream, ([], []))
            ts.extend(item.t.tolist())
            vs.extend(item.v.tolist())
    return out


def js(obj) -> str:
    return orjson.dumps(obj).decode()


def test_unity_packet_as_is():
    msg = {"streamId": "fps", "timestamp": 12.5, "value": 59.9, "metadata": {"scene": "Main"}}
    d = decode(js(msg), NOW)
    assert d.errors == []
    assert batches(d) == {"fps": ([12.5], [59.9])}


def test_unity_packet_without_timestamp_uses_arrival_time_and_bool_and_null():
    d = decode(js([{"streamId": "a", "value": True}, {"streamId": "a", "value": None}]), NOW)
    t, v = batches(d)["a"]
    assert t == [NOW, NOW]
    assert v[0] == 1.0 and math.isnan(v[1])


def test_batch_form():
    msg = {
        "type": "samples",
        "samples": [
            {"stream": "fps", "t": 1.0, "v": 60.0},
            {"stream": "mem", "t": 1.0, "v": 400},
            {"stream": "fps", "t": 2.0, "v": 59.0},
        ],
    }
    d = decode(js(msg), NOW)
    assert d.errors == []
    assert batches(d) == {"fps": ([1.0, 2.0], [60.0, 59.0]), "mem": ([1.0], [400.0])}


def test_columnar_and_uniform_series():
    d = decode(js({"type": "series", "stream": "s", "t": [1, 2, 3], "v": [4, 5, 6]}), NOW)
    assert batches(d) == {"s": ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])}
    d = decode(js({"type": "series", "stream": "u", "t0": 10.0, "dt": 0.5, "v": [1, 2, 3]}), NOW)
    assert batches(d) == {"u": ([10.0, 10.5, 11.0], [1.0, 2.0, 3.0])}


def test_plotjuggler_flattening():
    msg = {
        "timestamp": 3.5,
        "imu": {"ax": 1, "ay": -2.5, "deep": {"x": 7}},
        "q": [1, 2],
        "ok": True,
        "label": "ignored",
        "gap": None,
    }
    d = decode(js(msg), NOW)
    assert d.errors == []
    got = batches(d)
    assert set(got) == {"imu/ax", "imu/ay", "imu/deep/x", "q[0]", "q[1]", "ok", "gap"}
    assert got["imu/ax"] == ([3.5], [1.0])
    assert got["imu/deep/x"] == ([3.5], [7.0])
    assert got["q[1]"] == ([3.5], [2.0])
    assert got["ok"] == ([3.5], [1.0])
    assert math.isnan(got["gap"][1][0])


def test_plotjuggler_timestamp_is_per_message():
    d = decode(js([{"timestamp": 1.0, "a": 1}, {"a": 2}]), NOW)
    assert batches(d) == {"a": ([1.0, NOW], [1.0, 2.0])}


def test_controls_keep_order_with_samples():
    frame = [
        {"type": "hello", "session": "abc", "name": "MyGame", "client": "unity"},
        {"streamId": "fps", "timestamp": 1, "value": 2},
        {"type": "bye"},
    ]
    d = decode(js(frame), NOW)
    kinds = [type(i).__name__ if isinstance(i, Batch) else i.type for i in d.items]
    assert kinds == ["hello", "Batch", "bye"]
    assert isinstance(d.items[0], Control) and d.items[0].fields["name"] == "MyGame"


def test_binary_round_trip():
    t = np.linspace(0, 1, 1000)
    v = np.sin(t)
    v[10] = np.nan
    d = decode(protocol.encode_binary("bin", t, v), NOW)
    assert d.errors == []
    (b,) = d.items
    assert b.stream == "bin" and np.array_equal(b.t, t) and np.array_equal(b.v, v, equal_nan=True)


@pytest.mark.parametrize(
    ("frame", "needle"),
    [
        ("{not json", "not valid JSON at line 1 column 2"),
        ('{"type":"nope"}', "unknown message type"),
        ('{"streamId":"x","value":"high"}', "'x' at t=1000: value 'high' is not a number"),
        ('{"streamId":"","value":1}', "stream name"),
        ('{"type":"samples","samples":[{"t":1,"v":2}]}', "stream name"),
        ('{"streamId":"x"}', "missing 'value'"),
        ('{"type":"series","stream":"s","t":[1,2],"v":[1]}', "'t' has 2 entries"),
        ('{"type":"series","stream":"s","v":[1]}', "needs 't'"),
        (
            '{"streamId":"x","value":1e999}',
            "'x' at t=1000: value is infinite",
        ),  # per sample, not the frame
        ("42", "expected a JSON object"),
        ('{"label":"only strings"}', "no numeric fields"),
        ('{"streamId":"x","value":1,"timestamp":"noon"}', "'x': timestamp 'noon' is not a number"),
        ('{"type":"request_historical_data"}', "stream name"),
        (b"SSB1\x05\x00abc", "bad binary header"),
    ],
)
def test_errors_are_reported(frame, needle):
    d = decode(frame, NOW)
    assert d.errors, f"no error for {frame!r}"
    assert needle in " ".join(d.errors)


def test_valid_samples_survive_invalid_ones_in_the_same_frame():
    frame = [
        {"streamId": "a", "timestamp": 1, "value": 1},
        {"streamId": "a", "timestamp": 2, "value": "bad"},
        {"type": "mystery"},
        {"streamId": "a", "timestamp": 3, "value": 3},
        {
            "type": "samples",
            "samples": [{"stream": "b", "t": 1, "v": 1}, {"stream": "b", "t": 2, "v": [1]}],
        },
        {"type": "series", "stream": "c", "t": [1, 2, 3], "v": [1, "x", 3]},
    ]
    d = decode(js(frame), NOW)
    assert len(d.errors) == 4
    assert batches(d) == {
        "a": ([1.0, 3.0], [1.0, 3.0]),
        "b": ([1.0], [1.0]),
        "c": ([1.0, 3.0], [1.0, 3.0]),
    }


def test_oversize_frame_is_rejected_before_parsing():
    d = decode("[" + "1," * 100 + "1]", NOW, Limits(max_frame_bytes=50))
    assert d.items == [] and "exceeds the limit" in d.errors[0]


def test_deep_nesting_is_rejected():
    deep = '{"a":' * 40 + "1" + "}" * 40
    d = decode(deep, NOW)
    assert d.items == [] and "nested deeper" in d.errors[0]


def test_replies_encode_nan_as_null():
    text = protocol.encode({"type": "historical_data", "v": np.array([1.0, np.nan])})
    assert orjson.loads(text)["v"] == [1.0, None]


def test_error_reply_summarises():
    r = protocol.error_reply([f"e{i}" for i in range(30)])
    assert r["type"] == "error" and r["message"] == "e0 (and 29 more)"
    assert len(r["errors"]) == protocol.MAX_ERRORS_REPORTED


def test_historical_data_response_from_a_client_is_a_backfill():
    msg = {"type": "historical_data_response", "metric": "fps", "t": [1, 2], "v": [3, 4]}
    (b,) = decode(js(msg), NOW).items
    assert b.backfill and b.stream == "fps" and b.v.tolist() == [3.0, 4.0]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            '{"streamId":"fps","timestamp":1.5,"value":"oops"}',
            "'fps' at t=1.5: value 'oops' is not a number",
        ),
        (
            '[{"streamId":"fps","timestamp":2,"value":[1]}]',
            "[0] 'fps' at t=2: value a list is not a number",
        ),
        (
            '{"type":"samples","samples":[{"stream":"hp","t":3,"v":{}}]}',
            "samples[0]: 'hp' at t=3: value an object is not a number",
        ),
        (
            '{"type":"series","stream":"s","t":[1,2.25],"v":[1,"x"]}',
            "'s' v[1] at t=2.25: value 'x' is not a number",
        ),
        (
            '{"type":"series","stream":"s","t":[1,"x"],"v":[1,2]}',
            "'s' t[1]: timestamp 'x' is not a number",
        ),
        (
            '{"timestamp":4,"imu":{"ax":1,"ay":"up"},"b":-1e999}',
            "'b' at t=4: value is infinite (send null for a gap)",
        ),
        (
            '{"streamId":"fps","timestamp":1,"value":' + "7" * 5000 + "}",
            "'fps' at t=1: value (5000-digit integer) is out of range",
        ),
    ],
)
def test_every_sample_error_names_the_stream_and_what_was_wrong(frame, message):
    assert message in decode(frame, NOW).errors


@pytest.mark.parametrize(
    ("obj", "want"),
    [
        ({"streamID": "fps", "value": 1}, "streamId"),
        ({"streamid": "fps", "timestamp": 1, "value": 1}, "streamId"),
        ({"streamId": "fps", "Value": 1}, "value"),
        ({"streamId": "fps", "TimeStamp": 1, "value": 1}, "timestamp"),
        ({"Type": "hello", "name": "G"}, "type"),
        ({"type": "series", "Stream": "s", "v": [1]}, "stream"),
        ({"Timestamp": 1, "a": 2}, "timestamp"),
    ],
)
def test_a_key_that_differs_only_in_case_gets_did_you_mean(obj, want):
    d = decode(js(obj), NOW)
    assert d.items == []  # not a stream called "value", not a silent arrival time
    (key,) = [k for k in obj if k != want and k.lower() == want.lower()]
    assert d.errors == [f"unknown key '{key}': did you mean {want}?"]


def test_flat_objects_keep_their_fields_whatever_their_case():
    d = decode(js({"timestamp": 1, "Value": 2, "V": 3, "Name": 4}), NOW)
    assert d.errors == [] and set(batches(d)) == {"Value", "V", "Name"}


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("fps=60", "not valid JSON at line 1 column 1: expecting value, near 'fps=60'"),
        (
            '{"a":1,\n "b":2,}',
            "not valid JSON at line 2 column 8: expecting property name enclosed in double quotes, "
            'near \'{"a":1,\\n "b":2,}\'',
        ),
        (
            '[{"streamId":"x","value":1}',
            "not valid JSON at line 1 column 28: expecting ',' delimiter",
        ),
        (
            '{"streamId": "fps", "value": 60, "note": oops, "more": "' + "z" * 40 + '"}',
            "not valid JSON at line 1 column 42: expecting value, "
            """near '…value": 60, "note": oops, "more": "zzzzz…'""",
        ),
        (b'{"a":\xff}', "not valid UTF-8 at byte 5: near b'{\"a\":\\xff}'"),
    ],
)
def test_invalid_json_says_where_and_shows_the_snippet(frame, message):
    (error,) = decode(frame, NOW).errors
    assert error.startswith(message), error
    assert "invalid literal" not in error and "expected 'false'" not in error


def test_a_5000_digit_integer_costs_only_its_own_sample():
    huge = "9" * 5000
    frame = js(
        [
            {"streamId": "a", "timestamp": 1, "value": 1},
            {"streamId": "a", "timestamp": 2, "value": 0},
            {"streamId": "a", "timestamp": 3, "value": 3},
        ]
    )
    frame = frame.replace('"value":0', '"value":' + huge)
    d = decode(frame, NOW)
    assert batches(d) == {"a": ([1.0, 3.0], [1.0, 3.0])} and len(d.errors) == 1
