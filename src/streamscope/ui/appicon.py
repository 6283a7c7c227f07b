"""The app icon as a QIcon, from the PNG sizes in resources/icons (no SVG renderer needed)."""

from __future__ import annotations

import logging

from PySide6.QtGui import QIcon

from streamscope.resources import icon_paths

log = logging.getLogger(__name__)


def app_icon() -> QIcon:
    """Every PNG size that is present; an empty icon (and a warning) if none is."""
    icon = QIcon()
    for path in icon_paths():
        icon.addFile(str(path))
    if icon.isNull():
        log.warning("app icon not found; the window shows the platform's default icon")
    return icon
