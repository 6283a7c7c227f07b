"""``streamscope bench [--quick] [--only SECTION] [--json FILE]``: five figures in one run.

Sections: render (8 curves x N points, StreamScope vs plain pyqtgraph vs pyqtgraph's own
downsampling), ingest (samples/s per wire form from a sender process, with the GUI's frame
times meanwhile), latency (send -> first painted frame), memory (RSS with 10M stored) and live
(frames drawn and CPU per frame under paced live loads, against a naive and a careful
hand-written receiver; ``bench/live_load.py``) and files (MCAP export of a recording and MCAP
import, seconds and peak memory; ``bench/files.py``). Prints a table per section, then PASS/MISS
against the targets (figures, not assertions).
``--quick`` uses smaller sizes and shorter phases and leaves out live and files (under 2 minutes
on 2 cores; CI runs it). ``--only broker`` (never by default: it needs ``nats-server``) measures
producers and viewers through NATS against direct, and a 10M-sample replay (``bench/broker.py``).
``--only browser`` measures the Streams panel with 100k streams in 50 sessions: adding them, and
its per-tick cost idle and with every count changing (``bench/browser.py``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import orjson

SECTIONS = ("render", "ingest", "latency", "memory", "live", "files", "broker", "browser")
OPT_IN = ("broker", "browser")  # run only when asked for with --only
# --quick leaves out live (bench/live_load.py, ~3 minutes even short) and files (a minute):
# --quick --only live (or files) runs it
DEFAULT_SECTIONS = SECTIONS[:4]


@dataclasses.dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    frames: int  # timed frames per render case (fewer if the case runs out of budget)
    render_budget_s: float
    ingest_s: float
    latency_s: float
    memory_samples: int
    live_s: float = 15.0  # per phase of the live section
    files_samples: int = 10_000_000  # MCAP export and import


FULL = Plan((10_000, 100_000, 1_000_000, 10_000_000), 40, 20.0, 10.0, 10.0, 10_000_000)
QUICK = Plan((10_000, 100_000, 1_000_000), 10, 3.0, 3.0, 3.0, 10_000_000, 4.0, 1_000_000)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="streamscope bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller and shorter (CI smoke run)")
    p.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SECTION",
        help=f"run only these sections (repeatable or comma-separated: {', '.join(SECTIONS)})",
    )
    p.add_argument("--json", metavar="FILE", help="also save every figure as JSON")
    return p


def machine() -> str:
    import pyqtgraph
    import PySide6

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, PySide6 {PySide6.__version__}, pyqtgraph "
        f"{pyqtgraph.__version__}, Qt {os.environ.get('QT_QPA_PLATFORM', 'default')}, "
        f"load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    only = [s.strip() for arg in args.only for s in arg.split(",") if s.strip()]
    bad = [s for s in only if s not in SECTIONS]
    if bad:
        build_parser().error(f"unknown section(s) {', '.join(bad)}; choose from {SECTIONS}")
    default = list(DEFAULT_SECTIONS) if args.quick else [s for s in SECTIONS if s not in OPT_IN]
    sections = [s for s in SECTIONS if s in only] if only else default
    plan = QUICK if args.quick else FULL
    quick = args.quick
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from streamscope.bench import report
    from streamscope.bench.stats import qt_app

    qt_app()  # also refuses a Qt binding known to crash
    started = time.monotonic()
    print(f"streamscope bench{' --quick' if args.quick else ''}: {', '.join(sections)}")
    print(f"machine: {machine()}", flush=True)
    results: dict[str, object] = {}
    failed: list[str] = []
    for section in sections:
        t = time.monotonic()
        print(f"-- {section} ...", flush=True)
        try:
            results[section] = _run(section, plan, quick)
        except Exception:
            failed.append(section)
            traceback.print_exc()
            print(f"-- {section}: FAILED (traceback above)", flush=True)
            continue
        print(f"-- {section}: {time.monotonic() - t:.1f} s", flush=True)

    lines: list[str] = [""]
    render, ingest = results.get("render"), results.get("ingest")
    latency, memory = results.get("latency"), results.get("memory")
    if render:
        lines += [*report.render_table(render), ""]  # type: ignore[arg-type]
    if ingest:
        lines += [*report.ingest_table(ingest), ""]  # type: ignore[arg-type]
    if latency:
        lines += [*report.latency_table(latency), ""]  # type: ignore[arg-type]
    if memory:
        lines += [*report.memory_table(memory), ""]  # type: ignore[arg-type]
    checks = report.targets(render, ingest, latency, memory)  # type: ignore[arg-type]
    if live := results.get("live"):
        from streamscope.bench.live_load import live_table, live_targets

        lines += [*live_table(live), ""]  # type: ignore[arg-type]
        checks += live_targets(live)  # type: ignore[arg-type]
    if files := results.get("files"):
        from streamscope.bench.files import files_table, files_targets

        lines += [*files_table(files), ""]  # type: ignore[arg-type]
        checks += files_targets(files)  # type: ignore[arg-type]
    if broker := results.get("broker"):
        from streamscope.bench.broker import broker_table, broker_targets

        lines += [*broker_table(broker), ""]  # type: ignore[arg-type]
        checks += broker_targets(broker)  # type: ignore[arg-type]
    if browser := results.get("browser"):
        from streamscope.bench.browser import browser_table, browser_targets

        lines += [*browser_table(browser), ""]  # type: ignore[arg-type]
        checks += browser_targets(browser)  # type: ignore[arg-type]
    lines += ["== Targets (printed, not asserted) ==", *(c.line() for c in checks)]
    total = time.monotonic() - started
    lines.append(f"\nbench: {total:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    print("\n".join(lines), flush=True)
    if args.json:
        doc = {
            "quick": args.quick,
            "machine": machine(),
            "seconds": round(total, 1),
            "failed": failed,
            **{k: _plain(v) for k, v in results.items()},
            "targets": [dataclasses.asdict(c) for c in checks],
        }
        Path(args.json).write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    return 1 if failed else 0


def _run(section: str, plan: Plan, quick: bool = False) -> object:
    log = lambda line: print(line, flush=True)  # noqa: E731
    if section == "render":
        from streamscope.bench.render import measure_render

        return measure_render(
            list(plan.sizes), frames=plan.frames, budget_s=plan.render_budget_s, log=log
        )
    if section == "live":
        from streamscope.bench.live_load import measure_live

        return measure_live(plan.live_s, log=log)
    if section == "files":
        from streamscope.bench.files import measure_files

        return measure_files(plan.files_samples, log=log)
    if section == "browser":
        from streamscope.bench.browser import measure_browser

        return measure_browser(20_000 if quick else 100_000, log=log)
    if section == "memory":
        from streamscope.bench.memory import measure_memory

        return measure_memory(plan.memory_samples)
    from streamscope.bench.live import run_on_qasync

    if section == "broker":
        from streamscope.bench.broker import measure_broker

        return run_on_qasync(lambda: measure_broker(plan.ingest_s / 2, quick, log=log))
    if section == "ingest":
        from streamscope.bench.ingest import measure_ingest

        return run_on_qasync(lambda: measure_ingest(plan.ingest_s, log=log))
    from streamscope.bench.latency import measure_latency

    return run_on_qasync(lambda: measure_latency(plan.latency_s, log=log))


def _plain(value: Any) -> object:
    if isinstance(value, list):
        return [dataclasses.asdict(v) for v in value]
    return dataclasses.asdict(value)


if __name__ == "__main__":
    sys.exit(main())
