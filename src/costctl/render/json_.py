"""JSON: money as decimal strings in `*_usd` fields, never floats."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from costctl.report import SCHEMA_VERSION, Report


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    return value


def render_json(report: Report) -> str:
    payload = {"schema_version": SCHEMA_VERSION, "command": report.command, **report.data}
    return json.dumps(to_jsonable(payload), indent=2, ensure_ascii=False) + "\n"
