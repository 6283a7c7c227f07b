"""``streamscope bench --quick`` as CI's smoke test: it runs to the end in a subprocess and
prints every section with figures. No thresholds: timings depend on the machine."""

from __future__ import annotations

import re
import subprocess
import sys

import orjson
import pytest

from support.paths import child_env

pytestmark = pytest.mark.slow  # the quick bench still takes most of a minute

NUMBER = r"\d[\d,]*(?:\.\d+)?"


def test_quick_bench_prints_every_section(tmp_path):
    out_json = tmp_path / "bench.json"
    env = child_env()
    proc = subprocess.run(
        [sys.executable, "-m", "streamscope", "bench", "--quick", "--json", str(out_json)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    for title in ("== Render", "== Ingest", "== Latency", "== Memory", "== Targets"):
        assert title in out, f"{title} missing:\n{out}"
    for size in ("10,000", "100,000", "1,000,000"):  # a row per size, three variants each
        assert re.search(rf"^\s*{size}(\s+{NUMBER} /\s+{NUMBER}){{3}}", out, re.M), out
    for form in ("Unity JSON, 1 sample", "Unity JSON, 100 per", "columnar JSON", "binary"):
        assert re.search(rf"^{form}.*?\s{NUMBER}\s", out, re.M), out
    assert re.search(rf"p50 {NUMBER} ms\s+p95 {NUMBER} ms", out), out
    assert re.search(rf"RSS {NUMBER} MB empty -> {NUMBER} MB", out), out
    verdicts = re.findall(r"^(PASS|MISS|n/a )\s", out, re.M)
    assert len(verdicts) == 10 and "n/a " not in verdicts, out
    doc = orjson.loads(out_json.read_bytes())
    assert {"render", "ingest", "latency", "memory", "targets"} <= doc.keys()
    assert len(doc["render"]) == 9 and len(doc["ingest"]) == 4


def test_only_rejects_an_unknown_section():
    env = child_env()
    proc = subprocess.run(
        [sys.executable, "-m", "streamscope", "bench", "--only", "render,paint"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2 and "unknown section" in proc.stderr
