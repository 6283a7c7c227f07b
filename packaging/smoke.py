"""Build the bundle, run ``--self-test`` from it as a user's machine would, report the figures.

    python packaging/smoke.py                  # build, then run the checks
    python packaging/smoke.py --no-build       # check the bundle already in dist/
    python packaging/smoke.py --json out.json  # also write the figures as JSON

Each run starts the bundled executable with no Python environment variables, from an empty
folder, and fails on a non-zero exit, on a result line that is not the self-test's, on a
version that is not pyproject.toml's, or on any stderr line not in ``ALLOWED_STDERR``. The
first run starts with the bundle's files evicted from the page cache (Linux), as after a
reboot; the next ones are warm. Where ``xvfb-run`` exists it also runs once on a real X
server with Qt's xcb platform, the path a desktop user takes. Exit 0 when all pass.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build import ROOT, BuildError, Bundle, build

# stderr lines known to be harmless; anything else fails the smoke test.
ALLOWED_STDERR = [
    # Qt's offscreen platform has no window manager to pass size hints to.
    r"^This plugin does not support propagateSizeHints\(\)$",
]
RESULT = re.compile(
    r"^StreamScope (?P<version>\S+) self-test passed: .*first frame "
    r"(?P<first_frame>[0-9.]+) s after launch$"
)
TIMEOUT = 180.0  # seconds per run; a healthy one takes about two


@dataclass
class Run:
    label: str
    ok: bool
    exit_code: int | None
    first_frame_s: float | None  # launch -> first chart frame with data
    wall_s: float  # launch -> process exit
    peak_rss_mib: float | None
    line: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Report:
    ok: bool
    version: str
    bundle: str
    onefile: bool
    size_mib: float
    files: int
    build_s: float | None
    cache_evicted: bool
    runs: list[Run]

    def run(self, label: str) -> Run | None:
        return next((r for r in self.runs if r.label == label), None)


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def clean_env(platform: str) -> dict[str, str]:
    """The environment of a machine with no Python: no PYTHON* variables, Qt told where to draw."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = platform
    return env


def evict_page_cache(folder: Path) -> bool:
    """Drop the bundle's files from the page cache (Linux) so the next start reads the disk."""
    if not hasattr(os, "posix_fadvise"):
        return False
    os.sync()  # dirty pages (the build just wrote them) cannot be dropped
    files = [folder] if folder.is_file() else [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return True


def run_self_test(
    bundle: Bundle, label: str, version: str, platform: str = "offscreen", wrapper=()
) -> Run:
    """Start the bundle's ``--self-test`` once and judge everything it printed."""
    env = clean_env(platform)
    with tempfile.TemporaryDirectory(prefix="streamscope-smoke-") as tmp:
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            env["STREAMSCOPE_LAUNCHED_AT"] = repr(time.time())
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*wrapper, str(bundle.executable), "--self-test"],
                cwd=tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            code, rss = _wait(proc)
            wall = time.perf_counter() - start
        stdout = out_path.read_text("utf-8", "replace")
        stderr = err_path.read_text("utf-8", "replace")
    problems = []
    if code is None:
        problems.append(f"no exit within {TIMEOUT:.0f} s (killed)")
    elif code != 0:
        problems.append(f"exit code {code}")
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    match = RESULT.match(lines[0]) if len(lines) == 1 else None
    if match is None:
        problems.append(f"expected one self-test result line on stdout, got {lines!r}")
    elif match["version"] != version:
        problems.append(f"bundle says version {match['version']}, pyproject.toml {version}")
    unexpected = [
        ln
        for ln in stderr.splitlines()
        if ln.strip() and not any(re.search(p, ln) for p in ALLOWED_STDERR)
    ]
    if unexpected:
        problems.append("unexpected stderr:\n    " + "\n    ".join(unexpected[:40]))
    return Run(
        label,
        not problems,
        code,
        float(match["first_frame"]) if match else None,
        wall,
        rss,
        lines[0] if lines else "",
        problems,
    )


def _wait(proc: subprocess.Popen) -> tuple[int | None, float | None]:
    """Exit code (None if it had to be killed) and peak RSS in MiB where the OS reports it."""
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    try:
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            rss = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
        else:
            proc.wait()
            rss = None
    finally:
        killed = not timer.is_alive()
        timer.cancel()
    return (None if killed else proc.returncode), rss


def smoke(bundle: Bundle, runs: int = 3, xcb: str = "auto", log=print) -> Report:
    version = pyproject_version()
    evicted = evict_page_cache(bundle.path)
    results = [run_self_test(bundle, "cold", version)]
    log(_describe(results[-1], "offscreen, bundle evicted from page cache" if evicted else
                  "offscreen, first run"))  # fmt: skip
    for i in range(runs):
        results.append(run_self_test(bundle, f"warm{i + 1}", version))
    warm = results[1:]
    if warm:
        log(_describe_warm(warm))
    xvfb = shutil.which("xvfb-run")
    if xcb == "require" or (xcb == "auto" and xvfb and sys.platform.startswith("linux")):
        if not xvfb:
            results.append(Run("xcb", False, None, None, 0.0, None, "", ["xvfb-run not found"]))
        else:
            wrapper = (xvfb, "-a", "-s", "-screen 0 1600x1000x24")
            results.append(run_self_test(bundle, "xcb", version, "xcb", wrapper))
        log(_describe(results[-1], "xcb platform on Xvfb"))
    elif xcb != "skip":
        log("self-test (xcb on Xvfb): skipped, no xvfb-run")
    files = 1 if bundle.path.is_file() else sum(1 for p in bundle.path.rglob("*") if p.is_file())
    return Report(
        ok=all(r.ok for r in results),
        version=version,
        bundle=str(bundle.path),
        onefile=bundle.onefile,
        size_mib=round(bundle.size_bytes() / 2**20, 1),
        files=files,
        build_s=round(bundle.build_seconds, 1) if bundle.build_seconds else None,
        cache_evicted=evicted,
        runs=results,
    )


def _describe(run: Run, how: str) -> str:
    if not run.ok:
        return f"self-test ({how}): FAILED\n  " + "\n  ".join(run.problems)
    rss = f", peak RSS {run.peak_rss_mib:.0f} MiB" if run.peak_rss_mib else ""
    return (
        f"self-test ({how}): ok, first frame {run.first_frame_s:.2f} s after launch, "
        f"exited after {run.wall_s:.2f} s{rss}"
    )


def _describe_warm(runs: list[Run]) -> str:
    bad = [r for r in runs if not r.ok]
    if bad:
        return "\n".join(_describe(r, f"offscreen, {r.label}") for r in bad)
    ff = statistics.median(r.first_frame_s for r in runs)  # type: ignore[type-var]
    wall = statistics.median(r.wall_s for r in runs)
    return (
        f"self-test (offscreen, warm, median of {len(runs)}): ok, first frame {ff:.2f} s "
        f"after launch, exited after {wall:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--no-build", action="store_true", help="use the bundle already in --dist")
    p.add_argument("--onefile", action="store_true", help="build/check the one-file bundle")
    p.add_argument("--dist", type=Path, default=ROOT / "dist")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    p.add_argument("--runs", type=int, default=3, help="warm runs after the cold one")
    p.add_argument(
        "--xcb",
        choices=("auto", "require", "skip"),
        default="auto",
        help="also run on Xvfb with Qt's xcb platform (auto: when xvfb-run exists)",
    )
    p.add_argument("--json", type=Path, help="write the figures to this file")
    args = p.parse_args(argv)

    if args.no_build:
        from build import EXE_NAME

        path = args.dist / ("streamscope" if not args.onefile else EXE_NAME)
        exe = path if args.onefile else path / EXE_NAME
        if not exe.is_file():
            print(f"smoke: no bundle at {path}; build it first", file=sys.stderr)
            return 1
        bundle = Bundle(path, exe, args.onefile, 0.0)
    else:
        try:
            # A windowed Windows/macOS build has no stdout for the self-test's line.
            bundle = build(args.onefile, args.dist, args.work, console=sys.platform != "linux")
        except BuildError as e:
            print(f"smoke: {e}", file=sys.stderr)
            return 1
    kind = "onefile" if bundle.onefile else "onedir"
    built = f"; built in {bundle.build_seconds:.0f} s" if bundle.build_seconds else ""
    print(f"bundle: {bundle.path} ({kind}) {bundle.size_bytes() / 2**20:.1f} MiB{built}")
    report = smoke(bundle, args.runs, args.xcb)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2))
    print(f"smoke: {'PASS' if report.ok else 'FAIL'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
