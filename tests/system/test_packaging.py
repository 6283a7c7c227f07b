"""The desktop bundle: what the spec leaves out, the Linux desktop entry, and the smoke test
that builds the bundle and runs its ``--self-test``.

The bundle test takes a minute or two, so it runs only when ``CI=true`` (CI always runs it)
or ``STREAMSCOPE_BUNDLE_TEST=1``; under CI a missing PyInstaller fails it instead of skipping.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from support.paths import ROOT

PACKAGING = ROOT / "packaging"
IN_CI = os.environ.get("CI", "").lower() == "true"
RUN_BUNDLE = IN_CI or os.environ.get("STREAMSCOPE_BUNDLE_TEST") == "1"
BASELINE_MIB = 219  # a minimal PySide6 + pyqtgraph onedir bundle (shared notes): stay below


def load(name: str):
    """A module from packaging/ by path (its names, like build, are too generic to import)."""
    spec = importlib.util.spec_from_file_location(f"_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_filter = load("bundle_filter")


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


# ------------------------------------------------------------ what the bundle leaves out


def test_no_dependency_is_excluded_from_the_bundle():
    def norm(name: str) -> str:  # PEP 503: PySide6-Essentials == pyside6_essentials
        return re.sub(r"[-_.]+", "-", name).lower()

    deps = {norm(re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0]) for d in project()["dependencies"]}
    modules = {
        top
        for top, dists in packages_distributions().items()
        if any(norm(d) in deps for d in dists)
    }
    assert {"PySide6", "pyqtgraph", "numpy", "websockets", "qasync", "mcap"} <= modules
    assert not modules & set(bundle_filter.EXCLUDED_MODULES)


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qt_de.qm", False),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", True),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
        ("PySide6\\Qt\\plugins\\imageformats\\qpdf.dll", False),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", True),
        ("PySide6/Qt/lib/libQt6Core.so.6", True),
        ("resources/icons/streamscope-64.png", True),
    ],
)
def test_dropped_files(dest, kept):
    assert bundle_filter.keep(dest) is kept


def numpy_extension() -> Path:
    import numpy._core._multiarray_umath as m

    return Path(m.__file__)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF")
def test_elf_needed_matches_readelf():
    if shutil.which("readelf") is None:
        pytest.skip("no readelf to compare with")
    for path in (numpy_extension(), Path(sys.executable).resolve()):
        out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
        assert bundle_filter.elf_needed(path) == re.findall(r"\(NEEDED\).*\[(.+?)\]", out)
    assert bundle_filter.elf_needed(ROOT / "pyproject.toml") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF")
def test_prune_keeps_what_extensions_need_and_drops_the_rest():
    ext = numpy_extension()
    needed = bundle_filter.elf_needed(ext)
    libs = ext.parents[2] / "numpy.libs"
    blas = next(p for p in libs.iterdir() if p.name in needed)
    import PySide6

    icu = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    toc = [
        ("numpy/_core/" + ext.name, str(ext), "EXTENSION"),
        ("numpy.libs/" + blas.name, str(blas), "BINARY"),
        ("PySide6/Qt/lib/" + icu.name, str(icu), "BINARY"),  # nothing here needs it
        (icu.name, "PySide6/Qt/lib/" + icu.name, "SYMLINK"),
        (blas.name, "numpy.libs/" + blas.name, "SYMLINK"),
        ("resources/streamscope.desktop", str(ROOT / "resources/streamscope.desktop"), "DATA"),
    ]
    kept, dropped = bundle_filter.prune_unreferenced(toc)
    assert dropped == ["PySide6/Qt/lib/" + icu.name, icu.name]
    assert [e[0] for e in kept] == [toc[0][0], toc[1][0], blas.name, toc[5][0]]


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("strip") is None, reason="binutils"
)
def test_strip_interpreter_only_touches_the_interpreter(tmp_path):
    import _bisect

    src = Path(_bisect.__file__)
    toc = [
        ("python3.11/lib-dynload/" + src.name, str(src), "EXTENSION"),
        ("numpy/_core/x.so", str(numpy_extension()), "EXTENSION"),
    ]
    out, saved = bundle_filter.strip_interpreter(toc, tmp_path)
    assert saved >= 0 and out[1] == toc[1]  # wheels' libraries are never stripped
    stripped = Path(out[0][1])
    assert stripped.parent.is_relative_to(tmp_path) and stripped.is_file()
    assert bundle_filter.elf_needed(stripped) == bundle_filter.elf_needed(src)


# ------------------------------------------------------------ Linux desktop integration


def desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_is_complete():
    entry = desktop_entry(ROOT / "resources" / "streamscope.desktop")
    assert entry["Type"] == "Application" and entry["Name"] == "StreamScope"
    assert entry["Exec"].split()[0] == "streamscope" and entry["Terminal"] == "false"
    assert entry["Icon"] == "streamscope"
    assert (ROOT / "resources" / "icons" / "streamscope-256.png").is_file()
    assert entry["Categories"].endswith(";") and "Development" in entry["Categories"]
    # the window's WM_CLASS class is the application name set in app.py
    assert entry["StartupWMClass"] == "StreamScope"
    if shutil.which("desktop-file-validate"):
        path = ROOT / "resources" / "streamscope.desktop"
        proc = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(os.name != "posix" or not shutil.which("sh"), reason="POSIX shell script")
def test_install_desktop_entry_from_a_bundle_folder_and_back(tmp_path):
    bundle = tmp_path / "Stream Scope"  # a space in the path must survive the Exec key
    (bundle / "_internal").mkdir(parents=True)
    shutil.copytree(ROOT / "resources", bundle / "_internal" / "resources")
    shutil.copy2(PACKAGING / "linux" / "install-desktop-entry.sh", bundle)
    exe = bundle / "streamscope"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    data = tmp_path / "data"
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    script = str(bundle / "install-desktop-entry.sh")

    proc = subprocess.run(["sh", script], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    entry = desktop_entry(data / "applications" / "streamscope.desktop")
    assert entry["Exec"] == f'"{exe}"' and entry["Name"] == "StreamScope"
    icons = data / "icons" / "hicolor"
    for size in (16, 48, 256, 512):
        png = icons / f"{size}x{size}" / "apps" / "streamscope.png"
        assert (
            png.read_bytes()
            == (ROOT / "resources" / "icons" / f"streamscope-{size}.png").read_bytes()
        )
    assert (icons / "scalable" / "apps" / "streamscope.svg").is_file()

    proc = subprocess.run(
        ["sh", script, "--uninstall"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert not (data / "applications" / "streamscope.desktop").exists()
    assert not list(icons.rglob("streamscope.*"))


def test_install_desktop_entry_says_what_is_missing(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX shell script")
    shutil.copy2(PACKAGING / "linux" / "install-desktop-entry.sh", tmp_path)
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run(
        ["sh", str(tmp_path / "install-desktop-entry.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "resources not found" in proc.stderr
    assert not (tmp_path / "data").exists()


# ------------------------------------------------------------ the bundle itself


@pytest.mark.slow
@pytest.mark.skipif(
    not RUN_BUNDLE,
    reason="builds the PyInstaller bundle (~1 min); CI runs it, or set STREAMSCOPE_BUNDLE_TEST=1",
)
def test_bundle_builds_and_passes_its_self_test(tmp_path, capsys):
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.fail('PyInstaller is not installed: pip install -e ".[package]"')
    xcb = "require" if IN_CI and sys.platform.startswith("linux") else "auto"
    report_path = tmp_path / "report.json"
    cmd = [
        sys.executable, str(PACKAGING / "smoke.py"),
        "--dist", str(tmp_path / "dist"), "--work", str(tmp_path / "work"),
        "--json", str(report_path), "--xcb", xcb,
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    with capsys.disabled():  # the figures belong in the CI log
        print("\n" + proc.stdout.rstrip())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(report_path.read_text())
    assert report["ok"] and report["version"] == project()["version"]
    labels = [r["label"] for r in report["runs"]]
    assert labels[:4] == ["cold", "warm1", "warm2", "warm3"]
    assert all(r["ok"] and r["first_frame_s"] > 0 for r in report["runs"])
    assert 0 < report["size_mib"] < BASELINE_MIB
