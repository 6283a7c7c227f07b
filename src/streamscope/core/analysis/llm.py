"""Optional: ask an OpenAI-compatible chat endpoint (a local model server, say) to interpret a
stream summary. Off unless an endpoint is configured; stdlib only (``urllib``), run on a worker
thread so the GUI never waits; every failure comes back as an exception with a short reason,
and the caller falls back to the rule-based text.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future
from dataclasses import dataclass

from streamscope.core.analysis.summary import StreamSummary, llm_request, parse_llm_reply

ENV_ENDPOINT = "STREAMSCOPE_LLM_ENDPOINT"
ENV_MODEL = "STREAMSCOPE_LLM_MODEL"
ENV_KEY = "STREAMSCOPE_LLM_API_KEY"
MAX_REPLY_BYTES = 1 << 20


@dataclass
class LLMSettings:
    endpoint: str = ""  # e.g. http://127.0.0.1:11434/v1 ; empty = off
    model: str = "local-model"
    api_key: str = ""  # never saved in layouts
    timeout: float = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.endpoint.strip())

    @classmethod
    def from_env(cls) -> LLMSettings:
        return cls(
            os.environ.get(ENV_ENDPOINT, ""),
            os.environ.get(ENV_MODEL, "local-model"),
            os.environ.get(ENV_KEY, ""),
        )


class LLMError(Exception):
    """Why the model gave no interpretation (shown next to the fallback text)."""


def chat_url(endpoint: str) -> str:
    """Accept a base (``http://host:port`` or ``.../v1``) or the full completions URL."""
    url = endpoint.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise LLMError(f"the endpoint must start with http:// or https:// (got {endpoint!r})")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def interpret(summary: StreamSummary, settings: LLMSettings) -> str:
    """Blocking: the model's reading of ``summary``. Raises ``LLMError`` on any failure."""
    body = json.dumps(llm_request(summary, settings.model)).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    req = urllib.request.Request(chat_url(settings.endpoint), body, headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=settings.timeout) as resp:
            data = resp.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise LLMError(f"the endpoint answered HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise LLMError(f"cannot reach the endpoint ({e.reason})") from None
    except TimeoutError:
        raise LLMError(f"no answer within {settings.timeout:g} s") from None
    except OSError as e:
        raise LLMError(f"connection failed ({e})") from None
    if len(data) > MAX_REPLY_BYTES:
        raise LLMError("the endpoint's answer is too large")
    try:
        return parse_llm_reply(data)
    except ValueError as e:
        raise LLMError(str(e)) from None


class LLMWorker:
    """Runs model requests on daemon threads (a hung endpoint never delays quitting); the UI
    polls the returned futures from the render clock."""

    def __init__(self) -> None:
        self._futures: list[Future[str]] = []

    def submit(self, summary: StreamSummary, settings: LLMSettings) -> Future[str]:
        fut: Future[str] = Future()

        def run() -> None:
            if not fut.set_running_or_notify_cancel():
                return
            try:
                fut.set_result(interpret(summary, settings))
            except BaseException as e:  # handed to the caller through the future
                fut.set_exception(e)

        threading.Thread(target=run, name="llm-request", daemon=True).start()
        self._futures = [f for f in self._futures if not f.done()] + [fut]
        return fut

    def shutdown(self) -> None:
        """Forget pending requests (their threads end on their own timeout)."""
        for f in self._futures:
            f.cancel()
        self._futures.clear()
