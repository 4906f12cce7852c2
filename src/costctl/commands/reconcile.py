"""`costctl attribute reconcile`: the cost a log reports beside costctl's recomputation, by day and key, with
the likely cause of each mismatch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from costctl.commands.priced_rollup import (
    Totals,
    key_of,
    rollup,
)
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table
from costctl.rollup.engine import Engine
from costctl.rollup.spec import RollupSpec


def likely_cause(p: Totals, ours: Decimal, reported: Decimal, batch: bool) -> str:
    if reported == 0 and ours > 0:
        return "the log reports $0: a gateway cache hit, or a model the gateway could not price"
    ratio = ours / reported if reported else Decimal(0)
    if batch and Decimal("1.8") < ratio < Decimal("2.2"):
        return "batch discount not applied by one side (check the batch flag)"
    if not batch and Decimal("0.45") < ratio < Decimal("0.55"):
        return "the log applies batch rates; the row is not flagged is_batch"
    if ours > reported and p.reasoning_tokens > 0:
        return "reasoning tokens: the source may drop them from its cost"
    if p.cached_input_tokens or p.cache_write_tokens:
        return "cache tokens priced differently (cache reads/writes at another rate, or not at all)"
    return "price table differs (date of the price change, a negotiated discount, or a stale gateway table)"


def reconcile_report(catalog: Catalog, engine: Engine, spec: RollupSpec, tolerance_pct: Decimal) -> Report:
    dims = tuple(dict.fromkeys(("model", *spec.dimensions)))
    rspec = RollupSpec(dims, "day", spec.since, spec.until, spec.where, split_reported=True)
    result = rollup(catalog, engine, rspec)
    acc: dict[tuple[Any, ...], tuple[Totals, bool]] = {}
    for p in result.groups:
        if not p.group.has_reported or p.cost is None:
            continue
        key = key_of(p, rspec) + (p.group.is_batch,)
        t, _ = acc.get(key, (Totals(), p.group.is_batch))
        t.add(p)
        acc[key] = (t, p.group.is_batch)
    rows = []
    checked = 0
    for key, (t, batch) in sorted(acc.items(), key=lambda kv: str(kv[0])):
        checked += 1
        ours, reported = t.cost_usd, t.reported_cost_usd
        diff = ours - reported
        base = abs(reported) if reported else abs(ours)
        pct = diff / base * 100 if base else ZERO
        if abs(pct) <= tolerance_pct:
            continue
        row = {
            "day": key[0],
            **dict(zip(dims, key[1:-1], strict=False)),
            "batch": batch,
            "requests": t.requests,
        }
        row.update(
            {
                "ours_usd": ours,
                "reported_usd": reported,
                "difference_usd": diff,
                "difference_pct": pct.quantize(Decimal("0.01")),
                "likely_cause": likely_cause(t, ours, reported, batch),
            }
        )
        rows.append(row)
    cols = (
        [Column("day", "Day")]
        + [Column(d, d.title()) for d in dims]
        + [
            Column("requests", "Requests", "int"),
            Column("ours_usd", "Ours", "usd"),
            Column("reported_usd", "Reported", "usd"),
            Column("difference_usd", "Diff", "usd"),
            Column("difference_pct", "Diff %"),
            Column("likely_cause", "Likely cause"),
        ]
    )
    data = {"tolerance_pct": tolerance_pct, "groups_checked": checked, "mismatches": rows}
    notes = [] if checked else ["no rows carry a reported cost; nothing to reconcile"]
    return Report(
        "attribute reconcile", data, [Table(cols, rows, title="Reported vs recomputed cost")], notes
    )
