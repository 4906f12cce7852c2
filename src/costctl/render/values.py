"""Display formatting of cell values. Rounding happens here and only here."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any


def format_usd(value: Decimal) -> str:
    """$1,234.57 for amounts of a dollar or more; up to 6 decimals below that, so $0.0065 stays visible."""
    if value == 0:
        return "$0.00"
    sign = "-" if value < 0 else ""
    mag = abs(value)
    if mag >= 1:
        return f"{sign}${mag.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):,}"
    q = mag.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
    if q == 0:
        return f"{sign}<$0.000001"
    text = f"{q:f}".rstrip("0")
    if len(text.split(".")[1]) < 2:
        text = f"{q:.2f}"
    return f"{sign}${text}"


def format_cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "usd" and isinstance(value, Decimal):
        return format_usd(value)
    if kind == "pct" and isinstance(value, (Decimal, float, int)):
        return f"{Decimal(str(value)) * 100:.1f}%"
    if kind == "percent" and isinstance(value, (Decimal, float, int)):
        return f"{Decimal(str(value)):.1f}%"
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    if kind == "exact" and isinstance(value, bool):
        return "exact" if value else "approximate"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format_number(value)
    return str(value)


def format_number(value: Decimal) -> str:
    """A plain quantity for reading: 17,727,478,848 rather than 17727478848.000000, and at most six
    decimals below 1,000 (display only; JSON and CSV keep every digit)."""
    if not value.is_finite():
        return str(value)
    if abs(value) >= 1000:
        whole = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        text = f"{whole:,.2f}"
        return text[:-3] if text.endswith(".00") else text
    q = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN).normalize()
    return f"{q:f}"


def plain_cell(value: Any, kind: str) -> str:
    """Machine value for CSV: exact decimals, no currency sign, no separators."""
    if value is None:
        return ""
    if kind == "exact" and isinstance(value, bool):
        return "exact" if value else "approximate"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)
