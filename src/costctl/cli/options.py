"""Parsing of option values shared by several commands."""

from __future__ import annotations

import datetime as dt

from costctl.values import parse_date


def parse_day(value: str | None, *, flag: str = "--at") -> dt.date:
    """YYYY-MM-DD, an ISO timestamp (its UTC date), or `today` (UTC); no value means today."""
    return parse_date(value if value is not None and value.strip() else "today", flag)


def split_models(values: list[str] | None) -> list[str]:
    """`--model a --model b,c` -> [a, b, c], order kept, duplicates dropped."""
    names: list[str] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names
