"""A local stand-in for an OpenAI-compatible chat endpoint (127.0.0.1, ephemeral port)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandIn:
    """A chat-completions endpoint on 127.0.0.1:0 whose behaviour a test chooses."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.answer = "Memory climbs steadily; a leak is likely."
        self.requests: list[dict] = []
        self.release = threading.Event()  # "hang" mode waits on this instead of sleeping
        self.received = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                stand_in.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(body),
                    }
                )
                stand_in.received.set()
                if stand_in.mode == "hang":
                    stand_in.release.wait(10)
                    return
                if stand_in.mode == "error":
                    self.send_error(500, "model crashed")
                    return
                reply = (
                    b"<html>not json</html>"
                    if stand_in.mode == "garbage"
                    else json.dumps(
                        {
                            "choices": [
                                {"message": {"role": "assistant", "content": stand_in.answer}}
                            ]
                        }
                    ).encode()
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
