"""Through the real server: a well-behaved game streams while waves of short-lived producers,
each with its own hello, connect and leave; the game's session keeps its name and every
sample (the store-level version with 5,000 producers is tests/core/store/test_live_sessions.py).
"""

from __future__ import annotations

import asyncio

from streamscope.ingest.client import StreamClient
from support.server import history, serve, until

WAVES = 3
PRODUCERS = 200  # at once: four times the session limit
GAME_SAMPLES = 500


async def wave(server, first: int) -> list[StreamClient]:
    """``PRODUCERS`` clients connected at once, each after its hello and one sample."""
    clients = [StreamClient(server.url, name=f"P{first + i}") for i in range(PRODUCERS)]
    frames = server.frames_in
    await asyncio.gather(*(c.connect() for c in clients))
    await asyncio.gather(*(c.send_sample("x", 1.0, t=0.5) for c in clients))
    await until(lambda: server.frames_in >= frames + 2 * PRODUCERS, 60)
    return clients


def test_a_live_game_keeps_its_session_and_samples_beside_waves_of_producers():
    async def body(server):
        sent = []
        async with StreamClient(server.url, name="Game") as game:
            per_wave = GAME_SAMPLES // WAVES + 1
            for w in range(WAVES):
                clients = await wave(server, w * PRODUCERS)
                for _ in range(per_wave):  # the game streams while they are all connected
                    if len(sent) < GAME_SAMPLES:
                        t = len(sent) / 60
                        await game.send_sample("fps", 60.0 + len(sent) % 7, t=t)
                        sent.append(t)
                await game.request({"type": "list_streams"}, "streams")  # all handled
                await asyncio.gather(*(c.close() for c in clients))
                await until(lambda: len(server.connections) == 1, 30)
            got = await history(game, "fps")
            listed = await game.request({"type": "list_streams"}, "streams")
        return sent, got, listed, game.session, server.store

    sent, got, listed, sid, store = serve(body, timeout=120)
    assert got["t"] == sent and got["session"] == sid
    fps = [s for s in listed["streams"] if s["name"] == "fps"]
    assert fps == [{"session": sid, "session_name": "Game — Play #1", "name": "fps", "count": 500}]
    # the producers beyond the session limit were refused (the store's error names the limit)
    assert store.refused["max_sessions"] >= WAVES * (PRODUCERS - store.settings.max_sessions)
