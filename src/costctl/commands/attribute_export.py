"""`costctl attribute export`: the canonical table as Parquet, or FOCUS-style cost rows from the priced rollup."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from costctl.commands.attribute_analytics import month_of
from costctl.commands.priced_rollup import (
    rollup,
)
from costctl.errors import InputError
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table
from costctl.rollup.engine import Engine
from costctl.rollup.spec import RollupSpec


def export_parquet(con: Any, directory: Path) -> Report:
    """The canonical table as Parquet, hive-partitioned by month=YYYY-MM (for Spark or a data lake)."""
    target = directory.expanduser()
    if target.exists() and any(target.iterdir()):
        raise InputError("directory is not empty, expected a new or empty directory", where=str(directory))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    con.execute(
        "COPY (SELECT *, strftime(ts, '%Y-%m') AS month FROM requests) TO ? (FORMAT parquet, PARTITION_BY (month))",
        [str(tmp)],
    )
    if target.exists():
        target.rmdir()
    tmp.rename(target)
    counts = [
        {"month": r[0], "rows": int(r[1])}
        for r in con.execute(
            "SELECT strftime(ts, '%Y-%m'), count(*) FROM requests GROUP BY 1 ORDER BY 1"
        ).fetchall()
    ]
    return Report(
        "attribute export",
        {"to": "parquet", "directory": str(target), "partitions": counts},
        [Table([Column("month", "month="), Column("rows", "Rows", "int")], counts, title=f"Wrote {target}")],
    )


FOCUS_COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "BillingAccountId",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "ProviderName",
    "PublisherName",
    "ServiceProviderName",
    "ResourceId",
    "SkuId",
    "SkuPriceId",
    "SkuMeter",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingUnit",
    "Tags",
    "x_CostSource",
    "x_UnknownPrice",
    "x_Batch",
    "x_LongContext",
]


_METERS = (
    ("input", "Input Tokens"),
    ("cached_input", "Cache Read Tokens"),
    ("cache_write", "Cache Write Tokens"),
    ("output", "Output Tokens"),
)


def focus_report(
    catalog: Catalog, engine: Engine, spec: RollupSpec, billing_account: str = "costctl-local"
) -> Report:
    """FOCUS-style rows (docs/report.md): one per day x model x tags x token meter.
    Costs are costctl's recomputation at list price (x_CostSource=observed-recomputed), never $0 for an
    unknown price (x_UnknownPrice=true, costs empty)."""
    dims = ("model", "provider", "feature", "team", "environment")
    result = rollup(catalog, engine, RollupSpec(dims, "day", spec.since, spec.until, spec.where))
    rows = []
    for p in sorted(result.groups, key=lambda p: (p.group.day, p.model_id, str(p.group.dims))):
        g = p.group
        day = g.day
        start = dt.datetime.combine(day, dt.time()).isoformat() + "Z"
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).isoformat() + "Z"
        month = month_of(day)
        month_end = month_of(month + dt.timedelta(days=32))
        provider = p.dim("provider") or "unknown"
        tags = {
            k: v
            for k, v in (
                ("feature", p.dim("feature")),
                ("team", p.dim("team")),
                ("environment", p.dim("environment")),
            )
            if v
        }
        quantities = {
            "input": g.input_tokens
            - g.cached_input_tokens
            - g.cache_write_5m_tokens
            - g.cache_write_1h_tokens,
            "cached_input": g.cached_input_tokens,
            "cache_write": g.cache_write_5m_tokens + g.cache_write_1h_tokens,
            "output": g.output_tokens,
        }
        for meter, label in _METERS:
            qty = quantities[meter]
            if qty == 0:
                continue
            cost = getattr(p.cost, f"{meter}_usd") if p.cost is not None else None
            rows.append(
                {
                    "BilledCost": cost,
                    "EffectiveCost": cost,
                    "ListCost": cost,
                    "ContractedCost": cost,
                    "BillingCurrency": "USD",
                    "BillingAccountId": billing_account,
                    "BillingPeriodStart": f"{month.isoformat()}T00:00:00Z",
                    "BillingPeriodEnd": f"{month_end.isoformat()}T00:00:00Z",
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": end,
                    "ChargeCategory": "Usage",
                    "ChargeDescription": f"{p.model_id} {label.lower()}",
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceSubcategory": "Generative AI",
                    "ServiceName": f"{provider} API",
                    "ProviderName": provider,
                    "PublisherName": provider,
                    "ServiceProviderName": provider,
                    "ResourceId": p.model_id,
                    "SkuId": p.model_id,
                    "SkuPriceId": f"{p.model_id}:{meter}"
                    + (":long_context" if g.tier_crossed else "")
                    + (":batch" if g.is_batch else ""),
                    "SkuMeter": label,
                    "ConsumedQuantity": qty,
                    "ConsumedUnit": "Tokens",
                    "PricingUnit": "1000000 Tokens",
                    "Tags": json.dumps(tags, sort_keys=True, ensure_ascii=False),
                    "x_CostSource": "observed-recomputed",
                    "x_UnknownPrice": p.cost is None,
                    "x_Batch": g.is_batch,
                    "x_LongContext": g.tier_crossed,
                }
            )
    kinds = {
        "BilledCost": "usd",
        "EffectiveCost": "usd",
        "ListCost": "usd",
        "ContractedCost": "usd",
        "ConsumedQuantity": "int",
    }
    cols = [Column(c, c, kinds.get(c, "text")) for c in FOCUS_COLUMNS]
    return Report(
        "attribute export", {"to": "focus", "focus_version": "1.2", "rows": rows}, [Table(cols, rows)]
    )
