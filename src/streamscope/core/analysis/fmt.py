"""Numbers for people: short, aligned-looking values for tiles, lists and summaries."""

from __future__ import annotations

import math


def fmt_value(v: float) -> str:
    """``59.87``, ``423.5``, ``12,346``, ``0.00123``, ``1.2e+09``; ``—`` for no value."""
    if v is None or math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 1e7 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_signed(v: float) -> str:
    if math.isnan(v):
        return "—"
    return ("+" if v > 0 else "") + fmt_value(v)


def fmt_rate(hz: float) -> str:
    if math.isnan(hz):
        return "— Hz"
    if hz >= 1000:
        return f"{hz / 1000:.1f} kHz"
    return f"{hz:.1f} Hz" if hz >= 1 else f"{hz:.2f} Hz"


def fmt_z(z: float) -> str:
    if math.isinf(z):
        return "+∞" if z > 0 else "−∞"
    return f"{z:+.1f}"


def fmt_si(x: float) -> str:
    """Counts and rates in a status bar: ``950``, ``12.3k``, ``4.5M``, ``1.2G``."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.1f}{suffix}"
    return f"{x:.0f}"
