"""Parsing of option values shared by several commands."""

from __future__ import annotations

import datetime as dt

from costctl.errors import InputError


def parse_day(value: str | None, *, flag: str = "--at") -> dt.date:
    """YYYY-MM-DD, an ISO timestamp, or `today` (UTC)."""
    if value is None or value.strip().lower() in ("", "today", "now"):
        return dt.datetime.now(dt.timezone.utc).date()
    text = value.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{flag}: expected a date YYYY-MM-DD, got {value!r}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.timezone.utc)
    return stamp.date()


def split_models(values: list[str] | None) -> list[str]:
    """`--model a --model b,c` -> [a, b, c], order kept, duplicates dropped."""
    names: list[str] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names
