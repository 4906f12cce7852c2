"""The one home for parsing values a user types or a file holds: amounts, fractions, percentages, factors,
dates, months and "today".

Every parser takes the raw value (a flag's string, or what YAML/JSON produced), the name to blame in the
error (`--budget`, `field 'fail'`) and optionally the file it came from, and either returns an exact value
or raises `InputError` with one line saying what was found and what was expected. Floats from YAML go
through `str()` first, so `0.1` becomes `Decimal('0.1')`, never its binary expansion.

Amounts and counts are bounded (`MAX_AMOUNT`, `MAX_TOKENS`): a figure above them is a typo, not a plan,
and an unbounded one would overflow exact decimal arithmetic further down (costctl.numbers holds the
bounds and the Decimal context).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from costctl.errors import InputError
from costctl.numbers import MAX_TOKENS, MAX_USD

MAX_AMOUNT = MAX_USD  # USD, requests: anything above a quadrillion is a typo
MAX_USERS = 10**10  # more than everyone alive


def utc_today() -> dt.date:
    """Today in UTC: prices, logs and months are all dated in UTC."""
    return dt.datetime.now(dt.timezone.utc).date()


def _fail(what: str, expected: str, value: Any, where: str | None) -> InputError:
    return InputError(f"{what}: expected {expected}, got {value!r}", where=where)


def parse_number(
    value: Any,
    what: str,
    *,
    where: str | None = None,
    currency: bool = False,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal = MAX_AMOUNT,
    expected: str = "a number",
) -> Decimal:
    """A finite decimal between `minimum` and `maximum`; `currency` also accepts `$1,500` and `1_500`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise _fail(what, expected, value, where)
    text = str(value).strip()
    if currency:
        text = text.lstrip("$").replace(",", "").replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _fail(what, expected, value, where) from None
    if not number.is_finite():
        raise _fail(what, f"a finite {expected.removeprefix('a ').removeprefix('an ')}", value, where)
    if minimum is not None and number < minimum:
        if minimum == 0:
            raise InputError(f"{what}: must not be negative, got {value!r}", where=where)
        raise InputError(f"{what}: must be at least {minimum}, got {value!r}", where=where)
    if number > maximum:
        raise InputError(f"{what}: must be at most {maximum:,}, got {value!r}", where=where)
    return number


def parse_usd(value: Any, what: str, *, where: str | None = None) -> Decimal:
    """A non-negative amount of USD: `1500`, `0.01`, `$1,500.00`."""
    return parse_number(
        value, what, where=where, currency=True, expected="an amount in USD such as 25 or 0.5"
    )


def parse_fraction(value: Any, what: str, *, where: str | None = None) -> Decimal:
    """A share between 0 and 1 (`0.25`)."""
    return parse_number(value, what, where=where, maximum=Decimal(1), expected="a fraction between 0 and 1")


def parse_percent(value: Any, what: str, *, where: str | None = None) -> Decimal:
    """A percentage between 0 and 100 (`10` or `10%`), returned as the number of percent."""
    text = value.strip().removesuffix("%") if isinstance(value, str) else value
    return parse_number(text, what, where=where, maximum=Decimal(100), expected="a percentage such as 10")


def parse_count(value: Any, what: str, *, where: str | None = None, maximum: int = MAX_TOKENS) -> int:
    """A non-negative whole number (tokens, requests); `1.0` from YAML is accepted, `1.5` is not."""
    number = parse_number(value, what, where=where, maximum=Decimal(maximum), expected="a whole number")
    if number != number.to_integral_value():
        raise _fail(what, "a whole number", value, where)
    return int(number)


def parse_date(value: Any, what: str, *, where: str | None = None) -> dt.date:
    """YYYY-MM-DD (a YAML date too), an ISO timestamp (its UTC date), or `today`."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.timezone.utc) if value.tzinfo else value).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("today", "now"):
            return utc_today()
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (stamp.astimezone(dt.timezone.utc) if stamp.tzinfo else stamp).date()
    raise _fail(what, "a date YYYY-MM-DD", value, where)


def parse_month(value: Any, what: str, *, where: str | None = None) -> dt.date:
    """YYYY-MM, returned as the first day of that month."""
    if isinstance(value, str):
        try:
            return dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            pass
    raise _fail(what, "YYYY-MM such as 2026-10", value, where)
