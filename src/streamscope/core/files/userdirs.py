"""Where StreamScope keeps user files: config (layouts, settings) and documents (snapshots,
recordings), with environment overrides so tests and scripts never touch the real folders.

- ``STREAMSCOPE_CONFIG_DIR``: replaces the per-OS config folder (platformdirs).
- ``STREAMSCOPE_DOCUMENTS_DIR``: replaces ``<Documents>/StreamScope``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import platformdirs

APP = "StreamScope"
CONFIG_ENV = "STREAMSCOPE_CONFIG_DIR"
DOCUMENTS_ENV = "STREAMSCOPE_DOCUMENTS_DIR"


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_ENV) or platformdirs.user_config_dir(APP, appauthor=False))


def documents_dir() -> Path:
    override = os.environ.get(DOCUMENTS_ENV)
    return Path(override) if override else Path(platformdirs.user_documents_dir()) / APP


def snapshots_dir() -> Path:
    return documents_dir() / "Snapshots"


def recordings_dir() -> Path:
    return documents_dir() / "Recordings"


def exports_dir() -> Path:
    """Chart data saved as CSV."""
    return documents_dir() / "Exports"


def layouts_dir() -> Path:
    """Layouts the user saves by name (the remembered last layout stays in the config folder)."""
    return documents_dir() / "Layouts"


def last_layout_path() -> Path:
    return config_dir() / "last_layout.json"


def timestamp(when: dt.datetime | None = None) -> str:
    """Sortable local time for file names: 20250131-142501."""
    return (when or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")


def safe_name(text: str, fallback: str = "chart", limit: int = 60) -> str:
    """``text`` usable as part of a file name on every OS (letters, digits, . _ - kept)."""
    name = re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-.")
    return name[:limit].rstrip("-.") or fallback


def stamped_name(title: str, suffix: str, when: dt.datetime | None = None) -> str:
    """``<title>_<timestamp><suffix>``: says what and when, and sorts by time."""
    return f"{safe_name(title)}_{timestamp(when)}{suffix}"


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Settings:
    """A few remembered choices (last folders) in ``settings.json`` in the config folder.

    A missing or unreadable file is an empty one: settings are a convenience, never a reason
    to fail. Values are read and written through immediately.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "settings.json"

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        return self._load().get(key, default)

    def set(self, key: str, value: Any) -> None:
        data = self._load()
        data[key] = value
        with contextlib.suppress(OSError):
            write_atomically(self.path, json.dumps(data, indent=2).encode())

    def folder(self, key: str, default: Path) -> Path:
        """A remembered folder if it still exists, else ``default``."""
        value = self.get(key)
        if isinstance(value, str) and Path(value).is_dir():
            return Path(value)
        return default

    def start_folder(self, key: str, default: Path) -> Path:
        """Where a file dialog opens: the folder last used for ``key``, else ``default``,
        created on first use (a dialog given a missing folder opens wherever the app was
        started). If it cannot be created, the nearest folder of it that exists."""
        folder = self.folder(key, default)
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
        while not folder.is_dir() and folder.parent != folder:
            folder = folder.parent
        return folder
