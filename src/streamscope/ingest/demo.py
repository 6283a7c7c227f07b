"""The built-in demo: a simulated game that connects over the real WebSocket path.

It sends what the Unity package sends (Unity packets at 10 Hz for the game metrics) plus a
1 kHz sine as columnar frames, and reconnects if the app's server goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time

import numpy as np

from streamscope.ingest.client import StreamClient

log = logging.getLogger(__name__)

GAME_RATE_HZ = 10
SINE_RATE_HZ = 1000
SINE_CHUNK_S = 0.05


class DemoGame:
    """A small deterministic-ish game loop: frame time, memory, a wandering player, enemies."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.memory = 420.0
        self.health = 100.0
        self.score = 0
        self.enemies = 3

    def metrics(self, t: float) -> dict[str, float]:
        rng = self.rng
        spike = 25.0 if rng.random() < 0.02 else 0.0  # an occasional hitch
        frame_ms = 16.7 + 1.5 * math.sin(t * 0.7) + rng.normal(0, 0.6) + spike + self.enemies * 0.3
        self.memory += rng.normal(0.4, 0.2)
        if self.memory > 520:  # the garbage collector runs
            self.memory = 430.0 + rng.normal(0, 3)
        self.enemies = max(0, min(25, self.enemies + int(rng.integers(-1, 2))))
        self.health = max(0.0, min(100.0, self.health - self.enemies * 0.05 + rng.normal(0.3, 0.5)))
        if self.health <= 0:
            self.health = 100.0
        self.score += int(rng.integers(0, 3)) * 10
        return {
            "fps": 1000.0 / frame_ms,
            "memory_usage_mb": self.memory,
            "player_position_x": 30 * math.cos(t * 0.21) + 8 * math.sin(t * 0.9),
            "player_position_z": 30 * math.sin(t * 0.17) + 5 * math.cos(t * 1.3),
            "active_enemies": float(self.enemies),
            "player_health": self.health,
            "score": float(self.score),
        }


async def run_demo(
    url: str, stop: asyncio.Event, name: str = "Demo Game", token: str | None = None
) -> None:
    """Stream the demo game to ``url`` until ``stop`` is set, reconnecting on failure;
    ``token``: the one the app requires (``--demo --token``)."""
    delay = 0.5
    while not stop.is_set():
        try:
            async with StreamClient(url, name=name, token=token) as client:
                delay = 0.5
                await _play(client, stop)
        except (TimeoutError, OSError) as e:
            log.debug("demo: %s; retrying in %.1f s", e, delay)
        except Exception as e:  # the connection dropped: the next play session starts
            log.debug("demo connection ended: %s", e)
        if not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                delay = min(delay * 2, 5.0)


async def _play(client: StreamClient, stop: asyncio.Event) -> None:
    game = DemoGame()
    start = time.monotonic()
    next_game = 0.0
    sine_sent = 0
    while not stop.is_set():
        now = time.monotonic() - start
        due = int(now * SINE_RATE_HZ)
        if due > sine_sent:
            t = np.arange(sine_sent, due) / SINE_RATE_HZ
            await client.send_series("sine_1khz", t, np.sin(2 * np.pi * 0.5 * t))
            sine_sent = due
        if now >= next_game:
            packets = [
                {"streamId": k, "timestamp": round(now, 4), "value": round(v, 4)}
                for k, v in game.metrics(now).items()
            ]
            await client.send(packets)
            next_game += 1.0 / GAME_RATE_HZ
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SINE_CHUNK_S)
