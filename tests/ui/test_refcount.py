"""Guards the PySide6 6.12.0 bug: each drawn frame must not leak references to None away."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

from streamscope.app import build_window
from streamscope.core.store.store import Store

FRAMES = 3000


@pytest.mark.slow  # 3000 frames: 10-25 s
def test_drawing_thousands_of_frames_keeps_none_alive(qtbot):
    store = Store()
    session = store.open_session("Game")
    window = build_window(store)
    qtbot.addWidget(window)
    names = [f"s{i}" for i in range(4)]
    window.new_chart(names[:2])
    window.new_chart(names[2:])
    window.show()
    t = 0.0
    gc.collect()  # garbage left by earlier tests must not be freed (dropping Nones) mid-count
    before = sys.getrefcount(None)
    for frame in range(FRAMES):
        ts = t + np.arange(10) * 0.001
        for i, name in enumerate(names):
            store.append(session.id, name, ts, np.sin(ts * (i + 1)))
        t += 0.01
        window.clock.tick()
        if frame % 100 == 0:
            window.charts[0].plot.repaint()
    drawn = window.clock.frames
    after = sys.getrefcount(None)
    assert drawn == FRAMES
    # a faulty binding loses ≥ 1 reference per call: thousands over this loop
    assert after >= before - 100, f"None lost {before - after} references over {drawn} frames"
