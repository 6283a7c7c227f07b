"""CSV export: exact stored values, one wide table; the ``streamscope export`` subcommand."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from streamscope import cli
from streamscope.core.files.csvexport import export_recording_csv, merge_rows, write_csv_file
from streamscope.core.files.progress import Cancelled
from streamscope.core.files.recording import Recording, RecordingWriter
from streamscope.core.store.store import Store
from support.data import bits
from support.paths import child_env


def parse(path: Path) -> tuple[list[str], dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]]:
    """The CSV back as {(session, stream): (times, values)}: empty cells are no sample."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[:2] == ["session", "time"]
    out: dict[tuple[str, str], tuple[list, list]] = {}
    for row in body:
        for name, cell in zip(header[2:], row[2:], strict=True):
            if cell != "":
                ts, vs = out.setdefault((row[0], name), ([], []))
                ts.append(float(row[1]))
                vs.append(float(cell))
    return header, {k: (np.array(t), np.array(v)) for k, (t, v) in out.items()}


def test_merge_rows_shares_times_and_keeps_repeats():
    a = (np.array([0.0, 1.0, 1.0, 2.0]), np.zeros(4))
    b = (np.array([1.0, 3.0]), np.zeros(2))
    times, rows = merge_rows([a, b])
    assert times.tolist() == [0.0, 1.0, 1.0, 2.0, 3.0]
    assert rows[0].tolist() == [0, 1, 2, 3] and rows[1].tolist() == [1, 4]


def test_streams_on_one_clock_share_rows(tmp_path):
    t = np.arange(0, 10, 0.1)
    a, b = (t, np.sin(t)), (t.copy(), np.cos(t))
    times, rows = merge_rows([a, b])
    assert times is t and rows[0].tolist() == rows[1].tolist() == list(range(len(t)))
    repeat = np.array([0.0, 1.0, 1.0])  # not strictly increasing: the general merge
    times, rows = merge_rows([(repeat, np.zeros(3)), (repeat, np.ones(3))])
    assert times.tolist() == [0.0, 1.0, 1.0] and rows[1].tolist() == [0, 1, 2]
    out = tmp_path / "x.csv"
    write_csv_file(out, ["a", "b"], [("S", {"a": a, "b": b})])
    _, got = parse(out)
    assert np.array_equal(got[("S", "b")][1], b[1]) and len(got[("S", "a")][0]) == len(t)


def test_csv_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(9)
    fast_t = np.arange(20_000) / 1000
    slow_t = np.arange(0, 20, 0.1)  # shares some times with the fast stream
    tricky = np.array([0.1 + 0.2, -0.0, np.nan, 1e-300, 1.7976931348623157e308, 5e-324, 1 / 3])
    streams = {
        "fast": (fast_t, rng.normal(size=len(fast_t))),
        "slow, with a comma": (slow_t, np.resize(tricky, len(slow_t))),
        "repeat": (np.array([1.0, 1.0, 1.0, 2.5]), np.array([1.0, 2.0, 3.0, 4.0])),
    }
    other = {"fast": (np.array([0.5, 0.75]), np.array([7.0, 8.0]))}
    out = tmp_path / "x.csv"
    rows = write_csv_file(out, list(streams), [("S1 — Play #1", streams), ("S2", other)])
    header, got = parse(out)
    assert header == ["session", "time", "fast", "slow, with a comma", "repeat"]
    assert rows == len(out.read_text(encoding="utf-8").splitlines()) - 1
    expected = {("S1 — Play #1", k): s for k, s in streams.items()} | {
        ("S2", "fast"): other["fast"]
    }
    assert got.keys() == expected.keys()
    for key, (t, v) in expected.items():
        assert np.array_equal(bits(got[key][0]), bits(t)), key
        assert np.array_equal(bits(got[key][1]), bits(v)), key
    first = out.read_text(encoding="utf-8").splitlines()[1]
    assert first.split(",")[:2] == ["S1 — Play #1", "0.0"]


def test_cancel_leaves_no_file_and_keeps_the_old_one(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old, good export\n")
    t = np.arange(200_000.0)

    def cancel(done, total):
        raise Cancelled()

    with pytest.raises(Cancelled):
        write_csv_file(out, ["a"], [("S", {"a": (t, t)})], cancel)
    assert out.read_text() == "old, good export\n"
    assert list(tmp_path.iterdir()) == [out]


def record(path: Path) -> Store:
    store = Store()
    with RecordingWriter(path) as writer:
        writer.attach(store)
        a = store.open_session("Game")
        t = np.arange(0, 5, 0.001)
        store.append(a.id, "sine", t, np.sin(t))
        store.append(a.id, "fps", t[::100], 60 + np.cos(t[::100]))
        epoch = store.open_session("Sim", play=False)
        store.append(epoch.id, "sine", 1.7e9 + np.arange(50) * 0.01 + 0.003, np.arange(50.0))
    return store


def test_recording_to_csv_equals_the_stored_samples(tmp_path):
    path = tmp_path / "r.ssrec"
    store = record(path)
    out = tmp_path / "r.csv"
    seen = []
    with Recording(path) as r:
        export_recording_csv(r, out, lambda d, t: seen.append((d, t)))
    assert seen[-1][0] == seen[-1][1] > 0
    _, got = parse(out)
    for session in store.sessions.values():
        for name, st in session.streams.items():
            t, v = got[(session.name, name)]
            # session-relative times; epoch sessions subtract their origin exactly (Sterbenz)
            assert np.array_equal(bits(t + session.origin), bits(st.ring.t))
            assert np.array_equal(bits(v), bits(st.ring.v))


def test_export_subcommand(tmp_path, capsys):
    path = tmp_path / "r.ssrec"
    record(path)
    assert cli.main(["export", str(path)]) == 0
    summary = capsys.readouterr().out
    assert "2 sessions" in summary and "Game — Play #1" in summary and "sine: 5,000" in summary
    out = tmp_path / "only.csv"
    assert cli.main(["export", str(path), "--csv", str(out), "--streams", "fps"]) == 0
    header, got = parse(out)
    assert header == ["session", "time", "fps"] and set(got) == {("Game — Play #1", "fps")}
    assert cli.main(["export", str(path), "--csv", str(out), "--streams", "nope"]) == 2
    assert "no stream named nope" in capsys.readouterr().err
    assert cli.main(["export", str(tmp_path / "missing.ssrec")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_export_runs_from_the_command_line(tmp_path):
    path = tmp_path / "r.ssrec"
    record(path)
    out = tmp_path / "all.csv"
    result = subprocess.run(
        [sys.executable, "-m", "streamscope", "export", str(path), "--csv", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout and out.stat().st_size > 0


FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("x","y")']


def test_formula_like_names_are_neutralised_and_numbers_stay_numbers(tmp_path):
    """Stream and session names come from any peer: a spreadsheet must not run them."""
    t = np.array([0.0, 1.0])
    streams = {name: (t, np.array([-1.5, -np.inf])) for name in FORMULAS}
    streams["plain"] = (t, np.array([2.0, -0.0]))
    out = tmp_path / "x.csv"
    write_csv_file(out, list(streams), [("=cmd|' /C calc'!A0", streams)])
    with open(out, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert header == ["session", "time", *(f"'{n}" for n in FORMULAS), "plain"]
    assert {r[0] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert rows[0][2:] == ["-1.5"] * len(FORMULAS) + ["2.0"]  # numbers are not touched
    assert rows[1][2:] == ["-inf"] * len(FORMULAS) + ["-0.0"]


def test_formula_like_names_in_a_recording_are_neutralised(tmp_path):
    path = tmp_path / "r.ssrec"
    store = Store()
    with RecordingWriter(path) as writer:
        writer.attach(store)
        s = store.open_session("@Game")
        store.append(s.id, "-fps", np.arange(3.0), np.array([-1.0, 2.0, -3.0]))
    out = tmp_path / "r.csv"
    with Recording(path) as r:
        export_recording_csv(r, out)
    with open(out, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert header == ["session", "time", "'-fps"]
    assert [r[0] for r in rows] == ["'@Game — Play #1"] * 3
    assert [r[2] for r in rows] == ["-1.0", "2.0", "-3.0"]
