"""The one home for parsing values a user types or a file holds: amounts, fractions, percentages, factors,
dates, months and "today".

Every parser takes the raw value (a flag's string, or what YAML/JSON produced), the name to blame in the
error (`--budget`, `field 'fail'`) and optionally the file it came from, and either returns an exact value
or raises `InputError` with one line saying what was found and what was expected. Floats from YAML go
through `str()` first, so `0.1` becomes `Decimal('0.1')`, never its binary expansion.

Amounts and counts are bounded (`MAX_AMOUNT`, `MAX_TOKENS`, and `MAX_USD_PER_MTOK` for a price table): a
figure above them is a typo, not a plan, and an unbounded one would overflow exact decimal arithmetic further
down. Every run uses a 40-digit Decimal context (`use_money_context`), so sums of bounded figures are exact.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from costctl.errors import InputError

MAX_AMOUNT = Decimal(10) ** 15  # USD, requests, users: anything above a quadrillion is a typo
MAX_TOKENS = 10**15
MAX_USERS = 10**10  # more than everyone alive
MAX_TOKENS_PER_REQUEST = 100_000_000  # one request of a workload: ten times the largest context window sold
MAX_USD_PER_MTOK = Decimal(10) ** 6  # a price in a table; the dearest published rate is below $1,000

# Python's default Decimal context keeps 28 significant digits: near 1e24 USD a sum loses its last cents and
# a total stops equalling the sum of its parts. With 40 digits, a bounded token count (16 digits) times any
# price of up to 24 significant digits is exact, and so are the sums of such parts. Only a division that
# does not terminate (a share, a per-request average) is rounded, at the 40th digit.
MONEY_PRECISION = 40


def use_money_context() -> None:
    """Set the Decimal context for this thread and for threads started later. The CLI calls it once per run
    (cli/guard.py); a library user who sums amounts near 1e24 can call it too."""
    import decimal

    decimal.DefaultContext.prec = MONEY_PRECISION
    decimal.getcontext().prec = MONEY_PRECISION


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
