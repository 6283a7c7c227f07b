"""``streamscope bench --quick --only live`` runs to the end and prints positive figures for
every phase (naive, careful, app per load; the demo). No thresholds: they depend on the
machine, and the targets are what the frame-cost work is measured against."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from support.paths import child_env


@pytest.mark.slow
def test_quick_live_bench_prints_figures(tmp_path):
    out_json = tmp_path / "live.json"
    env = child_env()
    cmd = [sys.executable, "-m", "streamscope", "bench", "--quick", "--only", "live"]
    proc = subprocess.run(
        [*cmd, "--json", str(out_json)],
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "== Live" in out, out
    rows = orjson.loads(out_json.read_bytes())["live"]["rows"]
    assert [r["who"] for r in rows] == ["naive", "careful", "app"] * 2 + ["app"]
    for r in rows:
        assert r["fps"] > 0 and r["cores"] > 0 and r["cpu_ms_per_frame"] > 0, r
    assert all(isinstance(r["throttled"], bool) for r in rows if r["who"] == "app")
    assert out.count("live load") + out.count("live demo") == 5  # the PASS/MISS lines
