"""`costctl attribute ingest|report|reconcile|rejects|export`: thin argv layer over costctl.commands.attribute."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from costctl.errors import InputError
from costctl.values import parse_usd

app = typer.Typer(
    help="Load request logs into DuckDB and see which features, users, teams and models drive the bill.",
    no_args_is_help=True,
)

DbOpt = Annotated[Path, typer.Option("--db", help="The attribute database (a DuckDB file).")]
DEFAULT_DB = Path("costctl.duckdb")


def parse_named_usd(values: list[str] | None, flag: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for value in values or []:
        name, sep, amount = value.rpartition("=")
        if not sep or not name.strip():
            raise InputError(f"{flag} {value!r}: expected NAME=USD, e.g. {flag} chat=500")
        out[name.strip()] = parse_usd(amount, flag)
    return out


def load_budgets_file(path: Path) -> dict[str, Decimal]:
    from costctl.inputs import read_yaml

    doc = read_yaml(path, "budgets file")
    if isinstance(doc, dict) and isinstance(doc.get("budgets"), dict):
        doc = doc["budgets"]
    if not isinstance(doc, dict):
        raise InputError("expected `budgets: {feature: monthly_usd, ...}`", where=str(path))
    return {str(k): parse_usd(v, f"budget {k!r}", where=str(path)) for k, v in doc.items()}


def _day(value: str | None, flag: str) -> Any:
    if value is None:
        return None
    from costctl.cli.options import parse_day

    return parse_day(value, flag=flag)


def _spec(
    by: list[str] | None, grain: str, since: str | None, until: str | None, where: list[str] | None
) -> Any:
    from costctl.rollup.spec import RollupSpec, dimension, parse_where

    dims = [dimension(p) for v in by or [] for p in v.split(",") if p.strip()]
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and first > last:
        raise InputError(f"--since {first} is after --until {last}; expected --since on or before --until")
    return RollupSpec(tuple(dict.fromkeys(dims)), grain.lower(), first, last, parse_where(where))


# The subcommands live one module each; importing them registers them on `app`.
from costctl.cli import attribute_ingest, attribute_report, attribute_store  # noqa: E402, F401
