"""Small self-contained SVG charts (no JavaScript, no external fonts; every text is XML-escaped).

`line_chart` draws series of (x, y) points, optionally on a log-x axis; `bar_chart` draws labelled bars.
Values may be Decimal: they are converted to float here, for drawing only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
Number = float | int | Decimal


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="sans-serif" font-size="{size}" '
        f'text-anchor="{anchor}"{extra}>{escape(str(text))}</text>'
    )


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _short(v: float) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def line_chart(
    series: Sequence[tuple[str, Sequence[tuple[Number, Number]]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = False,
    width: int = 720,
    height: int = 420,
) -> str:
    left, right, top, bottom = 70, 180, 40, 50
    pw, ph = width - left - right, height - top - bottom
    pts = [(float(x), float(y)) for _, s in series for x, y in s]
    if not pts:
        pts = [(1.0, 0.0)]
    fx = (lambda v: math.log10(v)) if log_x else (lambda v: v)
    xs = [fx(x) for x, _ in pts if not log_x or x > 0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = 0.0, max(y for _, y in pts) or 1.0
    x1 = x1 if x1 > x0 else x0 + 1

    def px(x: float) -> float:
        return left + (fx(x) - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + ph - (y - y0) / (y1 - y0) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        _text(width / 2, 22, title, anchor="middle", size=14),
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>',
    ]
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(_text(left - 6, py(t) + 4, _short(t), anchor="end", size=10))
    xticks = [10**e for e in range(math.ceil(x0), math.floor(x1) + 1)] if log_x else _ticks(x0, x1)
    for t in xticks:
        out.append(_text(px(t), top + ph + 16, _short(t), anchor="middle", size=10))
    out.append(_text(left + pw / 2, height - 10, x_label, anchor="middle"))
    out.append(
        _text(
            16,
            top + ph / 2,
            y_label,
            anchor="middle",
            extra=f' transform="rotate(-90 16 {top + ph / 2:.1f})"',
        )
    )
    for i, (label, s) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{px(float(x)):.1f},{py(float(y)):.1f}" for x, y in s if not log_x or float(x) > 0)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}"/>')
        ly = top + 10 + i * 18
        out.append(f'<rect x="{left + pw + 12}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        out.append(_text(left + pw + 30, ly + 1, label, size=11))
    out.append("</svg>\n")
    return "\n".join(out)


def bar_chart(
    bars: Sequence[tuple[str, Number]], *, title: str, y_label: str, width: int = 720, height: int = 420
) -> str:
    left, right, top, bottom = 70, 20, 40, 80
    pw, ph = width - left - right, height - top - bottom
    top_value = max((float(v) for _, v in bars), default=1.0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        _text(width / 2, 22, title, anchor="middle", size=14),
        _text(
            16,
            top + ph / 2,
            y_label,
            anchor="middle",
            extra=f' transform="rotate(-90 16 {top + ph / 2:.1f})"',
        ),
    ]
    slot = pw / max(1, len(bars))
    for i, (label, value) in enumerate(bars):
        h = max(0.0, float(value)) / top_value * ph
        x = left + i * slot + slot * 0.15
        out.append(
            f'<rect x="{x:.1f}" y="{top + ph - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        out.append(_text(x + slot * 0.35, top + ph + 16, label, anchor="middle", size=10))
        out.append(_text(x + slot * 0.35, top + ph - h - 4, _short(float(value)), anchor="middle", size=10))
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>')
    out.append("</svg>\n")
    return "\n".join(out)
