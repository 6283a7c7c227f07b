"""The whole path on one qasync loop: real socket → server → store → render clock → chart."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from websockets.asyncio.client import connect

from support.app import start_app
from support.qt import loop_until


def test_unity_packets_come_back_exactly_and_are_drawn(qtbot, qloop):
    scope = start_app(qloop, plots=[["fps"]])
    qtbot.addWidget(scope.window)
    chart = scope.window.charts[0]
    values = [59.9, 60.125, 58.7, 61.25, 0.1 + 0.2]
    times = [0.1, 0.2, 0.30000000000000004, 0.4, 12.5]

    async def unity_script():
        # the original Unity script: no hello, one packet per metric, metadata attached
        async with connect(scope.server.url) as ws:
            hello = json.loads(await ws.recv())
            for t, v in zip(times, values, strict=True):
                packet = {"streamId": "fps", "timestamp": t, "value": v, "metadata": {"scene": "A"}}
                await ws.send(json.dumps(packet))
            await ws.send(json.dumps({"type": "request_historical_data", "stream": "fps"}))
            return hello, json.loads(await ws.recv())

    try:
        hello, reply = qloop.run_until_complete(asyncio.wait_for(unity_script(), 20))
        assert hello["type"] == "initial_configuration"
        assert reply["type"] == "historical_data" and reply["stream"] == "fps"
        assert reply["t"] == times and reply["v"] == values

        def drawn():
            y = chart.curves["fps"].item.getData()[1]
            return y is not None and len(y) == len(values)

        loop_until(qloop, drawn, 5, "the curve")
        x, y = chart.curves["fps"].item.getData()
        assert np.array_equal(y, values) and np.array_equal(x, times)
    finally:
        qloop.run_until_complete(scope.stop())


def test_demo_streams_arrive_over_the_real_socket(qtbot, qloop):
    scope = start_app(qloop, demo=True, plots=[["fps", "sine_1khz"]])
    qtbot.addWidget(scope.window)
    expected = {
        "fps", "memory_usage_mb", "player_position_x", "player_position_z",
        "active_enemies", "player_health", "score", "sine_1khz",
    }  # fmt: skip
    try:
        loop_until(qloop, lambda: expected <= set(scope.store.stream_names()), 15, "demo streams")
        loop_until(qloop, lambda: len(scope.store.find("sine_1khz")) >= 200, 15, "1 kHz samples")
        (session,) = [s for s in scope.store.sessions.values() if not s.internal]  # not ours
        assert session.name == "Demo Game — Play #1" and session.client == ""
        assert len(scope.server.connections) == 1
        chart = scope.window.charts[0]
        loop_until(qloop, lambda: chart.curves["sine_1khz"].points_drawn > 0, 5, "a drawn curve")
        assert scope.window.clock.frames > 0
    finally:
        qloop.run_until_complete(scope.stop())
