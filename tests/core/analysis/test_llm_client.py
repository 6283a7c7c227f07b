"""The optional model interpretation against a local stand-in OpenAI-compatible server."""

from __future__ import annotations

import numpy as np
import pytest

from streamscope.core.analysis.llm import LLMError, LLMSettings, LLMWorker, chat_url, interpret
from streamscope.core.analysis.summary import summarize
from support.llm_stand_in import StandIn


@pytest.fixture
def stand_in():
    s = StandIn()
    yield s
    s.close()


def memory_summary():
    t = np.arange(0, 30, 0.1)
    return summarize("memory_usage_mb", t, 400 + 2 * t)


def test_chat_url_accepts_a_base_or_the_full_url():
    assert chat_url("http://127.0.0.1:11434") == "http://127.0.0.1:11434/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("https://h/v1/chat/completions") == "https://h/v1/chat/completions"
    with pytest.raises(LLMError, match="http"):
        chat_url("127.0.0.1:8000")


def test_interpret_sends_the_statistics_and_returns_the_answer(stand_in):
    settings = LLMSettings(stand_in.url, "tiny", api_key="secret", timeout=5)
    assert interpret(memory_summary(), settings) == stand_in.answer
    (req,) = stand_in.requests
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer secret"
    assert req["body"]["model"] == "tiny"
    user = req["body"]["messages"][1]["content"]
    assert "memory_usage_mb" in user and '"trend": "rising strongly"' in user


@pytest.mark.parametrize(
    ("mode", "message"),
    [("error", "HTTP 500"), ("garbage", "unexpected reply"), ("hang", r"timed out|no answer")],
)
def test_failures_become_short_reasons(stand_in, mode, message):
    stand_in.mode = mode
    with pytest.raises(LLMError, match=message):
        interpret(memory_summary(), LLMSettings(stand_in.url, timeout=0.3))


def test_unreachable_endpoint(stand_in):
    url = stand_in.url
    stand_in.close()  # nothing listens on that port any more
    with pytest.raises(LLMError, match=r"cannot reach|connection"):
        interpret(memory_summary(), LLMSettings(url, timeout=2))


def test_worker_answers_through_a_future_without_blocking(stand_in):
    stand_in.mode = "hang"
    worker = LLMWorker()
    fut = worker.submit(memory_summary(), LLMSettings(stand_in.url, timeout=5))
    assert stand_in.received.wait(5)
    assert not fut.done()  # submit returned while the endpoint is still thinking
    stand_in.mode = "ok"
    stand_in.release.set()
    with pytest.raises(LLMError):  # the released hang closes without an answer
        fut.result(timeout=10)
    fut2 = worker.submit(memory_summary(), LLMSettings(stand_in.url, timeout=5))
    assert fut2.result(timeout=10) == stand_in.answer
    worker.shutdown()


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("STREAMSCOPE_LLM_ENDPOINT", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("STREAMSCOPE_LLM_MODEL", "m")
    s = LLMSettings.from_env()
    assert s.enabled and s.model == "m" and s.api_key == ""
    monkeypatch.delenv("STREAMSCOPE_LLM_ENDPOINT")
    assert not LLMSettings.from_env().enabled  # off by default
