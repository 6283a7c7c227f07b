"""Alert rules firing and clearing; rules in JSON; summaries; the hub tying it to the store."""

from __future__ import annotations

import json

import numpy as np
import pytest

from streamscope.core.analysis.alerts import (
    AlertBook,
    AlertRule,
    RuleError,
    evaluate,
    rules_from_json,
    rules_to_json,
)
from streamscope.core.analysis.anomaly import AnomalyConfig
from streamscope.core.analysis.derived import DerivedSpec
from streamscope.core.analysis.hub import AnalysisHub
from streamscope.core.analysis.summary import llm_request, parse_llm_reply, summarize
from streamscope.core.store.store import Store


def test_rule_fires_after_holding_for_its_duration_and_clears():
    t = np.arange(0, 10, 0.5)
    v = np.where((t >= 2) & (t < 6), 100.0, 10.0)  # above 50 from t=2 to t=5.5
    tr = evaluate(t, v, ">", 50, duration=2.0)
    assert t[tr.fired].tolist() == [4.0] and t[tr.cleared].tolist() == [6.0]
    assert not tr.active and tr.since is None
    short = np.where((t >= 2) & (t < 3), 100.0, 10.0)  # holds only 0.5 s: never fires
    tr = evaluate(t, short, ">", 50, duration=2.0)
    assert tr.fired.size == 0 and tr.cleared.size == 0


def test_rule_state_carries_across_chunks_and_gaps_are_skipped():
    t = np.arange(0, 6, 0.1)
    v = np.full(len(t), 20.0)
    v[10:] = 40.0  # condition from t = 1.0 on
    v[25] = np.nan  # a gap does not break the run
    fired, cleared, since, active = [], [], None, False
    for a in range(0, len(t), 7):  # seven-sample chunks
        tr = evaluate(t[a : a + 7], v[a : a + 7], ">=", 30, 3.0, since, active)
        fired += (t[a : a + 7][tr.fired]).tolist()
        cleared += (t[a : a + 7][tr.cleared]).tolist()
        since, active = tr.since, tr.active
    assert fired == pytest.approx([4.0]) and cleared == [] and active and since == 1.0


def test_zero_duration_and_each_comparison():
    t = np.arange(5.0)
    v = np.array([1.0, 5.0, 5.0, 1.0, 5.0])
    assert evaluate(t, v, ">", 4, 0).fired.tolist() == [1, 4]
    assert evaluate(t, v, ">=", 5, 0).cleared.tolist() == [3]
    assert evaluate(t, v, "<", 2, 0).fired.tolist() == [0, 3]
    assert evaluate(t, v, "<=", 1, 0).cleared.tolist() == [1, 4]


def test_parse_rules_and_json_round_trip():
    r = AlertRule.parse("fps < 30 for 2 s")
    assert (r.stream, r.op, r.threshold, r.duration) == ("fps", "<", 30.0, 2.0)
    assert AlertRule.parse("ping>=80 for 500ms").duration == 0.5
    assert AlertRule.parse("imu/ax > -1.5e2").threshold == -150.0
    assert r.describe() == "fps < 30 for 2 s"
    for bad in ("fps", "fps ~ 3", "fps > x", "> 3", "fps > 3 for -1 s"):
        with pytest.raises(RuleError):
            AlertRule.parse(bad)
    rules = [r, AlertRule("mem", ">", 500.0, 0.0, enabled=False)]
    back = rules_from_json(rules_to_json(rules))
    assert [x.to_dict() for x in back] == [x.to_dict() for x in rules]
    with pytest.raises(RuleError, match="not valid JSON"):
        rules_from_json("{")
    with pytest.raises(RuleError, match="unknown comparison"):
        rules_from_json(json.dumps([{"stream": "a", "op": "!=", "threshold": 1}]))
    with pytest.raises(RuleError, match="bad alert rule"):
        rules_from_json(json.dumps([{"stream": "a"}]))


def test_alert_book_on_a_live_store():
    store = Store()
    s = store.open_session("Game")
    book = AlertBook()
    rule = book.add(AlertRule.parse("fps < 30 for 1 s"))
    t = np.arange(0, 3, 0.1)
    store.append(s.id, "fps", t, np.full(len(t), 60.0))
    assert book.update(store) == 0 and book.active_streams() == set()
    t2 = np.arange(3, 5, 0.1)
    store.append(s.id, "fps", t2, np.full(len(t2), 20.0))
    assert book.update(store) == 1
    assert book.active_streams() == {"fps"}
    ev = book.events[-1]
    assert (ev.kind, ev.rule_id, ev.x, ev.value) == ("fired", rule.id, pytest.approx(4.0), 20.0)
    xs, vs = book.markers(store.find("fps"))
    assert xs.tolist() == pytest.approx([4.0]) and vs.tolist() == [20.0]
    store.append(s.id, "fps", np.array([5.0]), np.array([55.0]))
    assert book.update(store) == 1 and book.events[-1].kind == "cleared"
    assert book.active_streams() == set() and book.states[0].fired == 1
    v0 = book.version
    book.set_enabled(rule.id, False)
    assert book.version > v0
    book.remove(rule.id)
    assert book.rules == []


def test_summary_rules():
    t = np.arange(0, 30, 0.1)
    rng = np.random.default_rng(10)
    steady = summarize("fps", t, 60 + rng.normal(0, 0.2, len(t)))
    assert steady.trend == "steady" and steady.volatility == "low"
    assert steady.recommendations == ["Stable: nothing to act on."]
    assert steady.text.startswith("fps: steady")
    rising = summarize("memory", t, 400 + 2 * t + rng.normal(0, 0.5, len(t)), anomalies=2)
    assert rising.trend == "rising strongly" and rising.slope_per_s == pytest.approx(2, rel=0.05)
    assert any("watch for limits" in r for r in rising.recommendations)
    assert any("Isolated anomalies" in r for r in rising.recommendations)
    noisy = summarize("jitter", t, 50 + rng.normal(0, 15, len(t)))
    assert noisy.volatility == "high"
    assert any("consider smoothing" in r for r in noisy.recommendations)
    falling = summarize("health", t, 100 - 3 * t)
    assert falling.trend == "falling strongly"
    empty = summarize("none", np.empty(0), np.empty(0))
    assert empty.text == "none: no data yet."


def test_llm_request_and_reply():
    s = summarize("fps", np.arange(10.0), np.arange(10.0))
    body = llm_request(s, "local-model")
    assert body["model"] == "local-model" and body["messages"][0]["role"] == "system"
    assert '"slope_per_s": 1.0' in body["messages"][1]["content"]
    json.dumps(body)  # serializable: no NaN/inf sneaks in
    reply = {"choices": [{"message": {"role": "assistant", "content": " It climbs. "}}]}
    assert parse_llm_reply(json.dumps(reply)) == "It climbs."
    for bad in (b"not json", b"{}", json.dumps({"choices": [{"message": {"content": ""}}]})):
        with pytest.raises(ValueError):
            parse_llm_reply(bad)


def test_hub_analyses_watched_streams_incrementally():
    store = Store()
    s = store.open_session("Game")
    hub = AnalysisHub(store, AnomalyConfig(window=50, threshold=4))
    hub.set_watched({"fps", "missing"})
    rng = np.random.default_rng(11)
    v = 60 + rng.uniform(-1, 1, 1000)
    v[700] = 90
    t = np.arange(1000) * 0.01
    store.append(s.id, "fps", t[:500], v[:500])
    store.append(s.id, "other", t, v)  # not watched: not analysed
    assert hub.update()
    assert hub.anomalies_total == 0 and "other" not in hub.streams
    store.append(s.id, "fps", t[500:], v[500:])
    hub.update()
    a = hub.anomalies[-1]
    assert hub.anomalies_total == 1 and (a.stream, a.x, a.value) == ("fps", 7.0, 90.0)
    sa = hub.analysis("fps")
    assert sa.stats.view().count == 1000
    assert sa.marks_between(6.0, 8.0)[0].tolist() == [7.0]
    assert sa.window(2.0).view(sa.stream.ring).count == 200
    assert not hub.update()  # nothing new
    hub.set_anomaly_config(AnomalyConfig(window=50, threshold=100))
    hub.update()
    assert len(hub.anomalies) == 0 and hub.anomaly_epoch == 1


def test_hub_keeps_derived_streams_and_alerts_current():
    store = Store()
    s = store.open_session("Game")
    hub = AnalysisHub(store)
    name = hub.add_derived(DerivedSpec("pos", "derivative"))
    hub.alerts.add(AlertRule.parse(f"{name} > 5"))
    t = np.arange(0, 2, 0.1)
    store.append(s.id, "pos", t, np.where(t < 1, t, 10 * t))
    hub.update()
    assert len(store.find(name)) == len(t)
    assert [e.kind for e in hub.alerts.events] == ["fired"]
    assert hub.alerts.active_streams() == {name}


def test_bench_analysis_command_prints_its_figures(capsys):
    from streamscope.cli import main

    assert main(["bench-analysis", "--streams", "2", "--rate", "120", "--seconds", "0.5"]) == 0
    out = capsys.readouterr().out
    for figure in ("hub.update", "window stats", "1M-sample history", "forecast fit", "XY"):
        assert figure in out
    assert "ns/sample" in out
