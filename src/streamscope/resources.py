"""Where the app's own files (icons, desktop entry, layouts, themes) are found.

They live in the repository's top-level ``resources/`` folder. The same relative name must
resolve in a checkout, inside a PyInstaller bundle (which copies the folder next to the
bundled code, under ``sys._MEIPASS``) and, if someone packs them there, in an installed
``share/streamscope/resources``. Plain Python: the core and tools may use it without Qt.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePosixPath

FOLDER = "resources"
ENV_OVERRIDE = "STREAMSCOPE_RESOURCES"  # a folder searched first (tests, packagers)


class ResourceNotFound(FileNotFoundError):
    """A resource that is in none of the places searched; says where it looked."""


def resource_dirs() -> list[Path]:
    """Folders searched, first match wins: override, bundle, checkout, installed data."""
    dirs: list[Path] = []
    if override := os.environ.get(ENV_OVERRIDE):
        dirs.append(Path(override))
    if bundle := getattr(sys, "_MEIPASS", None):
        dirs.append(Path(bundle) / FOLDER)
    dirs.append(Path(__file__).resolve().parents[2] / FOLDER)  # <checkout>/src/streamscope/..
    dirs.append(Path(sys.prefix) / "share" / "streamscope" / FOLDER)
    return dirs


def resource_path(name: str) -> Path:
    """The file ``name`` (a relative, ``/``-separated path such as ``icons/streamscope-64.png``).

    Raises ``ResourceNotFound`` listing the folders searched, so a broken bundle says what is
    missing instead of silently showing no icon.
    """
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts or "\\" in name:
        raise ValueError(f"resource names are relative paths inside {FOLDER}/: {name!r}")
    dirs = resource_dirs()
    for folder in dirs:
        path = folder.joinpath(*rel.parts)
        if path.is_file():
            return path
    searched = ", ".join(str(d) for d in dirs)
    raise ResourceNotFound(f"resource {name!r} not found (searched {searched})")


def icon_paths() -> list[Path]:
    """The app icon's PNG sizes that are present, smallest first."""
    found = []
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        try:
            found.append(resource_path(f"icons/streamscope-{size}.png"))
        except ResourceNotFound:
            continue
    return found
