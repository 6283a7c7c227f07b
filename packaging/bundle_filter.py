"""What the bundle leaves out, and why: read by streamscope.spec and checked by the tests.

PyInstaller follows every import it can see, including optional ones, so a bundle built in a
developer's environment drags in whatever is installed there (IPython, scipy, pytest...). The
lists below keep the bundle to what StreamScope runs, the same on every machine. Nothing here
lists hidden imports: pyinstaller-hooks-contrib's hooks for pyqtgraph and websockets do that.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from fnmatch import fnmatch
from pathlib import Path

# Python packages never imported by the app. Each is reached only through an optional import
# of a dependency (shown after #); a project dependency must never appear here (a test checks).
EXCLUDED_MODULES = [
    # Qt modules the app does not use. (QtOpenGL and QtOpenGLWidgets must stay: pyqtgraph
    # 0.14's PlotCurveItem imports them unconditionally.) pyqtgraph imports QtTest inside
    # try/except and works without it.
    "PySide6.QtTest",
    "PySide6.QtNetwork",  # the server is websockets on asyncio, not Qt
    "PySide6.QtDBus",  # the Python binding only; Qt's own D-Bus library stays
    "pyqtgraph.opengl",  # needs PyOpenGL
    "trio",  # websockets.trio (the app uses websockets.asyncio)
    "websockets.trio",
    "IPython",  # trio, pyqtgraph's console
    "jedi",
    "scipy",  # pyqtgraph's optional filters and fits
    "numba",  # pyqtgraph.functions_numba
    "cupy",
    "h5py",  # pyqtgraph's HDF5 exporter
    "matplotlib",  # pyqtgraph's MatplotlibExporter
    "PIL",
    "yaml",  # numpy.__config__.show()
    "numpy.f2py",  # the Fortran wrapper generator (a build tool)
    "charset_normalizer",  # numpy.f2py
    "werkzeug",
    "cryptography",
    "tkinter",
    "_tkinter",
    "pytest",
    "_pytest",
    "hypothesis",
    "setuptools",
    "pkg_resources",
]

# Files dropped after analysis, matched against their path inside the bundle ('/'-separated,
# lower case; Qt's files are lib*.so on Linux, *.dll on Windows, *.dylib/frameworks on macOS).
DROPPED_FILES = [
    # Qt's own translations (7 MB): the app installs no QTranslator, so they are never loaded.
    "pyside6/qt/translations/*",
    # Platform plugins for embedded devices and remote framebuffers; a desktop uses xcb,
    # wayland, windows or cocoa, and offscreen runs the self-test and CI.
    "pyside6/qt/plugins/platforms/*qeglfs*",
    "pyside6/qt/plugins/platforms/*qlinuxfb*",
    "pyside6/qt/plugins/platforms/*qminimalegl*",
    "pyside6/qt/plugins/platforms/*qvkkhrdisplay*",
    "pyside6/qt/plugins/platforms/*qvnc*",
    "pyside6/qt/plugins/egldeviceintegrations/*",
    "pyside6/qt/lib/*qt6eglfs*",
    "pyside6/qt/plugins/generic/*",  # evdev/tslib/tuio touch input for embedded devices
    # The GTK platform theme would bundle the build machine's GTK stack (cairo, pango, ...);
    # on GNOME, Qt's xdgdesktopportal theme gives native file dialogs without it.
    "pyside6/qt/plugins/platformthemes/*qgtk3*",
    # Image formats nobody opens or writes here (PNG is built in; JPEG, SVG, ICO stay).
    "pyside6/qt/plugins/imageformats/*qpdf*",
    "pyside6/qt/lib/*qt6pdf*",
    "pyside6/qt/plugins/imageformats/*qtiff*",
    "pyside6/qt/plugins/imageformats/*qwebp*",
    "pyside6/qt/plugins/imageformats/*qtga*",
    "pyside6/qt/plugins/imageformats/*qwbmp*",
    "pyside6/qt/plugins/imageformats/*qgif*",
    "pyside6/qt/plugins/imageformats/*qicns*",
]


def keep(dest: str) -> bool:
    """False for a bundled file that ``DROPPED_FILES`` leaves out."""
    path = dest.replace("\\", "/").lower()
    return not any(fnmatch(path, pattern) for pattern in DROPPED_FILES)


def filter_toc(toc: list[tuple]) -> tuple[list[tuple], list[str]]:
    """Split PyInstaller TOC entries (dest, src, kind) into kept ones and dropped names."""
    kept = [entry for entry in toc if keep(entry[0])]
    dropped = [entry[0] for entry in toc if not keep(entry[0])]
    return kept, dropped


# ------------------------------------------------------------ Linux shared libraries

# The interpreter's own libraries ship with debug symbols on source-built Pythons (pyenv:
# libpython 23 MB -> 5.5 MB). Wheels' libraries are never stripped: auditwheel-patched ones
# (numpy's OpenBLAS) break when strip rewrites them.
STRIPPED_FILES = ["libpython3*", "python3*/lib-dynload/*.so"]


def strip_interpreter(toc: list[tuple], workdir: str | Path) -> tuple[list[tuple], int]:
    """Point ``STRIPPED_FILES`` entries at stripped copies; return the TOC and bytes saved.

    Does nothing without binutils' ``strip`` (the bundle is then larger, not broken)."""
    tool = shutil.which("strip")
    if tool is None:
        return toc, 0
    out, saved = [], 0
    for dest, src, kind in toc:
        path = dest.replace("\\", "/")
        if kind in ("BINARY", "EXTENSION") and any(fnmatch(path, p) for p in STRIPPED_FILES):
            copy = Path(workdir) / "stripped" / path
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy)
            if subprocess.run(
                [tool, "--strip-unneeded", str(copy)], capture_output=True
            ).returncode:
                out.append((dest, src, kind))  # leave it as it was
                continue
            saved += Path(src).stat().st_size - copy.stat().st_size
            src = str(copy)
        out.append((dest, src, kind))
    return out, saved


def elf_needed(path: str | Path) -> list[str] | None:
    """The DT_NEEDED names of an ELF shared object or executable; None if it is not ELF."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        return None
    is64, end = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
    sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
    names: list[str] = []
    for sh in sections:
        if sh[1] != 6:  # SHT_DYNAMIC
            continue
        strtab = sections[sh[6]]  # sh_link: the string table of this section
        str_off, dyn_off, dyn_size = strtab[4], sh[4], sh[5]
        step = struct.calcsize(dyn_fmt)
        for off in range(dyn_off, dyn_off + dyn_size, step):
            tag, val = struct.unpack_from(dyn_fmt, data, off)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                start = str_off + val
                names.append(data[start : data.index(b"\0", start)].decode())
    return names


def prune_unreferenced(toc: list[tuple]) -> tuple[list[tuple], list[str]]:
    """Drop shared libraries that nothing left in the bundle loads (Linux ELF only).

    Roots are what Python or Qt load by path: extension modules, Qt plugins, libpython and
    the executable. A library is kept if a root needs it, directly or through other kept
    libraries (DT_NEEDED); libraries that only a dropped plugin needed go too, and so do
    symlinks to anything dropped."""
    by_name: dict[str, tuple] = {}
    for entry in toc:
        if entry[2] == "BINARY":
            by_name.setdefault(entry[0].replace("\\", "/").rsplit("/", 1)[-1], entry)
    symlinks = {e[0].replace("\\", "/").rsplit("/", 1)[-1]: e for e in toc if e[2] == "SYMLINK"}

    def is_root(entry: tuple) -> bool:
        path = entry[0].replace("\\", "/")
        return (
            entry[2] in ("EXTENSION", "EXECUTABLE")
            or "/plugins/" in f"/{path}"
            or path.rsplit("/", 1)[-1].startswith("libpython")
        )

    needed_cache: dict[str, list[str]] = {}
    seen: set[str] = set()
    stack = [e for e in toc if e[2] in ("BINARY", "EXTENSION", "EXECUTABLE") and is_root(e)]
    while stack:
        entry = stack.pop()
        if entry[0] in seen:
            continue
        seen.add(entry[0])
        if entry[1] not in needed_cache:
            try:
                needed_cache[entry[1]] = elf_needed(entry[1]) or []
            except (OSError, struct.error, ValueError, IndexError):
                needed_cache[entry[1]] = []
        for name in needed_cache[entry[1]]:
            target = by_name.get(name)
            if target is None and name in symlinks:  # top-level symlink to a library in a subfolder
                dest = symlinks[name][1].replace("\\", "/")
                target = next(
                    (e for e in by_name.values() if e[0].replace("\\", "/") == dest), None
                )
            if target is not None:
                stack.append(target)
    kept, dropped = [], []
    for entry in toc:
        if entry[2] == "BINARY" and entry[0] not in seen:
            dropped.append(entry[0])
        else:
            kept.append(entry)
    gone = {d.replace("\\", "/") for d in dropped}
    final = []
    for entry in kept:
        if entry[2] == "SYMLINK":
            base = entry[0].replace("\\", "/").rsplit("/", 1)
            target = entry[1].replace("\\", "/")
            full = f"{base[0]}/{target}" if len(base) == 2 else target
            if full in gone or target in gone:
                dropped.append(entry[0])
                continue
        final.append(entry)
    return final, dropped
