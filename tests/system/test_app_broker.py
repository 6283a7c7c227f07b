"""The app with ``--nats``: the broker is a second source beside the WebSocket server, its
state is in the status bar, the stream browser's commands reach producers on the broker."""

from __future__ import annotations

import asyncio

import numpy as np

from streamscope.ingest.nats_client import NatsStreamClient
from support.app import start_app
from support.nats import NatsBroker
from support.qt import loop_until


def test_app_charts_a_broker_producer_and_commands_reach_it(qtbot, qloop, nats_broker: NatsBroker):
    scope = start_app(qloop, plots=[["x"]], nats=nats_broker.url)
    qtbot.addWidget(scope.window)
    label = scope.window.broker_status.label
    producer = NatsStreamClient(nats_broker.url, source="game-1", name="Game")
    try:
        loop_until(qloop, lambda: scope.broker.link.state == "connected", 10, "the broker")
        loop_until(qloop, lambda: label.text() == "NATS: live", 5, "the status 'live'")
        width = label.width()
        t = np.arange(1000) / 1000

        async def send() -> None:
            await producer.connect()
            await producer.send_binary("x", t, np.cos(t))
            await producer.send_raw(b"{oops")
            await producer.flush()

        qloop.run_until_complete(asyncio.wait_for(send(), 20))
        loop_until(qloop, lambda: len(scope.store.find("x") or ()) == 1000, 10, "samples")
        loop_until(qloop, lambda: "1 bad frames" in label.text(), 5, "the bad frame counted")
        assert "game-1: 1 bad frames" in label.toolTip() and label.width() == width
        chart = scope.window.charts[0]
        loop_until(qloop, lambda: chart.curves["x"].points_drawn > 0, 5, "a drawn curve")
        (session,) = [s for s in scope.store.sessions.values() if not s.internal]
        assert session.name == "Game — Play #1"
        stop = {"type": "stop_streaming", "metric": "x"}
        assert scope.window.browser.send_command(session.id, stop)
        assert qloop.run_until_complete(producer.command()) == stop
    finally:
        qloop.run_until_complete(producer.close())
        qloop.run_until_complete(scope.stop())


def test_app_says_when_the_broker_is_unreachable(qtbot, qloop, tmp_path):
    broker = NatsBroker(tmp_path)  # never started
    scope = start_app(qloop, nats=broker.url)
    qtbot.addWidget(scope.window)
    label = scope.window.broker_status.label
    try:
        loop_until(qloop, lambda: label.text() == "NATS: unreachable", 10, "'unreachable'")
        assert "unreachable" in label.toolTip() and scope.server.port  # WebSocket still serves
    finally:
        qloop.run_until_complete(scope.stop())


def test_app_says_when_the_brokers_tls_certificate_is_not_trusted(qtbot, qloop, tmp_path):
    """A ``tls://`` broker whose CA was not given: the fixed-width label says so, the tooltip
    names ``--nats-ca``; with it the app connects."""
    from support.nats_tls import make_tls

    config, ca = make_tls(tmp_path)
    broker = NatsBroker(tmp_path / "js", config=config, scheme="tls").start()
    try:
        blind = start_app(qloop, nats=broker.url)
        qtbot.addWidget(blind.window)
        label = blind.window.broker_status.label
        width = label.width()
        try:
            loop_until(qloop, lambda: label.text() == "NATS: TLS not trusted", 10, "untrusted")
            assert "TLS: certificate not trusted (give --nats-ca)" in label.toolTip()
            assert label.width() == width
        finally:
            qloop.run_until_complete(blind.stop())
        scope = start_app(qloop, nats=broker.url, nats_ca=str(ca))
        qtbot.addWidget(scope.window)
        try:
            live = scope.window.broker_status.label
            loop_until(qloop, lambda: live.text() == "NATS: live", 10, "the status 'live'")
        finally:
            qloop.run_until_complete(scope.stop())
    finally:
        broker.stop()
