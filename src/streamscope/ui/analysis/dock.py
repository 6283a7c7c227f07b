"""What every analysis panel is: a dock that reads the store and the analysis hub (never the
controller), is redrawn by the render clock, and has its share of a saved layout."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget

from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.store.store import Store


class AnalysisDock(QDockWidget):
    def __init__(
        self, title: str, name: str, store: Store, hub: AnalysisHub, parent: QWidget | None
    ) -> None:
        """``name``: the object name Qt saves the dock's place under (keep it stable)."""
        super().__init__(title, parent)
        self.setObjectName(name)
        self.store = store
        self.hub = hub

    def refresh(self) -> bool:
        """Called on the render clock's views timer (~10 Hz); True if it drew something."""
        raise NotImplementedError

    def state(self) -> dict:
        """What a layout saves of this panel (nothing unless the panel says otherwise)."""
        return {}

    def restore(self, state: dict) -> None:
        """Apply ``state()`` output; raises on a malformed part (the caller reports it)."""
