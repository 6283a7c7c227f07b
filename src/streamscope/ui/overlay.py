"""Text drawn over a plot (the crosshair readout, the drop zone), never in a layout.

Why: a label in a layout asks for its text's width; a long readout in a chart's toolbar became
the dock's minimum width and the whole window reflowed under the mouse. A child widget placed
by hand takes no part in layout: it is elided to the space there is and cannot move anything.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QLabel, QWidget

READOUT_STYLE = "color: #e0e0e0; background: rgba(20, 20, 20, 200); padding: 1px 5px"
BADGE_STYLE = "color: #b0b0b0; background: #1c1c1c; padding: 1px 5px; border-radius: 3px"


class OverlayLabel(QLabel):
    """A one-line label over ``parent``, elided to its width; ``text()`` is the full text.

    ``corner``: "bottom-left" or "top-right" of ``area()`` (a rect in the parent's coordinates,
    the whole parent by default), placed again whenever the text changes; the parent calls
    :meth:`place` when it is resized."""

    def __init__(
        self,
        parent: QWidget,
        corner: str = "bottom-left",
        margin: int = 6,
        area: Callable[[], QRect] | None = None,
        style: str = READOUT_STYLE,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._corner = corner
        self._margin = margin
        self._area = area or parent.rect
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setStyleSheet(style)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()

    def text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.place()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        if not self._full:
            self.hide()
            return
        rect = self._area()
        room = max(rect.width() - 2 * self._margin, 20)
        pad = 12  # the style's padding
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room - pad)
        QLabel.setText(self, shown)
        self.setToolTip(self._full if shown != self._full else "")
        self.adjustSize()
        self.resize(min(self.width(), room), self.height())
        if self._corner == "top-right":
            self.move(max(0, rect.right() - self.width() - self._margin), rect.top() + 4)
        else:
            self.move(rect.left() + self._margin, max(0, rect.bottom() - self.height() - 4))
        self.show()
        self.raise_()
