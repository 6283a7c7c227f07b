"""A short, rule-based reading of a stream: trend, volatility, anomalies, what to do about it.

The rules follow the original design's recommendations (high volatility → consider
smoothing; a strong upward trend → watch for limits). The same figures can be sent to an
OpenAI-compatible chat endpoint for a fuller interpretation: ``llm_request`` builds that
request and ``parse_llm_reply`` reads the answer, without doing any I/O here.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from streamscope.core.analysis.fmt import fmt_signed, fmt_value

STRONG_TREND = 3.0  # trend change over the window, in residual standard deviations
MILD_TREND = 1.0


@dataclass(slots=True)
class StreamSummary:
    name: str
    n: int
    span_s: float
    mean: float
    std: float
    min: float
    max: float
    last: float
    slope_per_s: float
    noise: float  # standard deviation around the trend line
    trend: str  # "rising strongly", "rising", "steady", "falling", "falling strongly"
    volatility: str  # "low", "moderate", "high"
    volatility_ratio: float  # residual std relative to the level (or roughness, see below)
    anomalies: int
    gaps: int
    recommendations: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.n == 0:
            return f"{self.name}: no data yet."
        head = (
            f"{self.name}: {self.trend} ({fmt_signed(self.slope_per_s)}/s over "
            f"{self.span_s:.0f} s), {self.volatility} volatility (σ {fmt_value(self.noise)} "
            "around the trend), "
            f"{self.anomalies} {'anomaly' if self.anomalies == 1 else 'anomalies'}.\n"
            f"Last {fmt_value(self.last)}, range {fmt_value(self.min)} … {fmt_value(self.max)}, "
            f"mean {fmt_value(self.mean)} over {self.n:,} samples."
        )
        return head + "".join(f"\n• {r}" for r in self.recommendations)

    def figures(self) -> dict[str, Any]:
        """The numbers behind the text (what an LLM is given)."""
        d = asdict(self)
        d.pop("recommendations")
        return {
            k: (None if isinstance(x, float) and not math.isfinite(x) else x) for k, x in d.items()
        }


def summarize(name: str, t: np.ndarray, v: np.ndarray, anomalies: int = 0) -> StreamSummary:
    """Summarize samples (t, v) — typically a chart's window — with rule-based advice."""
    gaps = int(np.isnan(v).sum())
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    n = len(v)
    if n == 0:
        nan = math.nan
        return StreamSummary(
            name, 0, 0.0, mean=nan, std=nan, min=nan, max=nan, last=nan, slope_per_s=0.0,
            noise=nan, trend="steady", volatility="low", volatility_ratio=0.0,
            anomalies=anomalies, gaps=gaps,
        )  # fmt: skip
    span = float(t[-1] - t[0])
    mean, std = float(v.mean()), float(v.std(ddof=1)) if n > 1 else 0.0
    slope, resid_std = 0.0, std
    if n >= 3 and span > 0:
        u = t - t[-1]
        slope, icept = np.polyfit(u, v, 1)
        resid = v - (slope * u + icept)
        resid_std = float(resid.std(ddof=2))
        slope = float(slope)
    change = slope * span
    score = abs(change) / resid_std if resid_std > 0 else (math.inf if change else 0.0)
    direction = "rising" if change > 0 else "falling"
    if score >= STRONG_TREND:
        trend = f"{direction} strongly"
    elif score >= MILD_TREND:
        trend = direction
    else:
        trend = "steady"
    if abs(mean) > 3 * std and abs(mean) > 0:
        ratio = resid_std / abs(mean)  # a signal with a level (fps, memory): noise vs level
        volatility = "high" if ratio > 0.1 else "moderate" if ratio > 0.02 else "low"
    else:
        d = np.diff(v)  # a signal around zero: how jagged it is (≈1 for white noise)
        ratio = float(d.std() / (math.sqrt(2) * std)) if n > 2 and std > 0 else 0.0
        volatility = "high" if ratio > 0.7 else "moderate" if ratio > 0.3 else "low"
    s = StreamSummary(
        name, n, span, mean=mean, std=std, min=float(v.min()), max=float(v.max()),
        last=float(v[-1]), slope_per_s=slope, noise=resid_std, trend=trend,
        volatility=volatility, volatility_ratio=float(ratio), anomalies=anomalies, gaps=gaps,
    )  # fmt: skip
    s.recommendations = recommend(s)
    return s


def recommend(s: StreamSummary) -> list[str]:
    out: list[str] = []
    if s.volatility == "high":
        out.append("High volatility: consider smoothing it (chart menu ▸ Analysis ▸ Derived ▸ "
                   "Moving average) before reading trends.")  # fmt: skip
    if s.trend == "rising strongly":
        per_min = fmt_signed(s.slope_per_s * 60)
        out.append(f"Strong upward trend ({per_min} per minute): watch for limits — "
                   "add a threshold alert.")  # fmt: skip
    elif s.trend == "falling strongly":
        per_min = fmt_signed(s.slope_per_s * 60)
        out.append(f"Strong downward trend ({per_min} per minute): check it cannot drop below "
                   "a safe minimum — add a threshold alert.")  # fmt: skip
    if s.anomalies and s.n and s.anomalies / s.n > 0.01:
        out.append("Frequent spikes: look for periodic work (GC, loading, spawns) in the "
                   "Anomalies list.")  # fmt: skip
    elif s.anomalies:
        out.append("Isolated anomalies: click them in the Anomalies list to inspect each.")
    if s.gaps:
        out.append(f"{s.gaps} gap{'s' if s.gaps != 1 else ''} in the data (null values).")
    if not out:
        out.append("Stable: nothing to act on.")
    return out


# ---------------------------------------------------------------- optional LLM interpretation

SYSTEM_PROMPT = (
    "You interpret live telemetry from a game or simulation for its developer. You get one "
    "stream's statistics over the visible window as JSON. Answer in at most 5 short sentences: "
    "what the stream is doing, whether anything looks wrong, and what to check or do next. "
    "Do not invent numbers that are not in the data."
)


def llm_request(summary: StreamSummary, model: str, max_tokens: int = 300) -> dict[str, Any]:
    """An OpenAI-compatible ``/v1/chat/completions`` request body for ``summary``."""
    figures = summary.figures()
    user = (
        f"Stream '{summary.name}' statistics:\n{json.dumps(figures, indent=1)}\n"
        f"Built-in rule-based reading:\n{summary.text}"
    )
    return {
        "model": model,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user},
        ],
        "temperature": 0.2,
        "max_tokens": max_tokens,
        "stream": False,
    }


def parse_llm_reply(body: bytes | str) -> str:
    """The assistant's text from a chat-completions response; ``ValueError`` if there is none."""
    try:
        data = json.loads(body)
        text = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise ValueError(
            f"unexpected reply from the model endpoint ({e.__class__.__name__})"
        ) from None
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the model endpoint returned an empty answer")
    return text.strip()
