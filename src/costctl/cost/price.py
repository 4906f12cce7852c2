"""The one formula that turns a usage into dollars. Every command calls `price_usage`; there is no other copy.

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

from costctl.errors import MissingPriceError
from costctl.models import MTOK, ZERO, CostBreakdown, ModelPrice, PriceCard, PriceKind, PricePeriod, Usage
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


def select_card(model: ModelPrice, period: PricePeriod, *, crossed: bool, batch: bool) -> PriceCard:
    """The price card for a request: standard or batch, base or long-context tier."""
    tier = period.long_context if crossed else None
    if tier is not None:
        card = tier.batch if batch else tier.standard
    else:
        card = period.batch if batch else period.standard
    if card is None:
        raise MissingPriceError(
            f"model {model.id!r} has no published batch price"
            + (" for its long-context tier" if tier is not None else "")
        )
    return card


def crosses_tier(period: PricePeriod, prompt_tokens: int) -> bool:
    """Strict `>` on the whole prompt, cached and written tokens included (docs/pricing.md#long-context-tier)."""
    return period.long_context is not None and prompt_tokens > period.long_context.threshold_tokens


def _cost(model: ModelPrice, card: PriceCard, kind: PriceKind, tokens: int, batch: bool) -> Decimal:
    if tokens == 0:
        return ZERO
    rate = card.rate(kind)
    if rate is None:
        mode = "batch " if batch else ""
        raise MissingPriceError(f"model {model.id!r} has no published {mode}{kind.value} price")
    return Decimal(tokens) * rate / MTOK


def _breakdown(
    model: ModelPrice, period: PricePeriod, usage: Usage, *, crossed: bool, batch: bool, on: dt.date | None
) -> CostBreakdown:
    card = select_card(model, period, crossed=crossed, batch=batch)
    return CostBreakdown(
        model_id=model.id,
        input_usd=_cost(model, card, PriceKind.INPUT, usage.uncached_input_tokens, batch),
        cached_input_usd=_cost(model, card, PriceKind.CACHE_READ, usage.cached_input_tokens, batch),
        cache_write_usd=_cost(model, card, PriceKind.CACHE_WRITE_5M, usage.cache_write_5m_tokens, batch)
        + _cost(model, card, PriceKind.CACHE_WRITE_1H, usage.cache_write_1h_tokens, batch),
        output_usd=_cost(model, card, PriceKind.OUTPUT, usage.output_tokens, batch),
        long_context_applied=crossed and period.long_context is not None,
        batch=batch,
        priced_on=on,
    )


def price_usage(
    model: ModelPrice, usage: Usage, *, on: dt.date | None = None, batch: bool = False
) -> CostBreakdown:
    """Price one request's usage."""
    period = select_period(model, on)
    return _breakdown(
        model, period, usage, crossed=crosses_tier(period, usage.input_tokens), batch=batch, on=on
    )


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
    crossed = crosses_tier(period, per_request.input_tokens)
    return _breakdown(model, period, per_request.scaled(requests), crossed=crossed, batch=batch, on=on)


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
    return _breakdown(model, period, summed, crossed=crossed_tier, batch=batch, on=on)
