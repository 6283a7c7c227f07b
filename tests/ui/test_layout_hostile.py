"""Hostile layout files: each bad field is reported and left to its default, the rest applies,
the app starts with a message; a file never chooses the model endpoint on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from streamscope.app import build_window
from streamscope.core.files.layout import dump_layout, parse_layout
from streamscope.core.files.layout_check import MAX_CHARTS, cut_deep
from streamscope.core.files.userdirs import last_layout_path
from streamscope.core.store.store import Store
from support.app import start_app

DEEP = "[" * 200_000 + "]" * 200_000


def layout_text(analysis: str = "{}", charts: str | None = None) -> str:
    """A layout whose first chart is 'fps' and whose analysis JSON is ``analysis``."""
    charts = charts or '[{"id": "chart-1", "title": "Frame rate", "streams": ["fps"]}]'
    return f'{{"format": "streamscope-layout", "version": 1, "charts": {charts}, ' \
        f'"analysis": {analysis}}}'  # fmt: skip


TILES = '{"streams": ["fps", "memory"], "window": 2, "period": 1}'
HOSTILE = {
    "derived is a number": (
        layout_text(f'{{"derived": 5, "tiles": {TILES}}}'),
        "analysis.derived must be a list",
    ),
    "tiles window 1e30": (
        layout_text('{"tiles": {"streams": ["fps", "memory"], "window": 1e30}}'),
        "analysis.tiles.window must be a number from 0 to 63",
    ),
    "200k-deep derived": (
        layout_text(f'{{"derived": {DEEP}, "tiles": {TILES}}}'),
        "nested deeper than 32 levels",
    ),
    "200k-deep chart streams": (
        layout_text(
            f'{{"tiles": {TILES}}}',
            f'[{{"streams": {DEEP}}}, {{"id": "chart-1", "title": "Frame rate", '
            '"streams": ["fps"]}]',
        ),
        "'streams' must be a list of names",
    ),
    "chart window 1e30": (
        layout_text(
            f'{{"tiles": {TILES}}}',
            '[{"id": "chart-1", "title": "Frame rate", "streams": ["fps"], "window": 1e30}]',
        ),
        "'window' must be seconds",
    ),
    "forecast points 1e9": (
        layout_text(
            '{"charts": {"chart-1": {"forecast": {"points": 1e9}, "forecasts": ["fps"]}}, '
            f'"tiles": {TILES}}}'
        ),
        "analysis.charts['chart-1'].forecast.points must be a number from 2 to 10000",
    ),
}


def test_deep_nesting_is_cut_before_the_parser_sees_it():
    text, cuts = cut_deep('{"a": [1, "[[[[", {"b": [[[[[[2]]]]]]}], "c": 3}', limit=4)
    assert cuts == 1 and json.loads(text) == {"a": [1, "[[[[", {"b": [None]}], "c": 3}
    assert cut_deep("[" * 10, limit=4) == ("[" * 10, 0)  # not JSON: left for the parser


@pytest.mark.parametrize("case", list(HOSTILE))
def test_each_bad_field_is_reported_and_the_rest_is_read(case):
    text, message = HOSTILE[case]
    layout = parse_layout(text)
    assert any(message in p for p in layout.problems), layout.problems
    assert [c.streams for c in layout.charts][-1] == ["fps"]
    assert all(c.window == 30.0 for c in layout.charts)


@pytest.mark.parametrize("case", list(HOSTILE))
def test_each_hostile_layout_starts_the_app_with_a_message(qtbot, qloop, tmp_path, case):
    text, message = HOSTILE[case]
    path = tmp_path / "hostile.json"
    path.write_text(text)
    scope = start_app(qloop, layout=str(path))
    qtbot.addWidget(scope.window)
    try:
        window = scope.window
        assert message in window.file_actions.last_notice
        assert [list(c.curves) for c in window.charts][-1] == ["fps"]  # the rest applied
        assert window.charts[-1].state.window == 30.0
        if "tiles" in text and "1e30" not in text:
            assert list(window.analysis.tiles.tiles) == ["fps", "memory"]
        boxes = [w for w in window.findChildren(QMessageBox) if w.isVisible()]
        assert boxes and message in boxes[-1].text()
    finally:
        qloop.run_until_complete(scope.stop())


def test_the_chart_count_is_capped_with_a_message(qtbot, qloop, tmp_path):
    charts = [{"id": f"c{i}", "streams": [f"s{i}"]} for i in range(1000)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"version": 1, "charts": charts}))
    scope = start_app(qloop, layout=str(path))
    qtbot.addWidget(scope.window)
    try:
        assert len(scope.window.charts) == MAX_CHARTS == 64
        assert "1,000 charts; only the first 64" in scope.window.file_actions.last_notice
    finally:
        qloop.run_until_complete(scope.stop())


ENDPOINT = "http://collector.invalid:8080/v1"


def llm_layout(tmp_path: Path) -> Path:
    path = tmp_path / "llm.json"
    path.write_text(layout_text(f'{{"llm": {{"endpoint": "{ENDPOINT}", "model": "m"}}}}'))
    return path


def test_a_layout_endpoint_is_not_adopted_at_start(qtbot, qloop, tmp_path):
    assert parse_layout(llm_layout(tmp_path).read_text()).analysis.get("llm") is None
    scope = start_app(qloop, layout=str(llm_layout(tmp_path)))
    qtbot.addWidget(scope.window)
    try:
        assert scope.window.analysis.llm.endpoint == ""
        notice = scope.window.file_actions.last_notice
        assert ENDPOINT in notice and "it was not used" in notice
    finally:
        qloop.run_until_complete(scope.stop())


@pytest.mark.parametrize("agree", [True, False])
def test_loading_a_layout_asks_before_using_its_endpoint(qtbot, tmp_path, agree):
    window = build_window(Store())
    qtbot.addWidget(window)
    asked = []
    files = window.file_actions
    files.confirm_endpoint = lambda e: asked.append(e) or agree
    assert files.load_layout(llm_layout(tmp_path), ask=True)
    assert asked == [ENDPOINT]
    assert window.analysis.llm.endpoint == (ENDPOINT if agree else "")
    if not agree:
        assert "it was not used" in files.last_notice


def test_the_apps_own_last_layout_keeps_the_endpoint_without_asking(qtbot, tmp_path):
    window = build_window(Store())
    qtbot.addWidget(window)
    files = window.file_actions
    files.confirm_endpoint = lambda e: pytest.fail("asked about the app's own layout")
    last_layout_path().parent.mkdir(parents=True, exist_ok=True)
    last_layout_path().write_bytes(llm_layout(tmp_path).read_bytes())
    assert files.restore_last_layout()
    assert window.analysis.llm.endpoint == ENDPOINT
    layout = parse_layout(dump_layout(parse_layout(llm_layout(tmp_path).read_text())))
    assert layout.llm == {}  # the endpoint left aside is not written back by itself
