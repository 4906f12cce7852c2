"""Price cards for the break-even models, always priced by the one formula (`costctl.cost.price`).

Overrides (a scenario's explicit price, `--api-price-per-mtok`) and fine-tuned inference become synthetic
`ModelPrice` values with one open-ended period, so they go through `price_usage` like any catalog price.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from costctl.cost.price import price_requests, price_usage, select_period
from costctl.errors import InputError, MissingPriceError
from costctl.models import ModelPrice, PriceCard, PricePeriod, Usage
from costctl.values import utc_today

MONTH_HOURS = Decimal(730)  # docs/breakeven.md#units: a month is 730 h
MONTH_SECONDS = Decimal(2_628_000)  # 730 h × 3600 s (docs/breakeven.md#units)


def single_card_model(base: ModelPrice | None, model_id: str, card: PriceCard, source: str) -> ModelPrice:
    """A model priced by `card` at any date (used for overrides and fine-tuned inference)."""
    period = PricePeriod(start=None, end=None, standard=card)
    if base is None:
        return ModelPrice(
            id=model_id,
            provider="user",
            display_name=model_id,
            aliases=(),
            tokenizer="approx:generic",
            context_window=None,
            max_output_tokens=None,
            periods=(period,),
            source_url=source,
            checked=utc_today(),
        )
    return dataclasses.replace(
        base, id=model_id, aliases=(), periods=(period,), source_url=source, fine_tuning=None
    )


def flat_price_model(usd_per_mtok: Decimal, source: str) -> ModelPrice:
    """`--api-price-per-mtok`: one price for input and output tokens."""
    if usd_per_mtok <= 0:
        raise InputError(f"--api-price-per-mtok: must be positive, got {usd_per_mtok}")
    card = PriceCard(input=usd_per_mtok, cache_read=usd_per_mtok, output=usd_per_mtok)
    return single_card_model(None, f"api@${usd_per_mtok}/Mtok", card, source)


def override_card(
    model: ModelPrice, on: dt.date | None, changes: dict[str, Decimal], source: str
) -> ModelPrice:
    """The model with some of its current rates replaced (the scenario states the value and its source)."""
    card = dataclasses.replace(select_period(model, on).standard, **changes)
    return single_card_model(model, model.id, card, source)


def fine_tuned_model(model: ModelPrice) -> ModelPrice:
    """Inference on a fine-tuned `model`, at the catalog's fine-tuned card (docs/breakeven.md#rag-vs-fine-tune-vs-long-context)."""
    if model.fine_tuning is None:
        raise MissingPriceError(f"model {model.id!r} has no published fine-tuning prices")
    return single_card_model(model, f"{model.id} (fine-tuned)", model.fine_tuning.inference, model.source_url)


def training_model(model: ModelPrice) -> ModelPrice:
    """Training tokens priced as 'input' of a synthetic card, so the one formula prices them too."""
    ft = model.fine_tuning
    if ft is None or ft.training_usd_per_mtok is None:
        raise MissingPriceError(f"model {model.id!r} has no published per-token training price")
    card = PriceCard(input=ft.training_usd_per_mtok)
    return single_card_model(model, f"{model.id} (training)", card, model.source_url)


def per_request_usd(model: ModelPrice, usage: Usage, on: dt.date | None) -> Decimal:
    return price_usage(model, usage, on=on).total_usd


def monthly_usd(model: ModelPrice, usage: Usage, requests: Decimal, on: dt.date | None) -> Decimal:
    """Cost of `requests` identical requests: `price_requests` when whole, else per-request × count
    (identical arithmetic; fractional counts only arise from token volumes that are not whole requests)."""
    if requests == requests.to_integral_value():
        return price_requests(model, usage, int(requests), on=on).total_usd
    return per_request_usd(model, usage, on) * requests


def to_decimal_physics(value: float, digits: int = 6) -> Decimal:
    """Physics floats meet money here: rounded to `digits` significant figures (a relative error below
    5e-7, far inside the 5 % tolerance of the throughput model), so Decimal arithmetic after is exact."""
    return Decimal(f"{value:.{digits}g}")
