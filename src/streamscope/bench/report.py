"""The printed tables, the ratios and the PASS/MISS lines against the performance targets.

Targets are printed next to the figures, never asserted: figures depend on the machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from streamscope.bench.ingest import FORM_LABELS, IngestRow
from streamscope.bench.latency import LatencyRow
from streamscope.bench.memory import MemoryRow
from streamscope.bench.render import VARIANTS, RenderRow

GUI_FRAME_MS = 33.0  # GUI frame p95 while ingesting
RENDER_P95_MS = 16.0  # 8 x 1e7 points
RENDER_SCALE = 1.5  # largest size p95 vs the 1e4 case
UNITY_RATE = 150e3
BINARY_RATE = 5e6
LATENCY_P95_MS = 50.0
RSS_BASE_MB, RSS_PER_SAMPLE = 250.0, 20.0


@dataclass
class Target:
    name: str
    figure: str
    passed: bool | None  # None: not measured in this run

    def line(self) -> str:
        mark = {True: "PASS", False: "MISS", None: "n/a "}[self.passed]
        return f"{mark}  {self.name:<58} {self.figure}"


def _ms(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.1f}"


def _count(n: float) -> str:
    return f"{n:.0e}".replace("e+0", "e") if n >= 1e4 else f"{n:,.0f}"


def render_table(rows: list[RenderRow]) -> list[str]:
    sizes = sorted({r.points for r in rows})
    by = {(r.variant, r.points): r for r in rows}
    curves = rows[0].curves if rows else 0
    out = [
        f"== Render: {curves} curves x N points in view, 1200 px plot, frame ms p50 / p95 ==",
        f"{'N per curve':>12}  " + "  ".join(f"{v:>17}" for v in VARIANTS)
        + "   pyqtgraph/ss  downsample/ss  (p95 ratios)",
    ]  # fmt: skip
    for n in sizes:
        cells, p95 = [], {}
        for v in VARIANTS:
            r = by.get((v, n))
            p95[v] = r.p95 if r else math.nan
            cells.append(f"{_ms(r.p50):>7} / {_ms(r.p95):>7}" if r else f"{'-':>17}")
        ss = p95["streamscope"]
        ratios = [p95[v] / ss if ss else math.nan for v in VARIANTS[1:]]
        out.append(
            f"{n:>12,}  " + "  ".join(cells) + "   "
            + "  ".join(f"{x:>12.1f}x" for x in ratios)
        )  # fmt: skip
    frames = ", ".join(f"{r.variant} {_count(r.points)}: {r.frames}" for r in rows)
    out.append(f"(frames timed: {frames})")
    notes = [f"{r.variant} {_count(r.points)}: {r.note}" for r in rows if r.note]
    if notes:
        out.append("notes: " + "; ".join(notes))
    return out


def ingest_table(rows: list[IngestRow]) -> list[str]:
    out = [
        "== Ingest: sender process at full speed over loopback, 8 streams on one chart ==",
        f"{'form':<28} {'samples/s':>11}  {'draw p50/p95 ms':>16}  "
        f"{'tick gap p50/p95/max ms':>24}  {'frames':>6}  {'errors':>6}",
    ]
    for r in rows:
        out.append(
            f"{FORM_LABELS.get(r.form, r.form):<28} {r.samples_per_s:>11,.0f}  "
            f"{_ms(r.draw_p50):>7} / {_ms(r.draw_p95):>6}  "
            f"{_ms(r.gap_p50):>7} / {_ms(r.gap_p95):>6} / {_ms(r.gap_max):>6}  "
            f"{r.frames:>6}  {r.errors:>6}"
        )
    rate = {r.form: r.samples_per_s for r in rows}
    if rate.get("unity"):
        ratios = ", ".join(f"{f} {rate[f] / rate['unity']:.1f}x" for f in rate if f != "unity")
        out.append(f"(samples/s against per-sample Unity JSON: {ratios}; draw = render clock's")
        out.append(" work per frame, tick gap = time between render ticks, all GUI work included)")
    return out


def latency_table(r: LatencyRow) -> list[str]:
    return [
        "== Latency: sample sent -> end of the first frame that paints it ==",
        f"{r.samples} samples at {r.rate:g}/s (Unity JSON): p50 {_ms(r.p50)} ms  "
        f"p95 {_ms(r.p95)} ms  max {_ms(r.max)} ms  (tick gap p95 {_ms(r.gap_p95)} ms)",
    ]


def memory_table(r: MemoryRow) -> list[str]:
    return [
        "== Memory: RSS with samples stored (fresh process, window with one chart drawn) ==",
        f"{r.samples:,} samples in {r.streams} streams (capacity {r.capacity:,} per stream, "
        f"budget {r.max_samples:,}): RSS {r.rss_start:.1f} MB empty -> {r.rss_end:.1f} MB, "
        f"{r.bytes_per_sample:.1f} bytes per stored sample",
    ]


def targets(
    render: list[RenderRow] | None,
    ingest: list[IngestRow] | None,
    latency: LatencyRow | None,
    memory: MemoryRow | None,
) -> list[Target]:
    out: list[Target] = []
    ss = sorted((r for r in render or [] if r.variant == "streamscope"), key=lambda r: r.points)
    if ss:
        big, small = ss[-1], ss[0]
        label = f"8 x {_count(big.points)} points"
        if big.points != 10_000_000:
            label += " (the target is for 1e7)"
        out.append(
            Target(
                f"render {label}: frame p95 <= {RENDER_P95_MS:g} ms",
                f"{_ms(big.p95)} ms",
                big.p95 <= RENDER_P95_MS,
            )
        )
        ratio = big.p95 / small.p95
        out.append(
            Target(
                f"render {_count(big.points)} p95 <= {RENDER_SCALE}x the "
                f"{_count(small.points)} case",
                f"{ratio:.2f}x ({_ms(big.p95)} vs {_ms(small.p95)} ms)",
                ratio <= RENDER_SCALE,
            )
        )
    rows = {r.form: r for r in ingest or []}
    for form, need in (("unity", UNITY_RATE), ("unity-array", UNITY_RATE), ("binary", BINARY_RATE)):
        r = rows.get(form)
        name = FORM_LABELS[form]
        out.append(
            Target(
                f"ingest {name} >= {need:,.0f} samples/s",
                f"{r.samples_per_s:,.0f} samples/s" if r else "not run",
                r.samples_per_s >= need if r else None,
            )
        )
        out.append(
            Target(
                f"GUI frame p95 (tick gap) <= {GUI_FRAME_MS:g} ms during {name} ingest",
                f"{_ms(r.gap_p95)} ms" if r else "not run",
                r.gap_p95 <= GUI_FRAME_MS if r else None,
            )
        )
    out.append(
        Target(
            f"send -> pixel p95 <= {LATENCY_P95_MS:g} ms",
            f"{_ms(latency.p95)} ms" if latency else "not run",
            latency.p95 <= LATENCY_P95_MS if latency else None,
        )
    )
    if memory:
        limit = RSS_BASE_MB + RSS_PER_SAMPLE * memory.samples / 1e6
        out.append(
            Target(
                f"RSS <= {RSS_BASE_MB:g} MB + {RSS_PER_SAMPLE:g} B x {memory.samples:,} stored",
                f"{memory.rss_end:.1f} MB (limit {limit:.0f} MB)",
                memory.rss_end <= limit,
            )
        )
    else:
        out.append(Target("RSS <= 250 MB + 20 B per stored sample", "not run", None))
    return out
