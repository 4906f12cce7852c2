"""Strict YAML-to-dataclass building for scenario files and the GPU table.

Unknown keys are errors naming the field; every value is checked against the dataclass field type. Money
fields (`Decimal`) are parsed from the YAML text form, so 0.1 stays exactly 0.1 (never through float).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from costctl.errors import InputError
from costctl.values import parse_number

PHYSICS_MAX = Decimal(10) ** 30  # FLOP/s and bytes/s of hardware run to ~1e15; the bound only stops typos

T = TypeVar("T")


def read_yaml(path: Path, *, what: str) -> Any:
    """Parse a YAML file; every failure is one InputError line naming the file."""
    from costctl.inputs import parse_yaml, read_text

    return parse_yaml(read_text(path, f"{what}: file"), where=str(path), what=f"{what} YAML")


def to_decimal(value: Any, field: str) -> Decimal:
    """Any finite number, negative ones included (a scenario's sign checks are its own)."""
    return parse_number(value, field, minimum=None, maximum=PHYSICS_MAX)


def _convert(tp: Any, value: Any, field: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, field)
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"{field}: expected a list, got {value!r}")
        (inner,) = typing.get_args(tp)
        return [_convert(inner, item, f"{field}[{i}]") for i, item in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{field}: expected a mapping, got {value!r}")
        _, inner = typing.get_args(tp)
        return {str(k): _convert(inner, v, f"{field}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return build(tp, value, field)  # type: ignore[arg-type]
    if tp is Decimal:
        return to_decimal(value, field)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{field}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise InputError(f"{field}: expected a whole number, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"{field}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if isinstance(value, (dict, list)) or value is None:
            raise InputError(f"{field}: expected text, got {value!r}")
        return str(value)
    if tp is Any:
        return value
    raise TypeError(f"unsupported field type {tp!r}")  # a bug in our dataclasses, not user input


def build(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass `cls` from a mapping; unknown keys and missing required keys are InputErrors."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping, got {data!r}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    # YAML keys may use dashes or underscores; field names use underscores.
    normalised: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if name not in fields:
            from costctl.errors import did_you_mean

            raise InputError(
                f"{where}.{key}: unknown field{did_you_mean(name, fields)} (expected one of: {', '.join(fields)})"
            )
        normalised[name] = value
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in normalised:
            kwargs[name] = _convert(hints[name], normalised[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise InputError(f"{where}.{name}: required field is missing")
    return cls(**kwargs)
