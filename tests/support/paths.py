"""Where the checkout is, and the environment a child ``python -m streamscope`` runs in."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment with the checkout's sources first and Qt offscreen, so a
    child process tests this tree (not an installed copy) without a display."""
    return {**os.environ, "PYTHONPATH": str(SRC), "QT_QPA_PLATFORM": "offscreen", **extra}
