"""JSON: money as decimal strings in `*_usd` fields, never floats; control and bidi characters escaped."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from costctl.render.text import json_inert
from costctl.report import SCHEMA_VERSION, Report

_CENT = Decimal("0.01")


def money_text(value: Decimal) -> str:
    """An exact decimal string with at least two decimals: 690 -> "690.00", 0.0065 -> "0.0065",
    11500.0 -> "11500.00". Only zeros are added or removed; the value is never rounded."""
    normal = value.normalize()
    if normal.as_tuple().exponent >= -2:  # type: ignore[operator]
        normal = normal.quantize(_CENT)
    return f"{normal:f}"


def to_jsonable(value: Any, key: str = "") -> Any:
    if isinstance(value, Decimal):
        if ("_usd" in key or key.startswith("usd")) and value.is_finite():
            return money_text(value)
        return (
            f"{value.normalize():f}"
            if value.is_finite() and value == value.to_integral_value()
            else f"{value:f}"
        )
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, key) for v in value]
    return value


def render_json(report: Report) -> str:
    payload = {"schema_version": SCHEMA_VERSION, "command": report.command, **report.data}
    return json_inert(json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False)) + "\n"
