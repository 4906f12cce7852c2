"""`costctl attribute`: the commands behind `costctl attribute ingest|report|reconcile|rejects|export`.

Split by job, one module each; this module names them in one place for callers:
- `priced_rollup`: the priced-rollup core (rates table, engine-priced groups, rows and totals);
- `attribute_analytics`: month totals, daily series, month-over-month, anomalies, budgets, estimate vs actual;
- `attribute_report`: the report and its sections;
- `reconcile`: reported vs recomputed cost;
- `store_summaries`: ingest and reject summaries read from the store;
- `attribute_export`: Parquet and FOCUS exports.
"""

from __future__ import annotations

from costctl.commands.attribute_analytics import (
    budgets_burn,
    daily_series,
    estimate_vs_actual,
    find_anomalies,
    mom,
    month_of,
    month_totals,
    segments,
)
from costctl.commands.attribute_export import (
    FOCUS_COLUMNS,
    export_parquet,
    focus_report,
)
from costctl.commands.attribute_report import (
    CHARGEBACK_COLUMNS,
    REPORT_COLUMNS_TAIL,
    UNPRICED_COLUMNS,
    ReportOptions,
    allocate_shared,
    attribute_report,
)
from costctl.commands.priced_rollup import (
    PricedGroup,
    RollupResult,
    Totals,
    build_rows,
    costly_users,
    engine_breakdown,
    key_of,
    price_group,
    resolve_models,
    rollup,
    usage_of,
)
from costctl.commands.reconcile import (
    likely_cause,
    reconcile_report,
)
from costctl.commands.store_summaries import (
    ingest_report,
    rejects_report,
)

__all__ = [
    "CHARGEBACK_COLUMNS",
    "FOCUS_COLUMNS",
    "PricedGroup",
    "REPORT_COLUMNS_TAIL",
    "ReportOptions",
    "RollupResult",
    "Totals",
    "UNPRICED_COLUMNS",
    "allocate_shared",
    "attribute_report",
    "budgets_burn",
    "build_rows",
    "costly_users",
    "daily_series",
    "engine_breakdown",
    "estimate_vs_actual",
    "export_parquet",
    "find_anomalies",
    "focus_report",
    "ingest_report",
    "key_of",
    "likely_cause",
    "mom",
    "month_of",
    "month_totals",
    "price_group",
    "reconcile_report",
    "rejects_report",
    "resolve_models",
    "rollup",
    "segments",
    "usage_of",
]
