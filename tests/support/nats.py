"""A real ``nats-server`` on 127.0.0.1 and a free port, with JetStream in a temporary folder.

Missing ``nats-server``: the tests that need it are skipped with the reason, except under
``CI=true``, where they fail (``.ci/run`` installs it), as the bundle test does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def require_nats_server() -> str:
    exe = shutil.which("nats-server")
    if exe is None:
        message = "nats-server is not installed (Debian: apt-get install nats-server)"
        if IN_CI:
            pytest.fail(message + "; CI must run the broker tests")
        pytest.skip(message)
    return exe


class NatsBroker:
    """``nats-server -a 127.0.0.1 -p PORT [-js -sd DIR] [-c CONFIG]``: started, stopped by pid,
    restarted on the same port and store folder. ``config`` holds what has no command-line flag
    (a ``tls`` block: then ``scheme="tls"``; operator mode); the flags win over it."""

    def __init__(
        self,
        store_dir: Path,
        jetstream: bool = True,
        *extra: str,
        config: Path | None = None,
        scheme: str = "nats",
    ) -> None:
        self.exe = require_nats_server()
        self.port = free_port()
        self.store_dir = store_dir
        self.jetstream = jetstream
        self.extra = list(extra) + (["-c", str(config)] if config else [])
        self.scheme = scheme
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> NatsBroker:
        cmd = [self.exe, "-a", "127.0.0.1", "-p", str(self.port), *self.extra]
        if self.jetstream:
            cmd += ["-js", "-sd", str(self.store_dir)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_open(self.port):  # a bounded wait for the listening port
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}: {err}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nats-server did not listen on {self.port} in time")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
