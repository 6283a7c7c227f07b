"""Build the StreamScope desktop bundle with PyInstaller: ``python packaging/build.py``.

    python packaging/build.py            # dist/streamscope/, run dist/streamscope/streamscope
    python packaging/build.py --onefile  # dist/streamscope, one file that unpacks at each start

Needs the ``package`` extra: ``pip install -e ".[package]"``. On Linux the bundle also gets
``install-desktop-entry.sh``, which adds StreamScope to the desktop's application menu.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "streamscope.spec"
DESKTOP_SCRIPT = ROOT / "packaging" / "linux" / "install-desktop-entry.sh"
EXE_NAME = "streamscope.exe" if sys.platform == "win32" else "streamscope"


@dataclass
class Bundle:
    path: Path  # the onedir folder, or the onefile executable
    executable: Path
    onefile: bool
    build_seconds: float

    def size_bytes(self) -> int:
        return bundle_size(self.path)


def bundle_size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (symlinks not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(
    onefile: bool = False,
    dist: Path = ROOT / "dist",
    work: Path = ROOT / "build" / "pyinstaller",
    console: bool = False,
    quiet: bool = False,
) -> Bundle:
    """Run PyInstaller on the spec; raise ``BuildError`` with its log's tail if it fails."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise BuildError('PyInstaller is not installed: pip install -e ".[package]"') from None
    cmd = [
        sys.executable, "-m", "PyInstaller", str(SPEC),
        "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work),
    ]  # fmt: skip
    spec_args = [a for a, on in (("--onefile", onefile), ("--console", console)) if on]
    if spec_args:
        cmd += ["--", *spec_args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        tail = "\n".join(log.strip().splitlines()[-30:])
        raise BuildError(f"PyInstaller failed (exit {proc.returncode}):\n{tail}")
    if not quiet:
        for line in log.splitlines():
            if "streamscope.spec:" in line:
                print(line.strip())
    if onefile:
        exe = dist / EXE_NAME
        bundle = Bundle(exe, exe, True, seconds)
    else:
        folder = dist / "streamscope"
        bundle = Bundle(folder, folder / EXE_NAME, False, seconds)
        if sys.platform.startswith("linux"):
            target = folder / DESKTOP_SCRIPT.name
            shutil.copy2(DESKTOP_SCRIPT, target)
            target.chmod(0o755)
    if not bundle.executable.is_file():
        raise BuildError(f"PyInstaller finished but {bundle.executable} is missing")
    return bundle


class BuildError(Exception):
    """The bundle could not be built; the message says why."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--onefile", action="store_true", help="one self-extracting executable")
    p.add_argument("--console", action="store_true", help="keep a console on Windows/macOS")
    p.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller")
    args = p.parse_args(argv)
    try:
        bundle = build(args.onefile, args.dist, args.work, args.console)
    except BuildError as e:
        print(f"build: {e}", file=sys.stderr)
        return 1
    print(
        f"built {bundle.path} in {bundle.build_seconds:.0f} s: "
        f"{bundle.size_bytes() / 2**20:.1f} MiB; run {bundle.executable}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
