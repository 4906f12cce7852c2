"""Ledger rows as canonical request rows, so guarded traffic appears in `attribute` and its reports.

`costctl attribute ingest --ledger PATH_OR_URL` reads every settled request of the ledger as one canonical row
(costctl.logs.schema): the actual usage's tokens, the model used (`model_requested` when it fell back), user,
feature, team, `max_tokens`, the ledger's actual cost as `reported_cost_usd`, and as tags the guard's
`budget_decision` (allow / fallback), the worst case it reserved (`budget_reserved_usd`: the estimate, beside
the actual cost), `api_key`, and the request's own tags. The request id is the dedupe key, so re-ingesting
a ledger adds only what was settled since.

Rows that are not (yet) a billed request are counted as such, not loaded: open reservations (ingest again
once they are recorded or expired), reservations that expired without a usage (actual cost unknown), and
rejected requests (never sent).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.budget.ledger import Ledger, from_epoch_us, is_url, open_ledger
from costctl.logs.adapters._common import guess_provider
from costctl.logs.ingest import FilePlan
from costctl.logs.schema import COLUMN_NAMES

LEDGER_FORMAT = "costctl-ledger"
SKIP_REASONS = {
    "reserved": "budget reservation still open (ingest again once it is recorded or expired)",
    "expired": "budget reservation expired without a recorded usage (actual cost unknown)",
    "rejected": "rejected by the budget guard (never sent)",
}


@dataclass
class LedgerRead:
    """The shape of costctl.logs.adapters.LogRead: the format, lazy rows, and what was skipped."""

    format: str
    rows: Iterator[tuple[int, dict[str, Any]]]
    skipped: Counter[str] = field(default_factory=Counter)


def canonical_row(row: dict[str, Any], *, source: str, line: int) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
    tags = json.loads(row["tags"]) if row["tags"] else {}
    tags.update(budget_decision=row["decision"], budget_reserved_usd=row["reserved_usd"])
    if row["api_key"]:
        tags["api_key"] = row["api_key"]
    out.update(
        ts=from_epoch_us(int(row["ts_us"])),
        request_id=row["request_id"],
        provider=guess_provider(row["model"]),
        model=row["model"],
        model_requested=row["model_requested"] if row["model_requested"] != row["model"] else None,
        input_tokens=row["actual_input_tokens"],
        cached_input_tokens=row["cached_input_tokens"],
        cache_write_5m_tokens=row["cache_write_5m_tokens"],
        cache_write_1h_tokens=row["cache_write_1h_tokens"],
        output_tokens=row["output_tokens"],
        reasoning_tokens=row["reasoning_tokens"],
        reported_cost_usd=Decimal(row["actual_usd"]),
        user_id=row["user_id"],
        feature=row["feature"],
        team=row["team"],
        max_tokens=row["max_tokens"],
        status="ok",
        gateway_cache_hit=False,
        is_batch=False,
        tags={str(k): str(v) for k, v in tags.items()},
        source_format=LEDGER_FORMAT,
        source_file=source,
        source_line=line,
    )
    return out


def read_ledger(ledger: Ledger) -> LedgerRead:
    skipped: Counter[str] = Counter()

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for line, row in enumerate(ledger.rows(), 1):
                if row["state"] != "settled":
                    skipped[SKIP_REASONS[row["state"]]] += 1
                    continue
                yield line, canonical_row(row, source=ledger.location, line=line)
        finally:
            ledger.close()

    return LedgerRead(LEDGER_FORMAT, rows(), skipped)


def ledger_source(spec: str) -> FilePlan:
    """A plan for `ingest_files(sources=...)`: the ledger is opened now (so a wrong path fails before any
    write) and read inside the ingest's transaction."""
    ledger = open_ledger(spec, create=False)
    name = ledger.location if is_url(spec) else str(Path(spec).resolve())
    return FilePlan(Path(name), LEDGER_FORMAT, False, source=name, read=lambda: read_ledger(ledger))
