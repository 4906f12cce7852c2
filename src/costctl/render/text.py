"""Hostile text made inert: the one place that decides what a terminal, a spreadsheet or a JSON reader sees.

Names in the output (features, users, teams, models, files) come from logs and flags that anyone can write.
A name holding ESC, BEL or an OSC sequence would drive the terminal that shows a table; the RTL override
(U+202E) would make `gpt-4o` read as something else; a bare CR would overwrite the start of a line. Every
text renderer passes its text through `inert`, which writes each such character as a visible escape
(`\\x1b`, `\\u202e`), so the reader sees that something odd is there and nothing is executed.

JSON keeps every value exactly: `json_inert` only turns the characters that `json.dumps` leaves raw into
`\\uXXXX` escapes, which any JSON parser reads back to the same string.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the line/paragraph separators and the bidirectional formatting characters
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_WHITESPACE = {"\t": " ", "\n": " ", "\r": " "}
# what json.dumps(ensure_ascii=False) leaves unescaped among the characters above
_JSON_RAW = re.compile(f"[\x7f-\x9f\u2028\u2029{_BIDI}]")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: str, *, keep: str = "") -> str:
    """`text` with every control or bidi character shown as an escape. Tab, CR and LF become a space
    (one cell, one line) unless listed in `keep`."""
    if not _CONTROL.search(text):
        return text

    def sub(match: re.Match[str]) -> str:
        ch = match.group(0)
        if ch in keep:
            return ch
        return _WHITESPACE.get(ch) or _escape(ch)

    return _CONTROL.sub(sub, text)


def json_inert(text: str) -> str:
    """JSON text with DEL, C1 controls, line separators and bidi characters written as `\\uXXXX`."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
