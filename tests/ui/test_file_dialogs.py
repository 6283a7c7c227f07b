"""Files land where users look: the dialogs open in Documents/StreamScope/{Snapshots,Exports,
Layouts}, made on first use, then in the folder last used for the same kind of file."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from streamscope.core.files.userdirs import Settings, documents_dir
from support.data import game_store


@pytest.fixture
def store():
    t = np.arange(0, 5, 0.1)
    return game_store({"fps": (t, t)})


@pytest.fixture
def asked(monkeypatch):
    """The folder each file dialog opened in; the dialogs answer with ``answer[0]``."""
    seen: list[str] = []
    answer = [""]

    def save(_parent, _title, where, filters):
        seen.append(where)
        return answer[0], filters.split(";;")[0]

    def open_(_parent, _title, where, _filters):
        seen.append(where)
        return answer[0], ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_))
    return seen, answer


def test_dialogs_open_in_the_documents_folders_made_on_first_use(window, asked, tmp_path):
    seen, answer = asked
    files = window.file_actions
    window.new_chart(["fps"])
    docs = documents_dir()
    assert not docs.exists()
    files._ask_chart_image(window.charts[0])
    files._ask_chart_csv(window.charts[0])
    files._ask_save_layout()
    files._ask_load_layout()
    folders = [p if p.endswith(("Layouts", "Exports")) else p.rsplit("/", 1)[0] for p in seen]
    assert folders == [
        str(docs / "Snapshots"),
        str(docs / "Exports"),
        str(docs / "Layouts"),
        str(docs / "Layouts"),
    ]
    assert all((docs / d).is_dir() for d in ("Snapshots", "Exports", "Layouts"))

    # then the folder last used
    elsewhere = tmp_path / "mine"
    elsewhere.mkdir()
    answer[0] = str(elsewhere / "chart.png")
    files._ask_chart_image(window.charts[0])
    answer[0] = ""
    files._ask_chart_image(window.charts[0])
    assert seen[-1].rsplit("/", 1)[0] == str(elsewhere)


def test_start_folder_falls_back_to_the_default_when_the_last_one_is_gone(tmp_path):
    settings = Settings(tmp_path / "settings.json")
    gone = tmp_path / "gone"
    settings.set("k", str(gone))
    default = tmp_path / "docs" / "Snapshots"
    assert settings.start_folder("k", default) == default and default.is_dir()
