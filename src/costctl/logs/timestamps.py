"""One timestamp parser for every log format.

Accepted (docs/log-formats.md#traps-handled):
- numeric epochs, as numbers or digit strings; the unit is decided by magnitude: below 1e11 seconds
  (1e11 s is the year 5138), below 1e14 milliseconds, below 1e17 microseconds, otherwise nanoseconds
  (OTLP `*TimeUnixNano`, any-agent's integer times);
- ISO 8601 / RFC 3339 with `T` or a space between date and time, any number of fraction digits
  (nanoseconds are truncated to microseconds), and a `Z`, `UTC`, `+HH:MM`, `+HHMM` or `+HH` suffix;
- a date alone (`2025-01-24`, Anthropic Console CSV) means midnight.

A string without an offset is UTC: LiteLLM `startTime`, the Langfuse blob export and the Console CSV write
naive UTC. Every result is a timezone-aware `datetime` in UTC. Anything else raises `TimestampError`, whose
message names the value, so an adapter can reject the row with it.
"""

from __future__ import annotations

import datetime as dt
import math
import re

UTC = dt.timezone.utc

_ISO = re.compile(
    r"""^\s*
    (?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})
    (?:[Tt\ ]
        (?P<h>\d{2}):(?P<mi>\d{2})
        (?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?
    )?
    \s*(?P<tz>[Zz]|UTC|[+-]\d{2}(?::?\d{2})?)?
    \s*$""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")

_MIN = dt.datetime(1970, 1, 1, tzinfo=UTC)


class TimestampError(ValueError):
    """A value that is not a timestamp this parser understands."""


def parse_timestamp(value: object) -> dt.datetime:
    """Parse an epoch number or an ISO 8601 string into an aware UTC datetime."""
    if isinstance(value, bool) or value is None:
        raise TimestampError(f"timestamp {value!r} is not a time")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, (int, float)):
        return _from_epoch(value, value)
    if isinstance(value, str):
        if _NUMBER.match(value):
            text = value.strip()
            number: int | float = int(text) if text.lstrip("+-").isdigit() else float(text)
            return _from_epoch(number, value)
        return _from_iso(value)
    raise TimestampError(
        f"timestamp {value!r} has type {type(value).__name__}, expected a number or ISO 8601 text"
    )


def _from_epoch(number: int | float, original: object) -> dt.datetime:
    if isinstance(number, float) and not math.isfinite(number):
        raise TimestampError(f"timestamp {original!r} is not a finite number")
    if number < 0:
        raise TimestampError(f"timestamp {original!r} is a negative epoch")
    magnitude = abs(number)
    # Integer arithmetic for ints keeps nanosecond epochs exact (a float has only ~16 digits).
    if magnitude < 1e11:
        divisor = 1
    elif magnitude < 1e14:
        divisor = 1_000
    elif magnitude < 1e17:
        divisor = 1_000_000
    else:
        divisor = 1_000_000_000
    if isinstance(number, int):
        seconds, rest = divmod(number, divisor)
        micros = rest * 1_000_000 // divisor
    else:
        total = number / divisor
        seconds = int(total)
        micros = int(round((total - seconds) * 1_000_000))
        if micros == 1_000_000:
            seconds, micros = seconds + 1, 0
    try:
        return _MIN + dt.timedelta(seconds=seconds, microseconds=micros)
    except OverflowError as exc:
        raise TimestampError(f"timestamp {original!r} is out of range") from exc


def _from_iso(text: str) -> dt.datetime:
    match = _ISO.match(text)
    if not match:
        raise TimestampError(
            f"timestamp {text!r} is not an epoch number or ISO 8601 time (e.g. 2025-01-24T09:20:46Z)"
        )
    g = match.groupdict()
    frac = (g["frac"] or "")[:6].ljust(6, "0")
    try:
        naive = dt.datetime(
            int(g["y"]),
            int(g["mo"]),
            int(g["d"]),
            int(g["h"] or 0),
            int(g["mi"] or 0),
            int(g["s"] or 0),
            int(frac),
        )
    except ValueError as exc:
        raise TimestampError(f"timestamp {text!r} is not a valid date or time: {exc}") from exc
    tz = g["tz"]
    if tz is None or tz in ("Z", "z", "UTC"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise TimestampError(f"timestamp {text!r} has an invalid UTC offset {tz!r}")
    offset = dt.timedelta(hours=hours, minutes=minutes) * sign
    try:
        return naive.replace(tzinfo=dt.timezone(offset)).astimezone(UTC)
    except OverflowError as exc:
        raise TimestampError(f"timestamp {text!r} is out of range") from exc
