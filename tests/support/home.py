"""The user's real folders, out of every test's reach.

``redirect()`` runs when conftest is imported, before any test module (some build child
environments or apps at import time): it points StreamScope's config and documents folders,
and the XDG folders platformdirs reads, at a temporary folder for the whole session. What the
real config folder held at that moment is kept, so a test can check the suite wrote nothing.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import platformdirs

from streamscope.core.files.userdirs import APP, CONFIG_ENV, DOCUMENTS_ENV

REAL_CONFIG_DIR = Path(platformdirs.user_config_dir(APP, appauthor=False))
REAL_DOCUMENTS_DIR = Path(platformdirs.user_documents_dir()) / APP


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time (ns)."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


REAL_CONFIG_BEFORE = listing(REAL_CONFIG_DIR)
REAL_DOCUMENTS_BEFORE = listing(REAL_DOCUMENTS_DIR)
SESSION_ROOT = Path(tempfile.mkdtemp(prefix="streamscope-tests-"))


def redirect() -> None:
    os.environ[CONFIG_ENV] = str(SESSION_ROOT / "config")
    os.environ[DOCUMENTS_ENV] = str(SESSION_ROOT / "documents")
    os.environ["XDG_CONFIG_HOME"] = str(SESSION_ROOT / "xdg-config")
    os.environ["XDG_DOCUMENTS_DIR"] = str(SESSION_ROOT / "xdg-documents")
    atexit.register(shutil.rmtree, SESSION_ROOT, ignore_errors=True)
