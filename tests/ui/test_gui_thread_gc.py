"""While the app runs, cycles are collected by a GUI-thread timer, never by a worker thread."""

from __future__ import annotations

import gc
import threading
import weakref

from streamscope.ui.gui_thread_gc import GuiThreadGC


class Node:
    pass


def test_cycles_are_collected_on_the_gui_thread_and_stop_restores_the_collector(qtbot):
    assert gc.isenabled()
    collector = GuiThreadGC(interval_ms=10)
    try:
        assert not gc.isenabled()
        freed_in: list[str] = []
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle only the cyclic collector frees
        weakref.finalize(a, lambda: freed_in.append(threading.current_thread().name))
        del a, b
        # a worker thread allocating heavily does not trigger a collection any more
        worker = threading.Thread(target=lambda: [Node() for _ in range(200_000)], name="w")
        worker.start()
        worker.join()
        assert freed_in == []
        keep = [Node() for _ in range(2 * gc.get_threshold()[0])]  # past the gen-0 threshold
        qtbot.waitUntil(lambda: freed_in == [threading.main_thread().name], timeout=5000)
        del keep
    finally:
        collector.stop()
    assert gc.isenabled()
