"""Small self-contained SVG charts (no JavaScript, no external fonts; every text is XML-escaped).

`line_chart` draws series of (x, y) points, optionally on a log-x axis; `bar_chart` draws labelled bars.
For the monthly report: `stacked_bar_chart` (daily spend by feature), `hbar_chart` (top-N), `sparkline`
(table cells) and `waterfall_chart` (month-over-month split). Values may be Decimal: they are converted to
float here, for drawing only; labels are formatted by the caller (render/values.py), so no rounding of money
happens here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
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


# ---------------------------------------------------------------- report charts (costctl report)
# Drawn at build time, inline in the HTML: no script, real <text>, a <title> per mark for hover tooltips
# without JavaScript (docs/report.md#self-contained-html). Coordinates use one decimal so output is stable.


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]


def _mark(tag: str, attrs: str, tip: str) -> str:
    return f"<{tag} {attrs}><title>{escape(tip)}</title></{tag}>"


def _money_label(v: float) -> str:
    return ("-" if v < 0 else "") + "$" + _short(round(abs(v), 2))


def stacked_bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    *,
    title: str,
    tips: Sequence[str] | None = None,
    value_text: Callable[[Number], str] = str,
    width: int = 760,
    height: int = 320,
) -> str:
    """Vertical bars, one per label, stacked by series (e.g. daily spend by feature), legend on the right.

    `value_text` formats a value for tooltips (the caller passes the report's money formatter)."""
    left, right, top, bottom = 60, 190, 34, 40
    pw, ph = width - left - right, height - top - bottom
    totals = [sum(float(s[1][i]) for s in series) for i in range(len(labels))]
    top_value = max(totals, default=0.0) or 1.0
    out = _open(width, height, title)
    out.append(_text(left, 20, title, size=13))
    for t in _ticks(0.0, top_value, 4):
        y = top + ph - t / top_value * ph
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(_text(left - 6, y + 4, _money_label(t), anchor="end", size=10))
    slot = pw / max(1, len(labels))
    for i, label in enumerate(labels):
        base = 0.0
        x = left + i * slot + slot * 0.1
        for j, (name, values) in enumerate(series):
            v = max(0.0, float(values[i]))
            if v <= 0:
                continue
            h = v / top_value * ph
            y = top + ph - (base + v) / top_value * ph
            tip = f"{name}, {label}: {value_text(values[i])}"
            out.append(
                _mark(
                    "rect",
                    f'x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[j % len(PALETTE)]}"',
                    tip,
                )
            )
            base += v
        every = max(1, math.ceil(len(labels) / 16))
        if i % every == 0:
            out.append(_text(x + slot * 0.4, top + ph + 14, label, anchor="middle", size=9))
        if tips:
            out.append(
                _mark(
                    "rect",
                    f'x="{x:.1f}" y="{top}" width="{slot * 0.8:.1f}" height="{ph}" fill="transparent"',
                    tips[i],
                )
            )
    out.append(f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#333"/>')
    out.extend(_legend([name for name, _ in series], left + pw + 14, top))
    out.append("</svg>")
    return "\n".join(out)


def _legend(names: Sequence[str], x: float, y: float, max_chars: int = 24) -> list[str]:
    out = []
    for i, name in enumerate(names):
        ly = y + 6 + i * 18
        out.append(
            f'<rect x="{x:.1f}" y="{ly - 9:.1f}" width="11" height="11" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
        shown = name if len(name) <= max_chars else name[: max_chars - 1] + "…"
        out.append(_text(x + 16, ly + 1, shown, size=11))
    return out


def hbar_chart(
    bars: Sequence[tuple[str, Number]],
    *,
    title: str,
    value_text: Callable[[Number], str] = str,
    width: int = 370,
    bar_height: int = 20,
    label_width: int = 130,
) -> str:
    """Horizontal bars, biggest first as given (top-N features, models, teams, users), value at the end."""
    top, gap = 30, 6
    height = top + len(bars) * (bar_height + gap) + 10
    right = 70
    pw = width - label_width - right
    top_value = max((float(v or 0) for _, v in bars), default=0.0) or 1.0
    out = _open(width, height, title)
    out.append(_text(4, 18, title, size=13))
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_height + gap)
        w = max(0.0, float(value or 0)) / top_value * pw  # None (unpriced) draws no bar
        shown = label if len(label) <= 20 else label[:19] + "…"
        out.append(_text(label_width - 6, y + bar_height * 0.7, shown, anchor="end", size=11))
        out.append(
            _mark(
                "rect",
                f'x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{PALETTE[0]}"',
                f"{label}: {value_text(value)}",
            )
        )
        out.append(_text(label_width + w + 4, y + bar_height * 0.7, value_text(value), size=10))
    out.append("</svg>")
    return "\n".join(out)


def sparkline(values: Sequence[Number], *, label: str, width: int = 100, height: int = 22) -> str:
    """A tiny line of daily values for a table cell; the label is its accessible name and tooltip."""
    vs = [float(v) for v in values] or [0.0]
    hi = max(vs) or 1.0
    step = (width - 2) / max(1, len(vs) - 1)
    pts = " ".join(f"{1 + i * step:.1f},{height - 2 - v / hi * (height - 4):.1f}" for i, v in enumerate(vs))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(label)}</title>'
        f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{pts}"/></svg>'
    )


def waterfall_chart(
    steps: Sequence[tuple[str, Number]],
    *,
    title: str,
    value_text: Callable[[Number], str] = str,
    width: int = 560,
    height: int = 300,
) -> str:
    """Start total, signed changes, end total (e.g. last month -> volume -> rate -> mix -> this month).

    The first and last steps are totals drawn from zero; the middle ones float from the running sum,
    green when they lower the total and red when they raise it."""
    left, right, top, bottom = 64, 16, 34, 48
    pw, ph = width - left - right, height - top - bottom
    running, levels = 0.0, []
    for i, (_, v) in enumerate(steps):
        f = float(v)
        if i == 0 or i == len(steps) - 1:
            levels.append((0.0, f))
            running = f
        else:
            levels.append((running, running + f))
            running += f
    lo = min([0.0, *(min(a, b) for a, b in levels)])
    hi = max([0.0, *(max(a, b) for a, b in levels)]) or 1.0
    span = (hi - lo) or 1.0

    def py(v: float) -> float:
        return top + ph - (v - lo) / span * ph

    out = _open(width, height, title)
    out.append(_text(left, 20, title, size=13))
    for t in _ticks(lo, hi, 4):
        out.append(f'<line x1="{left}" y1="{py(t):.1f}" x2="{left + pw}" y2="{py(t):.1f}" stroke="#e5e5e5"/>')
        out.append(_text(left - 6, py(t) + 4, _money_label(t), anchor="end", size=10))
    slot = pw / max(1, len(steps))
    for i, ((label, value), (a, b)) in enumerate(zip(steps, levels, strict=True)):
        total = i == 0 or i == len(steps) - 1
        colour = "#7f7f7f" if total else ("#d62728" if b >= a else "#2ca02c")
        y, h = py(max(a, b)), abs(py(a) - py(b))
        x = left + i * slot + slot * 0.15
        out.append(
            _mark(
                "rect",
                f'x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{max(h, 0.5):.1f}" fill="{colour}"',
                f"{label}: {value_text(value)}",
            )
        )
        shown = value_text(value) if total or float(value) < 0 else "+" + value_text(value)
        out.append(_text(x + slot * 0.35, y - 4, shown, anchor="middle", size=10))
        out.append(_text(x + slot * 0.35, top + ph + 16, label, anchor="middle", size=10))
    out.append(f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + pw}" y2="{py(0):.1f}" stroke="#333"/>')
    out.append("</svg>")
    return "\n".join(out)
