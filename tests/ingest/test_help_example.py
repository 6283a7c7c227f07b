"""The Python example in Help ▸ Getting started, run as pasted against a real server."""

from __future__ import annotations

import asyncio
import sys

from streamscope.core.store.store import Store
from streamscope.ingest.server import IngestServer
from streamscope.ui.help_dialog import PYTHON_EXAMPLE
from support.paths import child_env
from support.server import until


def test_help_example_says_hello_and_exits_quietly_when_the_app_closes(tmp_path):
    script = tmp_path / "example.py"

    async def main():
        server = IngestServer(Store(), "127.0.0.1", 0)
        await server.start()
        script.write_text(PYTHON_EXAMPLE.format(url=server.url))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(script), env=child_env(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            stream = lambda: server.store.find("sine")  # noqa: E731
            await until(lambda: stream() is not None and len(stream()) >= 3, timeout=30)
            names = [s.name for s in server.store.sessions.values()]
        finally:
            await server.stop()  # the app quits: the example must end on its own
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        return names, proc.returncode, out.decode(), err.decode()

    names, code, out, err = asyncio.run(main())
    assert names == ["MyScript — Play #1"]  # hello named the session
    assert code == 0 and err == "", err  # no traceback
    assert out.strip() == "StreamScope closed the connection"
