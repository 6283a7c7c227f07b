"""Damaged recordings fail soft: what is intact is read and exported, what is not is counted."""

from __future__ import annotations

import csv
import os
import sqlite3
import struct
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from streamscope import cli
from streamscope.core.files import recording as rec
from streamscope.core.files.recording import Recording, RecordingWriter
from streamscope.core.store.store import Store
from support.data import bits

MAX_CHUNK = 4096  # small chunks keep these files small; the checks are the same
N = 3 * MAX_CHUNK + 1_000  # four chunks per stream: 0, 1, 2 full, 3 partial


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(rec, "MAX_CHUNK", MAX_CHUNK)


def make(path: Path, sessions: int = 1) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A recording of ``sessions`` sessions (one recording run each, as a file grows over
    time), each with streams a and b (distinct times); what each session holds."""
    data = {
        "a": (np.arange(N) / 1000.0, np.sin(np.arange(N, dtype=float))),
        "b": (np.arange(N) / 1000.0 + 0.0005, np.cos(np.arange(N, dtype=float))),
    }
    for _ in range(sessions):
        store = Store()
        with RecordingWriter(path) as writer:
            writer.attach(store)
            s = store.open_session("Game")
            for name, (t, v) in data.items():
                store.append(s.id, name, t, v)
    return data


def without(data, name: str, chunk: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = dict(data)
    t, v = data[name]
    keep = np.ones(len(t), bool)
    keep[chunk * MAX_CHUNK : (chunk + 1) * MAX_CHUNK] = False
    out[name] = (t[keep], v[keep])
    return out


def export(path: Path, tmp_path: Path, capsys) -> tuple[int, str, dict]:
    """``streamscope export --csv``: exit status, stderr, and the CSV's samples per stream."""
    out = tmp_path / "out.csv"
    status = cli.main(["export", str(path), "--csv", str(out)])
    err = capsys.readouterr().err
    got: dict[str, tuple[list, list]] = {}
    with open(out, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    for row in rows:
        for name, cell in zip(header[2:], row[2:], strict=True):
            if cell:
                got.setdefault(name, ([], []))[0].append(float(row[1]))
                got[name][1].append(float(cell))
    return status, err, {k: (np.array(t), np.array(v)) for k, (t, v) in got.items()}


def assert_same(got, expected) -> None:
    assert got.keys() == expected.keys()
    for name, (t, v) in expected.items():
        assert np.array_equal(bits(got[name][0]), bits(t)), name
        assert np.array_equal(bits(got[name][1]), bits(v)), name


def edit(path: Path, sql: str) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute(sql)
    con.close()


def test_an_intact_recording_reports_nothing(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    data = make(path)
    status, err, got = export(path, tmp_path, capsys)
    assert status == 0 and err == ""
    assert_same(got, data)


def test_a_chunk_cut_short_is_skipped_and_the_rest_exported(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    data = make(path)
    edit(path, "UPDATE chunks SET t = substr(t, 1, 1000) WHERE stream = 1 AND seq = 1")
    status, err, got = export(path, tmp_path, capsys)
    assert status == 3
    assert "skipped 1 damaged chunk (4,096 samples)" in err
    assert "Game — Play #1 / a, chunk 1: cut short" in err
    assert_same(got, without(data, "a", 1))


@pytest.mark.parametrize("n", ["1099511627776", "-5", "0", str(MAX_CHUNK + 1024), "X'00'"])
def test_a_crafted_chunk_length_skips_only_that_chunk(tmp_path, capsys, n):
    path = tmp_path / "r.ssrec"
    data = make(path)
    edit(path, f"UPDATE chunks SET n = {n} WHERE stream = 1 AND seq = 0")
    status, err, got = export(path, tmp_path, capsys)
    assert status == 3 and "a, chunk 0: bad sample count" in err
    assert "skipped 1 damaged chunk" in err
    assert_same(got, without(data, "a", 0))  # the later chunks are all there


def test_crafted_lengths_never_allocate_more_than_the_file_holds(tmp_path):
    """Rows that claim 2**40 samples each cost no more than the file's size."""
    path = tmp_path / "r.ssrec"
    make(path)
    edit(path, "UPDATE chunks SET n = 1099511627776 WHERE stream = 1")
    tracemalloc.start()
    try:
        with Recording(path) as r:
            for s in r.sessions:
                r.read_session(s)
            report = r.report
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10e6  # the file is 0.5 MB; the rows claim 64 TiB
    assert report.skipped_chunks == 4  # a's four chunks; b is read in full
    assert "bad sample count 1099511627776" in report.message()


def test_a_flipped_bit_in_the_file_costs_only_its_chunk(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    data = make(path)
    raw = bytearray(path.read_bytes())
    target = struct.pack("<d", data["b"][0][2 * MAX_CHUNK + 500])  # a time inside b's chunk 2
    at = raw.find(target)
    assert at > 0 and raw.find(target, at + 1) < 0
    raw[at + 7] ^= 0x80  # the sign bit
    path.write_bytes(bytes(raw))
    status, err, got = export(path, tmp_path, capsys)
    assert status == 3 and "b, chunk 2: times go back" in err
    assert_same(got, without(data, "b", 2))


def test_a_truncated_file_gives_what_is_intact(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    data = make(path, sessions=6)
    size = path.stat().st_size
    os.truncate(path, size * 2 // 3)
    status, err, got = export(path, tmp_path, capsys)
    assert status == 3 and "damaged" in err
    assert got, "nothing recovered"
    recovered = sum(len(t) for t, _ in got.values())
    assert recovered >= 3 * 2 * N  # at least the first three sessions, whole
    for name, (t, v) in got.items():  # every sample read back is a recorded one, exactly
        full_t, full_v = data[name]
        idx = np.searchsorted(full_t, t)
        assert np.array_equal(bits(full_t[idx]), bits(t))
        assert np.array_equal(bits(full_v[idx]), bits(v))


def test_the_listing_names_the_damage_too(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    make(path)
    edit(path, "UPDATE chunks SET v = zeroblob(8) WHERE stream = 2 AND seq = 3")
    assert cli.main(["export", str(path)]) == 3
    captured = capsys.readouterr()
    assert f"b: {N - 1_000:,}" in captured.out
    assert "b, chunk 3: cut short" in captured.err
    with Recording(path) as r:
        assert r.report.skipped_chunks == 1 and r.report.skipped_samples == 1_000
