"""The priced-rollup core: grouped token sums from an engine, priced, as rows and totals.

One place decides how a group is priced: `resolve_models` builds the rates table (`costctl.cost.rates`: every
price period, batch card and long-context step of each model the rows name) once per rollup; the engine joins
each request to its rate row and prices each group in exact DECIMAL arithmetic; `price_group` turns that into
the `CostBreakdown` the one formula (`costctl.cost.price`) returns, or asks the formula itself when the engine
could not price the group (which then says why). `attribute report`, reconcile, exports, `costctl report` and
the Spark engine all go through `rollup`.

Cost semantics (README `## costctl attribute`):
- a row whose model is unknown, or a known model without a needed price (e.g. no batch rate), is unpriced:
  its requests and tokens are counted in `unpriced_*`, never as $0;
- a gateway response-cache hit (`gateway_cache_hit`) made no provider call and costs $0 from the provider
  (docs/log-formats.md); its tokens are still counted;
- a row tagged `aggregated_requests=N` (usage exports) counts as N requests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costctl.cost.price import assemble, price_step_group
from costctl.cost.rates import COMPONENTS, RateRow, RateTable, formula_form, formula_form_nonzero
from costctl.errors import MissingPriceError
from costctl.models import ZERO, CostBreakdown, ModelPrice, Usage
from costctl.pricing.catalog import Catalog
from costctl.rollup import analysis
from costctl.rollup.engine import Engine
from costctl.rollup.spec import GroupRow, RollupSpec, bucket_start


def resolve_models(
    catalog: Catalog, raw_names: Iterable[str]
) -> tuple[dict[str, ModelPrice | None], RateTable]:
    """Raw model names -> catalog models (None = unknown), and the rates table the engine prices groups with:
    built once per rollup from the catalog (every period, batch card and long-context step of each model)."""
    resolved = {raw: catalog.find(raw) for raw in raw_names}
    return resolved, RateTable.build(resolved.items())


@dataclass(frozen=True)
class PricedGroup:
    group: GroupRow
    model_id: str  # catalog id, or the raw name when unknown
    provider: str | None
    cost: CostBreakdown | None  # None = unpriced
    unpriced_reason: str | None = None

    @property
    def cost_usd(self) -> Decimal | None:
        return self.cost.total_usd if self.cost is not None else None

    def dim(self, name: str) -> str | None:
        if name == "model":
            return self.model_id
        if name == "provider":
            return self.group.dims.get("provider") or self.provider
        return self.group.dims.get(name)


def usage_of(g: GroupRow) -> Usage:
    return Usage(
        input_tokens=g.input_tokens,
        output_tokens=g.output_tokens,
        cached_input_tokens=g.cached_input_tokens,
        cache_write_5m_tokens=g.cache_write_5m_tokens,
        cache_write_1h_tokens=g.cache_write_1h_tokens,
        reasoning_tokens=g.reasoning_tokens,
    )


def price_group(
    model: ModelPrice | None, g: GroupRow, rates: dict[int, RateRow] | None = None
) -> PricedGroup:
    """A group's cost: the engine's exact amounts when it priced the group, else the one formula in Python
    (which also says why a group cannot be priced)."""
    if model is None:
        return PricedGroup(g, g.raw_model, None, None, f"unknown model {g.raw_model!r}")
    if g.gateway_cache_hit:
        zero = CostBreakdown(model.id, ZERO, ZERO, ZERO, ZERO, batch=g.is_batch, priced_on=g.day)
        return PricedGroup(g, model.id, model.provider, zero)
    rate = rates.get(g.rate_id) if rates is not None and g.rate_id is not None else None
    if rate is not None and g.component_usd is not None:
        return PricedGroup(g, model.id, model.provider, engine_breakdown(model.id, g, rate, g.component_usd))
    # no rate row matched (no price on that day), or its card lacks a rate: the formula prices it or says why
    above = rate.prompt_above if rate is not None else -1
    try:
        cost = price_step_group(model, usage_of(g), prompt_above=above, on=g.day, batch=g.is_batch)
    except MissingPriceError as exc:
        return PricedGroup(g, model.id, model.provider, None, exc.message)
    return PricedGroup(g, model.id, model.provider, cost)


def engine_breakdown(
    model_id: str, g: GroupRow, rate: RateRow, amounts: tuple[Decimal, ...]
) -> CostBreakdown:
    """The engine's component amounts as the `CostBreakdown` the formula returns (same values, same digits)."""
    exact = [
        formula_form_nonzero(amount, quantum) if amount else formula_form(amount, comp.tokens(g), exponent)
        for comp, amount, exponent, quantum in zip(
            COMPONENTS, amounts, rate.exponents, rate.quanta, strict=True
        )
    ]
    return assemble(model_id, exact, long_context=rate.long_context, batch=g.is_batch, on=g.day)


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = ZERO
    unpriced_requests: int = 0
    unpriced_input_tokens: int = 0
    unpriced_output_tokens: int = 0
    reported_cost_usd: Decimal = ZERO
    reported_requests: int = 0
    priced_requests: int = 0

    def add(self, p: PricedGroup) -> None:
        g = p.group
        self.requests += g.requests
        self.input_tokens += g.input_tokens
        self.cached_input_tokens += g.cached_input_tokens
        self.cache_write_tokens += g.cache_write_5m_tokens + g.cache_write_1h_tokens
        self.output_tokens += g.output_tokens
        self.reasoning_tokens += g.reasoning_tokens
        if g.reported_cost_usd is not None:
            self.reported_cost_usd += g.reported_cost_usd
        self.reported_requests += g.reported_requests
        if p.cost is None:
            self.unpriced_requests += g.requests
            self.unpriced_input_tokens += g.input_tokens
            self.unpriced_output_tokens += g.output_tokens
        else:
            self.cost_usd += p.cost.total_usd
            self.priced_requests += g.requests

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def fields(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            # a group with nothing priced has no cost (None), never a silent $0
            "cost_usd": self.cost_usd if self.priced_requests or not self.unpriced_requests else None,
            "unpriced_requests": self.unpriced_requests,
            "unpriced_input_tokens": self.unpriced_input_tokens,
            "unpriced_output_tokens": self.unpriced_output_tokens,
            "cost_per_request_usd": analysis.per(self.cost_usd, self.priced_requests),
        }


_DAY_IN_REASON = re.compile(r"no price on \d{4}-\d{2}-\d{2}")


@dataclass
class RollupResult:
    spec: RollupSpec
    groups: list[PricedGroup]
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)

    @property
    def unpriced(self) -> list[dict[str, Any]]:
        """Unpriced volume by raw model and reason (never hidden, never $0)."""
        acc: dict[tuple[str, str], Totals] = defaultdict(Totals)
        for p in self.groups:
            if p.cost is None:
                # "no price on 2026-02-01", "...02-02", ...: one line per model and cause, not per day
                reason = _DAY_IN_REASON.sub("no price on those days", p.unpriced_reason or "")
                acc[(p.group.raw_model, reason)].add(p)
        return [
            {
                "model": model,
                "reason": reason,
                "requests": t.requests,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
            }
            for (model, reason), t in sorted(acc.items())
        ]


def key_of(p: PricedGroup, spec: RollupSpec) -> tuple[Any, ...]:
    period = bucket_start(p.group.day, spec.grain)
    return (period, *(p.dim(d) for d in spec.dimensions))


def build_rows(groups: list[PricedGroup], spec: RollupSpec) -> tuple[list[dict[str, Any]], Totals]:
    acc: dict[tuple[Any, ...], Totals] = defaultdict(Totals)
    total = Totals()
    for p in groups:
        acc[key_of(p, spec)].add(p)
        total.add(p)
    rows = []
    for key, t in acc.items():
        row: dict[str, Any] = {}
        if spec.grain != "all":
            row["period"] = key[0]
        row.update(dict(zip(spec.dimensions, key[1:], strict=False)))
        row.update(t.fields())
        row["share"] = analysis.share(t.cost_usd, total.cost_usd) if row["cost_usd"] is not None else None
        rows.append(row)
    rows.sort(
        key=lambda r: (
            str(r.get("period") or ""),
            -(r["cost_usd"] or ZERO),
            [str(r.get(d)) for d in spec.dimensions],
        )
    )
    return rows, total


def rollup(catalog: Catalog, engine: Engine, spec: RollupSpec) -> RollupResult:
    """Run `spec` on `engine`, price each group with the one formula, and aggregate to the requested keys."""
    resolved, rates = resolve_models(catalog, engine.distinct_models(spec))
    by_id = rates.by_id()
    groups = [price_group(resolved.get(g.raw_model), g, by_id) for g in engine.grouped(spec, rates)]
    rows, total = build_rows(groups, spec)
    return RollupResult(spec, groups, rows, total)


def costly_users(catalog: Catalog, engine: Engine, spec: RollupSpec, above: Decimal) -> dict[dt.date, int]:
    """Per month, the users whose priced cost that month exceeds `above` (unpriced requests add nothing)."""
    resolved, rates = resolve_models(catalog, engine.distinct_models(spec))
    if rates.exact_in_sql:
        return engine.costly_users(spec, rates, above)
    # a rate SQL cannot hold exactly: price user-month groups with the Python formula instead
    by_user = rollup(catalog, engine, spec.with_dims("user", grain="month"))
    out: dict[dt.date, int] = defaultdict(int)
    for r in by_user.rows:
        if r.get("user") is not None and (r["cost_usd"] or ZERO) > above:
            out[r["period"]] += 1
    return dict(out)
