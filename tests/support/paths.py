"""Where the checkout is, and child Python processes that run this checkout's sources."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment with the checkout's sources first and Qt offscreen, so a
    child process tests this tree (not an installed copy) without a display."""
    return {**os.environ, "PYTHONPATH": str(SRC), "QT_QPA_PLATFORM": "offscreen", **extra}


def assert_imports_without_qt(*modules: str) -> None:
    """Import ``modules`` in a fresh interpreter and fail if that loaded Qt or pyqtgraph: the
    layers a headless tool (export, a server) relies on must work without a display stack."""
    code = (
        f"import sys; import {', '.join(modules)}; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'qasync')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=child_env())
