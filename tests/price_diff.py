"""Differential pricing against genai-prices' own `calc_price` (shared by tests/test_price_differential.py).

For every model that both costctl and genai-prices know, random usages (cache reads and writes, batch,
service tiers, dates in every price period) are priced by our one formula and by genai-prices; a difference
above 1e-9 USD is returned with the case that produced it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costctl.cost.price import price_usage
from costctl.errors import MissingPriceError
from costctl.models import ModelPrice, PricePeriod, Usage

# our provider name -> genai-prices provider id (None: genai-prices has no such provider)
GP_PROVIDER = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "vertex_ai": "google",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "cohere": "cohere",
    "groq": "groq",
    "together": "together",
    "fireworks": "fireworks",
    "bedrock": "aws",
    "azure": "azure",
    "openrouter": "openrouter",
}
HOST_PREFIXES = ("groq/", "together/", "fireworks/", "bedrock/", "azure/", "openrouter/", "vertex_ai/")
# genai-prices starts its batch and service-tier variants on the day it verified them
GP_VARIANTS_FROM = dt.date(2026, 10, 15)
TOLERANCE = Decimal("1e-9")


@dataclass(frozen=True)
class Case:
    model: str
    gp_model: str
    day: dt.date
    usage: Usage
    batch: bool
    tier: str | None

    @property
    def mode(self) -> str:
        return "batch" if self.batch else (self.tier or "standard")


@dataclass(frozen=True)
class Difference:
    case: Case
    ours: Decimal
    theirs: Decimal


def gp_model_for(model: ModelPrice) -> tuple[Any, Any] | None:
    """genai-prices' provider and model for one of ours, or None when genai-prices does not know it."""
    from genai_prices import data

    provider_id = GP_PROVIDER.get(model.provider)
    if provider_id is None:
        return None
    provider = next((p for p in data.providers if p.id == provider_id), None)
    if provider is None:
        return None
    for name in (model.id, *model.aliases):
        ref = name
        for prefix in HOST_PREFIXES:
            ref = ref.removeprefix(prefix)
        if "/" in ref and provider_id not in ("openrouter", "together", "fireworks", "groq"):
            continue
        found = provider.find_model(ref, all_providers=data.providers)
        if found is not None:
            return provider, found
    return None


def _days(period: PricePeriod) -> list[dt.date]:
    start = period.start or dt.date(2024, 6, 1)
    end = period.end or dt.date(2026, 12, 31)
    days = [start, start + (end - start) / 2, end - dt.timedelta(days=1)]
    if period.end is None:
        days.append(dt.date(2026, 11, 22))
    return sorted({d for d in days if d >= start})


def cases(model: ModelPrice, gp_id: str, rng: random.Random, per_period: int) -> Iterator[Case]:
    for period in model.periods:
        for day in _days(period):
            modes: list[tuple[bool, str | None]] = [(False, None)]
            if day >= GP_VARIANTS_FROM:
                if period.batch is not None:
                    modes.append((True, None))
                modes += [(False, t.name) for t in period.service_tiers]
            for batch, tier in modes:
                for _ in range(per_period):
                    card = period.standard
                    prompt = rng.choice([rng.randint(1, 5_000), rng.randint(5_000, 400_000)])
                    cached = (
                        rng.randint(0, prompt // 2)
                        if card.cache_read is not None and rng.random() < 0.6
                        else 0
                    )
                    w5 = w1 = 0
                    if card.cache_write_5m is not None and rng.random() < 0.5:
                        w5 = rng.randint(0, (prompt - cached) // 2)
                    if card.cache_write_1h is not None and rng.random() < 0.3:
                        w1 = rng.randint(0, (prompt - cached - w5) // 2)
                    output = rng.randint(0, 20_000) if model.kind != "embedding" else 0
                    usage = Usage(
                        input_tokens=prompt,
                        output_tokens=output,
                        cached_input_tokens=cached,
                        cache_write_5m_tokens=w5,
                        cache_write_1h_tokens=w1,
                        reasoning_tokens=rng.randint(0, output),
                    )
                    yield Case(model.id, gp_id, day, usage, batch, tier)


def theirs(provider: Any, gp_model: Any, case: Case) -> Decimal:
    from genai_prices import Usage as GpUsage

    u = case.usage
    usage = GpUsage(
        input_tokens=u.input_tokens,
        cache_read_tokens=u.cached_input_tokens,
        cache_write_tokens=u.cache_write_tokens,
        cache_write_5m_tokens=u.cache_write_5m_tokens,
        cache_write_1h_tokens=u.cache_write_1h_tokens,
        output_tokens=u.output_tokens,
    )
    context: dict[str, str] | None = None
    if case.batch:
        context = {"processing": "batch"}
    elif case.tier == "fast" and provider.id == "anthropic":
        context = {"speed": "fast"}
    elif case.tier:
        context = {"service_tier": case.tier}
    stamp = dt.datetime.combine(case.day, dt.time(12), tzinfo=dt.timezone.utc)
    result = gp_model.calc_price(usage, provider, genai_request_timestamp=stamp, price_context=context)
    return Decimal(result.total_price)


def compare(models: list[ModelPrice], *, seed: int, per_period: int) -> tuple[int, list[Difference], int]:
    """(cases compared, differences, models compared)."""
    rng = random.Random(seed)
    compared = 0
    diffs: list[Difference] = []
    seen = 0
    for model in models:
        pair = gp_model_for(model)
        if pair is None:
            continue
        provider, gp_model = pair
        seen += 1
        for case in cases(model, gp_model.id, rng, per_period):
            try:
                ours = price_usage(
                    model, case.usage, on=case.day, batch=case.batch, service_tier=case.tier
                ).total_usd
            except MissingPriceError:
                continue  # a rate we do not publish: reported as missing, never compared with a guess
            compared += 1
            gp_total = theirs(provider, gp_model, case)
            if abs(ours - gp_total) > TOLERANCE:
                diffs.append(Difference(case, ours, gp_total))
    return compared, diffs, seen
