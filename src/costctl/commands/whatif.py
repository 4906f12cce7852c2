"""What-if levers on a workload: each lever alone and all together, ranked by monthly saving.

The levers follow the optimisation order practitioners recommend (max tokens first, then routing,
caching, compression): cap output at a value, route a share of every component to a cheaper model, prompt
caching at a hit rate (each model's minimum cacheable prefix and cache-write premium respected, see
`workload.cacheable_prefix`), batch share, and compressing the system prompt by a percent.

A lever never makes a component worse than it already is: a hit rate or batch share already above the
lever's is kept, an output already below the cap is kept. A lever whose price is not published (e.g. no
batch rate) is shown as not applicable rather than priced at $0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from costctl.commands.workload import Component, FanOut, Workload, project_workload
from costctl.errors import InputError
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table

DEFAULT_OUTPUT_CAP_SHARE = Decimal("0.75")  # without --cap-output: max tokens 25 % below today's output
DEFAULT_CACHE_HIT_RATE = Decimal("0.5")
DEFAULT_BATCH_SHARE = Decimal("0.5")
DEFAULT_COMPRESS_PCT = Decimal(20)
DEFAULT_ROUTE_SHARE = Decimal("0.5")


@dataclass(frozen=True)
class Levers:
    cap_output_tokens: int | None = None  # None: 75 % of each component's output
    route_to: str | None = None  # routing is skipped without a target model
    route_share: Decimal = DEFAULT_ROUTE_SHARE
    cache_hit_rate: Decimal = DEFAULT_CACHE_HIT_RATE
    batch_share: Decimal = DEFAULT_BATCH_SHARE
    compress_pct: Decimal = DEFAULT_COMPRESS_PCT

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], source: str) -> Levers:
        """The workload's `what_if:` section (same names as the fields)."""
        allowed = set(cls.__dataclass_fields__)
        unknown = sorted(k for k in raw if k not in allowed)
        if unknown:
            raise InputError(
                f"what_if: unknown field {unknown[0]!r} (known: {', '.join(sorted(allowed))})", where=source
            )
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "route_to":
                values[key] = str(value)
            elif key == "cap_output_tokens":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise InputError(
                        f"what_if: field 'cap_output_tokens' must be a whole number, got {value!r}",
                        where=source,
                    )
                values[key] = value
            else:
                try:
                    number = Decimal(str(value))
                except Exception:
                    raise InputError(
                        f"what_if: field {key!r} must be a number, got {value!r}", where=source
                    ) from None
                limit = Decimal(100) if key == "compress_pct" else Decimal(1)
                if isinstance(value, bool) or not ZERO <= number <= limit:
                    raise InputError(
                        f"what_if: field {key!r} must be between 0 and {limit}, got {value!r}", where=source
                    )
                values[key] = number
        return cls(**values)


def _cap(levers: Levers) -> Callable[[Component], Component]:
    def apply(c: Component) -> Component:
        cap = levers.cap_output_tokens
        if cap is None:
            cap = int(Decimal(c.output_tokens) * DEFAULT_OUTPUT_CAP_SHARE)
        fan = c.fan_out
        if fan is not None:
            fan = FanOut(fan.agents, fan.context_tokens, min(fan.output_tokens, cap))
        return replace(c, output_tokens=min(c.output_tokens, cap), fan_out=fan)

    return apply


def _route(levers: Levers) -> Callable[[Component], Component]:
    return lambda c: replace(c, route_model=levers.route_to, route_share=levers.route_share)


def _cache(levers: Levers) -> Callable[[Component], Component]:
    return lambda c: replace(c, cache_hit_rate=max(c.cache_hit_rate, levers.cache_hit_rate))


def _batch(levers: Levers) -> Callable[[Component], Component]:
    return lambda c: replace(c, batch_share=max(c.batch_share, levers.batch_share))


def _compress(levers: Levers) -> Callable[[Component], Component]:
    return lambda c: replace(c, compress_pct=levers.compress_pct)


def _apply(workload: Workload, *changes: Callable[[Component], Component]) -> Workload:
    comps = []
    for c in workload.components:
        for change in changes:
            c = change(c)
        comps.append(c)
    return replace(workload, components=tuple(comps))


def lever_list(levers: Levers) -> list[tuple[str, str, Callable[[Component], Component]]]:
    cap = (
        f"at {levers.cap_output_tokens} tokens"
        if levers.cap_output_tokens is not None
        else "25 % below today"
    )
    found = [("cap_output", f"cap output (max tokens) {cap}", _cap(levers))]
    if levers.route_to:
        found.append(
            ("route", f"route {levers.route_share * 100:.0f} % to {levers.route_to}", _route(levers))
        )
    found.append(
        ("cache", f"prompt caching at a {levers.cache_hit_rate * 100:.0f} % hit rate", _cache(levers))
    )
    found.append(("batch", f"send {levers.batch_share * 100:.0f} % through the batch API", _batch(levers)))
    found.append(
        ("compress", f"compress the system prompt by {levers.compress_pct:.0f} %", _compress(levers))
    )
    return found


def what_if(catalog: Catalog, workload: Workload, levers: Levers, *, on: dt.date) -> Report:
    """Each lever alone and combined: new monthly cost and saving, ranked by saving."""
    if levers.route_to:
        catalog.get(levers.route_to, where="--route-to")
    base = project_workload(catalog, workload, on=on, strict=False)
    if not base.complete:
        from costctl.errors import MissingPriceError

        raise MissingPriceError(
            "the current workload cannot be priced completely: "
            + "; ".join(u for c in base.components for u in c.unpriced)
        )
    current = base.monthly_cost_usd
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    levers_found = lever_list(levers)
    variants = [(key, label, [change]) for key, label, change in levers_found]
    variants.append(("combined", "all levers together", [change for _, _, change in levers_found]))
    for key, label, changes in variants:
        projection = project_workload(catalog, _apply(workload, *changes), on=on, strict=False)
        row: dict[str, Any] = {"lever": key, "description": label}
        if projection.complete:
            new = projection.monthly_cost_usd
            row.update(
                monthly_cost_usd=new,
                saving_usd=current - new,
                saving_pct=((current - new) / current * 100) if current else ZERO,
                applicable=True,
            )
        else:
            row.update(monthly_cost_usd=None, saving_usd=None, saving_pct=None, applicable=False)
            notes.append(
                f"{key}: not applicable, " + "; ".join(u for c in projection.components for u in c.unpriced)
            )
        notes.extend(n for c in projection.components for n in c.notes if n not in notes and key == "cache")
        rows.append(row)
    singles = sorted(
        (r for r in rows if r["lever"] != "combined"),
        key=lambda r: (not r["applicable"], -(r["saving_usd"] or ZERO), r["lever"]),
    )
    ranked = singles + [r for r in rows if r["lever"] == "combined"]
    for rank, row in enumerate(ranked, 1):
        row["rank"] = rank if row["lever"] != "combined" else None
    return Report(
        command="estimate",
        title=f"What-if levers (current ${current:,.2f}/month)",
        data={"priced_on": on, "monthly_cost_usd": current, "levers": ranked},
        tables=[
            Table(
                columns=[
                    Column("rank", "#", "int"),
                    Column("description", "Lever"),
                    Column("monthly_cost_usd", "New monthly", "usd"),
                    Column("saving_usd", "Saving", "usd"),
                    Column("saving_pct", "Saving %", "percent"),
                ],
                rows=ranked,
            )
        ],
        notes=notes,
    )
