"""The one formula that turns a usage into dollars. Every command calls `price_usage`; there is no other copy.

Which tokens each rate applies to and which card a request takes are defined once in `costctl.cost.rates`;
this module evaluates them in Python, and the rollup engines render the same definitions as SQL.

Semantics (docs/pricing.md):
- `Usage` is inclusive: uncached input = input - cached reads - cache writes; each part at its own rate.
- Reasoning is part of output and billed at the output rate.
- Long-context tier: strict `>` on the whole prompt (cached and written tokens included); once crossed,
  every token of the request, output included, takes the tier rate (docs/pricing.md#long-context-tier).
- Batch: the period's batch card (or the tier's batch card); what batch does to cached reads is written
  explicitly in each table, never implied (docs/pricing.md#batch-prices).
- The price in force on the request's date (docs/pricing.md#price-history).
A rate the usage needs but the table does not publish raises `MissingPriceError` (exit 3), never $0.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from costctl.cost.rates import BREAKDOWN_PARTS, COMPONENTS, component_usd, select_card, step_for, tier_steps
from costctl.errors import MissingPriceError
from costctl.models import ZERO, CostBreakdown, LongContextTier, ModelPrice, PricePeriod, Usage
from costctl.values import utc_today


def select_period(model: ModelPrice, on: dt.date | None) -> PricePeriod:
    day = on or utc_today()
    period = model.period_at(day)
    if period is None:
        first = model.periods[0].start
        raise MissingPriceError(
            f"model {model.id!r} has no price on {day.isoformat()}"
            + (f" (prices start {first.isoformat()})" if first else "")
        )
    return period


def crosses_tier(period: PricePeriod, prompt_tokens: int) -> bool:
    """Strict `>` on the whole prompt, cached and written tokens included (docs/pricing.md)."""
    return step_for(period, prompt_tokens) is not None


def _breakdown(
    model: ModelPrice,
    period: PricePeriod,
    usage: Usage,
    *,
    tier: LongContextTier | None,
    batch: bool,
    on: dt.date | None,
) -> CostBreakdown:
    card = select_card(model, period, tier=tier, batch=batch)
    amounts = [component_usd(model, card, comp, comp.tokens(usage), batch) for comp in COMPONENTS]
    return assemble(model.id, amounts, long_context=tier is not None, batch=batch, on=on)


def assemble(
    model_id: str, amounts: list[Decimal], *, long_context: bool, batch: bool, on: dt.date | None
) -> CostBreakdown:
    """Component amounts (in `COMPONENTS` order) summed into the `CostBreakdown` parts they belong to."""
    parts = dict.fromkeys(BREAKDOWN_PARTS, ZERO)
    for comp, amount in zip(COMPONENTS, amounts, strict=True):
        parts[comp.part] += amount
    return CostBreakdown(
        model_id=model_id,
        input_usd=parts["input_usd"],
        cached_input_usd=parts["cached_input_usd"],
        cache_write_usd=parts["cache_write_usd"],
        output_usd=parts["output_usd"],
        long_context_applied=long_context,
        batch=batch,
        priced_on=on,
    )


def price_usage(
    model: ModelPrice, usage: Usage, *, on: dt.date | None = None, batch: bool = False
) -> CostBreakdown:
    """Price one request's usage."""
    period = select_period(model, on)
    return _breakdown(model, period, usage, tier=step_for(period, usage.input_tokens), batch=batch, on=on)


def price_requests(
    model: ModelPrice,
    per_request: Usage,
    requests: int,
    *,
    on: dt.date | None = None,
    batch: bool = False,
) -> CostBreakdown:
    """Price `requests` identical requests. The tier is decided per request, then scaled, so a volume
    never crosses a long-context threshold that a single request does not."""
    period = select_period(model, on)
    tier = step_for(period, per_request.input_tokens)
    return _breakdown(model, period, per_request.scaled(requests), tier=tier, batch=batch, on=on)


def price_step_group(
    model: ModelPrice,
    summed: Usage,
    *,
    prompt_above: int,
    on: dt.date | None = None,
    batch: bool = False,
) -> CostBreakdown:
    """Price a sum of many requests that all took the same long-context step of the period in force on `on`:
    the step an engine matched them to (`costctl.cost.rates.RateRow.prompt_above`: that step's threshold, or
    -1 for the base card). Aggregating first and pricing after is exact, whatever the number of steps."""
    period = select_period(model, on)
    return _breakdown(model, period, summed, tier=step_for(period, prompt_above + 1), batch=batch, on=on)


def price_tier_group(
    model: ModelPrice,
    summed: Usage,
    *,
    crossed_tier: bool,
    on: dt.date | None = None,
    batch: bool = False,
) -> CostBreakdown:
    """Price a sum of many requests that an engine grouped by (model, day, batch, tier crossed).

    The grouping engine decides per request whether the tier was crossed (it knows each request's prompt
    size, see `tier_threshold`); this applies the matching card, so aggregating first and pricing after is
    exact.
    """
    period = select_period(model, on)
    steps = tier_steps(period)
    tier = steps[-1][1] if crossed_tier and steps else None
    return _breakdown(model, period, summed, tier=tier, batch=batch, on=on)
