"""The Streams panel with many streams: rows added one by one, counts read for visible rows only;
per-session error counts; eviction notices and refusals in the status bar."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from streamscope.core.store.store import Store, StoreSettings, Stream
from streamscope.ingest.client import StreamClient
from streamscope.ui.stream_browser import StreamBrowser
from support.app import start_app
from support.qt import loop_until

ONE = np.array([1.0])


def big_store(sessions: int = 5, per: int = 2_000) -> tuple[Store, list[str]]:
    store = Store(
        StoreSettings(
            capacity=64,
            max_streams=sessions * per + 10,
            max_streams_per_session=per + 10,
            new_sessions_burst=0,
        )
    )
    sids = [store.open_session(f"Game {i}").id for i in range(sessions)]
    for sid in sids:
        for k in range(per):
            store.append(sid, f"k{k:04d}", ONE, ONE)
    return store, sids


@pytest.fixture
def shown(qtbot):
    def make(store: Store) -> StreamBrowser:
        browser = StreamBrowser(store)
        qtbot.addWidget(browser)
        browser.resize(280, 600)
        browser.show()
        qtbot.waitExposed(browser)
        browser.sync()
        return browser

    return make


@pytest.fixture
def length_reads(monkeypatch) -> list[int]:
    """Counts every ``len(stream)``: what reading one sample count costs."""
    reads = [0]
    original = Stream.__len__

    def counted(self: Stream) -> int:
        reads[0] += 1
        return original(self)

    monkeypatch.setattr(Stream, "__len__", counted)
    return reads


def rows_on_screen(browser: StreamBrowser) -> int:
    tree = browser.tree
    height = tree.visualItemRect(tree.topLevelItem(0)).height()
    return tree.viewport().height() // height + 1


def test_a_new_stream_among_10k_adds_its_row_and_keeps_every_other(shown, length_reads):
    store, sids = big_store()
    browser = shown(store)
    before = dict(browser._streams)
    assert len(before) == 10_000
    length_reads[0] = 0
    store.append(sids[2], "k0500a", ONE, ONE)  # lands in the middle of its session's rows
    browser.sync()
    assert len(browser._streams) == 10_001
    assert all(browser._streams[key] is item for key, item in before.items())  # same items
    root = browser._sessions[sids[2]]
    assert root.childCount() == 2_001
    assert root.child(501) is browser._streams[(sids[2], "k0500a")]  # in name order
    assert root.child(501).text(1) == "1" and root.child(502).text(0) == "k0501"
    # the counts read are the new row's and those on screen, not the 10,000 stored
    assert 0 < length_reads[0] <= rows_on_screen(browser) + 1


def test_counts_are_refreshed_for_visible_rows_only_and_at_a_low_rate(shown, length_reads):
    store, sids = big_store(sessions=2, per=1_000)
    browser = shown(store)
    top = browser.tree.topLevelItem(0)  # the newest session, Game 1
    top.setExpanded(False)  # its streams are not visible now
    for session in store.sessions.values():
        for name in session.streams:
            store.append(session.id, name, np.array([2.0]), ONE)
    browser.count_interval = 60.0
    length_reads[0] = 0
    browser.sync()  # not due yet: nothing read, nothing changed
    assert length_reads[0] == 0 and browser.rows_updated == 0
    browser.count_interval = 0.0
    browser.sync()
    visible = rows_on_screen(browser)
    assert 0 < browser.rows_updated <= visible and length_reads[0] <= visible
    shown_below = browser._streams[(sids[0], "k0000")]  # first row of the expanded session
    hidden = browser._streams[(sids[1], "k0000")]  # in the collapsed one
    assert shown_below.text(1) == "2" and hidden.text(1) == "1"
    top.setExpanded(True)
    browser.sync()
    assert hidden.text(1) == "2"


def test_a_filter_applies_to_rows_added_later(shown):
    store, sids = big_store(sessions=1, per=10)
    browser = shown(store)
    browser.filter.setText("speed")
    root = browser._sessions[sids[0]]
    assert root.isHidden()
    store.append(sids[0], "k0003x", ONE, ONE)
    browser.sync()
    assert root.isHidden() and browser._streams[(sids[0], "k0003x")].isHidden()
    store.append(sids[0], "wheel_speed", ONE, ONE)
    s2 = store.open_session("Other")
    store.append(s2.id, "fps", ONE, ONE)
    browser.sync()
    assert not root.isHidden() and not browser._streams[(sids[0], "wheel_speed")].isHidden()
    assert browser._sessions[s2.id].isHidden()  # nothing in it matches
    browser.filter.clear()
    assert not browser._sessions[s2.id].isHidden()


def test_a_session_removed_and_one_made_with_its_id_gets_fresh_rows(shown):
    store = Store(StoreSettings(max_sessions=1))
    s1 = store.open_session("Game", "abc")
    store.append(s1.id, "fps", ONE, ONE)
    browser = shown(store)
    store.end_session("abc")
    s2 = store.open_session("Game", "abc")  # evicts the ended one, takes its id
    store.append(s2.id, "speed", ONE, ONE)
    browser.sync()
    assert list(browser._streams) == [("abc", "speed")]
    assert browser.tree.topLevelItemCount() == 1
    assert browser._sessions["abc"].text(0) == "Game — Play #2"


def test_a_session_row_shows_its_errors_without_resizing_anything(shown):
    store, sids = big_store(sessions=2, per=3)
    errors = {sids[1]: 37}
    browser = shown(store)
    widths = [browser.tree.columnWidth(c) for c in (0, 1)]
    browser.errors_of = lambda sid: errors.get(sid, 0)
    browser.count_interval = 0.0
    browser.sync()
    row = browser._sessions[sids[1]]
    assert row.text(1) == "live ⚠ 37" and "37 errors" in row.toolTip(1)
    assert browser._sessions[sids[0]].text(1) == "live"
    errors[sids[1]] = 12_345
    browser.sync()
    assert row.text(1) == "live ⚠ 12.3k" and "12,345 errors" in row.toolTip(1)
    assert [browser.tree.columnWidth(c) for c in (0, 1)] == widths


def test_errors_a_client_made_show_on_its_session_row(qtbot, qloop):
    scope = start_app(qloop, remember_layout=False)
    qtbot.addWidget(scope.window)

    async def send() -> None:
        async with StreamClient(scope.server.url, name="Noisy") as c:
            for i in range(3):
                await c.send([{"streamId": "fps", "timestamp": i, "value": 60.0},
                              {"streamId": "bad", "timestamp": i, "value": "x"}])  # fmt: skip
            await c.request({"type": "list_streams"}, "streams")

    try:
        qloop.run_until_complete(asyncio.wait_for(send(), 10))
        sid = next(s.id for s in scope.store.sessions.values() if s.product == "Noisy")
        assert scope.server.errors_of(sid) == 3
        browser = scope.window.browser

        def shown() -> bool:
            row = browser._sessions.get(sid)
            return row is not None and row.text(1) == "ended ⚠ 3" and "3 errors" in row.toolTip(1)

        loop_until(qloop, shown, 5, "the error count")
    finally:
        qloop.run_until_complete(scope.stop())


def test_evicting_an_ended_session_is_said_in_the_status_bar(qtbot):
    from streamscope.app import build_window

    store = Store(StoreSettings(max_sessions=2))
    window = build_window(store)
    qtbot.addWidget(window)
    window.show()
    old = store.open_session("Game")
    store.append(old.id, "fps", np.arange(5.0), np.arange(5.0))
    store.end_session(old.id)
    store.open_session("Game")
    window._on_tick()
    assert window.statusBar().currentMessage() == ""  # nothing evicted yet
    store.open_session("Game")  # the third: the ended first one makes room
    window._status_due = 0.0
    window._on_tick()
    message = window.statusBar().currentMessage()
    assert message.startswith("Removed ended session 'Game — Play #1' (5 samples)")
    assert "max_sessions" in message and "Play #1" in window.statusBar().toolTip()
    assert window.browser.tree.topLevelItemCount() == 2  # its row went with it


def test_store_refusals_are_counted_in_the_health_item(qtbot, qloop):
    scope = start_app(qloop, remember_layout=False)
    qtbot.addWidget(scope.window)
    try:
        scope.store.refused["max_streams"] = 4
        scope.window.health.update(force=True)
        assert "4 refused" in scope.window.health.memory.text()
        assert "4 × max_streams" in scope.window.health.memory.toolTip()
    finally:
        qloop.run_until_complete(scope.stop())


def test_rows_scrolled_into_view_get_their_counts_at_once(shown):
    store, sids = big_store(sessions=1, per=500)
    browser = shown(store)
    for name in store.sessions[sids[0]].streams:
        store.append(sids[0], name, np.array([2.0]), ONE)
    browser.count_interval = 60.0  # no timed refresh during the test
    last = browser._streams[(sids[0], "k0499")]
    assert last.text(1) == "1"
    browser.tree.scrollToBottom()
    assert last.text(1) == "2" and 0 < browser.rows_updated <= rows_on_screen(browser)


def test_the_browser_bench_runs_and_counts_visible_rows_only(qapp):
    from streamscope.bench.browser import browser_table, measure_browser

    row = measure_browser(streams=3_000, sessions=3, batch=500, ticks=4)
    assert row.streams == 3_000 and row.grow_total_s > 0 and row.idle_median_ms >= 0
    assert 0 < row.rows_updated < 100  # a screenful of rows, not 3,000
    assert "3,000 streams in 3 sessions" in browser_table(row)[0]
