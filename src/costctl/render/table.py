"""Terminal tables, drawn with box characters by hand.

rich is not used here on purpose: importing and laying out a rich table cost ~180 ms per command, more than
everything else `costctl estimate` does (bench/bench_estimate.py). Cells are plain text: nothing in a cell is
interpreted as markup, and control characters are shown as escapes (render/text.py).

Given a terminal width, a table fits it the way rich fits a console: first the DETAIL columns go (rightmost
first) while long labels keep a readable width, then long labels are cut with an ellipsis, then the NORMAL
columns go. ESSENTIAL columns and the first (label) column stay. A number is never cut or wrapped: a column
holding numbers keeps its full width, and a table that still does not fit runs past the edge rather than
break a number. Hidden columns are named under the table, so nothing disappears silently.
"""

from __future__ import annotations

import re
import unicodedata

from costctl.render.text import inert
from costctl.render.values import format_cell
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table

_RIGHT = {"usd", "int", "pct", "percent"}
# A text cell that reads as a number (counts, money, ratios shown as text) makes its column uncuttable.
_NUMERIC = re.compile(r"^[~≈<>+\-−]?\$?[\d][\d,._]*(?:[kKMGB%x×]|/mo|/day)?$")
COMFORT_WIDTH = 24  # long labels keep this many columns while DETAIL columns are hidden first
MIN_WIDTH = 8  # no label is cut below this (or its header's width, when shorter)
PROSE_WIDTH = 30  # prose columns fold down to this width before any label is cut


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (East Asian wide characters take two)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _clean(text: str) -> str:
    """One line of inert text: control and bidi characters escaped, CR/LF/tab as spaces (render/text.py)."""
    return inert(text)


def _truncate(text: str, width: int) -> str:
    """`text` cut to `width` terminal columns, an ellipsis marking the cut."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _fold(text: str, width: int) -> list[str]:
    """Prose folded onto lines of at most `width` terminal columns (words kept whole where they fit)."""
    if display_width(text) <= width:
        return [text]
    import textwrap

    lines = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [""]
    return [_truncate(line, width) for line in lines]  # wide characters can still overflow a line


def _total(widths: list[int]) -> int:
    return sum(w + 3 for w in widths) + 1  # "│ cell " per column, and the closing "│"


def _shrink(widths: list[int], passes: list[list[tuple[int, int]]], limit: int) -> list[int] | None:
    """Narrow columns until the table fits `limit`; None if it cannot. Each pass is a list of (position,
    floor): within a pass the widest column loses a column first; a pass runs only if the earlier ones
    were not enough."""
    widths = list(widths)
    excess = _total(widths) - limit
    for floors in passes:
        while excess > 0:
            cuttable = [(i, floor) for i, floor in floors if widths[i] > floor]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda item: widths[item[0]])[0]
            widths[widest] -= 1
            excess -= 1
    return widths if excess <= 0 else None


def _fit(
    columns: list[Column], natural: list[int], cuttable: list[bool], limit: int
) -> tuple[list[int], list[int]]:
    """The columns to show and their widths for a terminal `limit` columns wide."""
    keep = list(range(len(columns)))
    droppable = sorted(
        (i for i in range(1, len(columns)) if columns[i].priority > ESSENTIAL),
        key=lambda i: (-columns[i].priority, -i),
    )
    detail = [i for i in droppable if columns[i].priority >= DETAIL]

    def attempt(label_floor: int) -> list[int] | None:
        def floor(i: int, at_least: int) -> int:
            return min(natural[i], max(at_least, min(MIN_WIDTH, display_width(columns[i].header))))

        def prose(at_least: int) -> list[tuple[int, int]]:
            return [(pos, floor(i, at_least)) for pos, i in enumerate(keep) if columns[i].wrap]

        def labels(at_least: int) -> list[tuple[int, int]]:
            return [
                (pos, floor(i, at_least)) for pos, i in enumerate(keep) if cuttable[i] and not columns[i].wrap
            ]

        # Prose folds onto more lines and loses nothing, so it gives way before labels are cut, and the two
        # then take turns, so that neither ends at the minimum while the other is still wide.
        passes = [
            prose(PROSE_WIDTH),
            labels(max(label_floor, 16)),
            prose(20),
            labels(label_floor),
            prose(MIN_WIDTH),
        ]
        return _shrink([natural[i] for i in keep], passes, limit)

    # 1. hide DETAIL columns while labels keep a readable width; 2. cut labels to the minimum;
    # 3. hide NORMAL columns too, labels at their minimum.
    for label_floor, candidates in ((COMFORT_WIDTH, detail), (MIN_WIDTH, droppable)):
        widths = attempt(label_floor)
        if widths is not None:
            return keep, widths
        for i in candidates:
            if i in keep:
                keep.remove(i)
                widths = attempt(label_floor)
                if widths is not None:
                    return keep, widths
    # Still too wide (numbers never shrink): labels and prose at their minimum, past the edge.
    everything = [(pos, min(natural[i], MIN_WIDTH)) for pos, i in enumerate(keep) if cuttable[i]]
    return keep, _shrink([natural[i] for i in keep], [everything], 0) or [natural[i] for i in keep]


def table_text(table: Table, width: int | None = None) -> str:
    """The table drawn with box characters; fitted to `width` terminal columns when given."""
    columns = table.columns
    headers = [_clean(c.header) for c in columns]
    body = [[_clean(format_cell(row.get(c.key), c.kind_of(row))) for c in columns] for row in table.rows]
    footer = (
        [_clean(format_cell(table.footer.get(c.key), c.kind_of(table.footer))) for c in columns]
        if table.footer
        else None
    )
    lines_in = body + ([footer] if footer else [])
    natural = [display_width(h) for h in headers]
    for line in lines_in:
        natural = [max(w, display_width(cell)) for w, cell in zip(natural, line, strict=True)]
    keep = list(range(len(columns)))
    widths = natural
    if width is not None and _total(natural) > width:
        cuttable = [
            c.kind in ("text", "row") and not any(_NUMERIC.match(line[i].strip()) for line in lines_in)
            for i, c in enumerate(columns)
        ]
        keep, widths = _fit(columns, natural, cuttable, width)
    hidden = [headers[i] for i in range(len(columns)) if i not in keep]
    right = [columns[i].kind in _RIGHT for i in keep]

    def rule(left: str, mid: str, end: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    def row(cells: list[str]) -> str:
        folded = [
            _fold(cells[i], w) if columns[i].wrap else [_truncate(cells[i], w)]
            for i, w in zip(keep, widths, strict=True)
        ]
        height = max(len(f) for f in folded)
        return "\n".join(
            "│"
            + "│".join(
                f" {_pad(f[n] if n < len(f) else '', w, r)} "
                for f, w, r in zip(folded, widths, right, strict=True)
            )
            + "│"
            for n in range(height)
        )

    lines = []
    if table.title:
        lines.append(_truncate(_clean(table.title), width) if width else _clean(table.title))
    lines.append(rule("┌", "┬", "┐", "─"))
    lines.append(row(headers))
    lines.append(rule("├", "┼", "┤", "─"))
    lines.extend(row(cells) for cells in body)
    if footer:
        lines.append(rule("├", "┼", "┤", "─"))
        lines.append(row(footer))
    lines.append(rule("└", "┴", "┘", "─"))
    if hidden:
        import textwrap

        note = (
            f"({len(hidden)} column{'s' if len(hidden) > 1 else ''} hidden to fit {width} columns: "
            f"{', '.join(hidden)}; a wider terminal or --format csv/json shows all)"
        )
        lines.extend(textwrap.wrap(note, width=max(width or 80, 40)))
    return "\n".join(lines)


def render_table(report: Report, width: int | None = None) -> str:
    """Every table of the report; `width` is the terminal's (None: each table at its full width)."""
    head = _clean(report.title) + "\n" if report.title else ""
    return head + "\n\n".join(table_text(t, width) for t in report.tables) + "\n"
