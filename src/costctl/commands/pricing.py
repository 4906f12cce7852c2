"""`costctl pricing`: list, show, validate and check the price tables against a peer dataset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.errors import InputError
from costctl.models import MTOK, ModelPrice, PriceCard, PricePeriod
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table

CARD_FIELDS = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output")


def _card_dict(prefix: str, card: PriceCard | None) -> dict[str, Any]:
    if card is None:
        return {}
    return {
        f"{prefix}{f}_usd_per_mtok": card.rate_by_name(f)
        for f in CARD_FIELDS
        if card.rate_by_name(f) is not None
    }


def period_dict(period: PricePeriod) -> dict[str, Any]:
    data: dict[str, Any] = {"from": period.start, "to": period.end, **_card_dict("", period.standard)}
    if period.batch:
        data["batch"] = _card_dict("", period.batch)
    if period.long_context:
        tier = period.long_context
        data["long_context"] = {"threshold_tokens": tier.threshold_tokens, **_card_dict("", tier.standard)}
        if tier.batch:
            data["long_context"]["batch"] = _card_dict("", tier.batch)
    return data


def model_dict(model: ModelPrice, on: dt.date) -> dict[str, Any]:
    period = model.period_at(on)
    data: dict[str, Any] = {
        "id": model.id,
        "provider": model.provider,
        "display_name": model.display_name,
        "kind": model.kind,
        "aliases": list(model.aliases),
        "tokenizer": model.tokenizer,
        "token_count": "exact" if model.tokenizer_is_exact else "approximate",
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        "min_cacheable_tokens": model.min_cacheable_tokens,
        "source_url": model.source_url,
        "checked": model.checked,
        "current": period_dict(period) if period else None,
        "history": [period_dict(p) for p in model.periods],
    }
    if model.fine_tuning:
        ft = model.fine_tuning
        data["fine_tuning"] = {
            "training_usd_per_mtok": ft.training_usd_per_mtok,
            **_card_dict("inference_", ft.inference),
        }
    return data


LIST_COLUMNS = [
    Column("id", "Model"),
    Column("provider", "Provider"),
    Column("input_usd_per_mtok", "Input $/M", "usd"),
    Column("cache_read_usd_per_mtok", "Cached $/M", "usd"),
    Column("output_usd_per_mtok", "Output $/M", "usd"),
    Column("batch", "Batch"),
    Column("long_context_threshold", "Long ctx >", "int"),
    Column("context_window", "Context", "int"),
    Column("token_count", "Tokens"),
    Column("checked", "Checked"),
]


def list_models(catalog: Catalog, *, on: dt.date, provider: str | None = None) -> Report:
    providers = sorted({m.provider for m in catalog})
    provider = provider.strip().lower() if provider else None
    if provider and provider not in providers:
        from costctl.errors import did_you_mean

        raise InputError(
            f"--provider: unknown provider {provider!r}{did_you_mean(provider, providers)}; "
            f"expected one of {', '.join(providers)}"
        )
    rows = []
    for model in catalog:
        if provider and model.provider != provider:
            continue
        period = model.period_at(on)
        if period is None:
            continue
        rows.append(
            {
                "id": model.id,
                "provider": model.provider,
                "kind": model.kind,
                "input_usd_per_mtok": period.standard.input,
                "cache_read_usd_per_mtok": period.standard.cache_read,
                "output_usd_per_mtok": period.standard.output,
                "batch": period.batch is not None,
                "long_context_threshold": period.long_context.threshold_tokens
                if period.long_context
                else None,
                "context_window": model.context_window,
                "token_count": "exact" if model.tokenizer_is_exact else "approximate",
                "checked": model.checked.isoformat(),
            }
        )
    rows.sort(key=lambda r: (r["provider"], r["id"]))
    return Report("pricing list", {"priced_on": on, "models": rows}, [Table(LIST_COLUMNS, rows)])


def show_model(catalog: Catalog, name: str, *, on: dt.date) -> Report:
    model = catalog.get(name)
    data = model_dict(model, on)
    rows = []
    for period in model.periods:
        for label, card in (("standard", period.standard), ("batch", period.batch)):
            if card is None:
                continue
            rows.append(_period_row(period, label, card))
        if period.long_context:
            tier = period.long_context
            rows.append(_period_row(period, f"> {tier.threshold_tokens:,} tokens", tier.standard))
            if tier.batch:
                rows.append(_period_row(period, f"batch > {tier.threshold_tokens:,} tokens", tier.batch))
    columns = [
        Column("from", "From"),
        Column("to", "To"),
        Column("card", "Prices"),
        *[Column(f, f.replace("_", " ") + " $/M", "usd") for f in CARD_FIELDS],
    ]
    title = f"{model.display_name} ({model.id}, {model.provider}) — source {model.source_url}, checked {model.checked}"
    return Report("pricing show", data, [Table(columns, rows)], title=title)


def _period_row(period: PricePeriod, label: str, card: PriceCard) -> dict[str, Any]:
    return {
        "from": period.start.isoformat() if period.start else "",
        "to": period.end.isoformat() if period.end else "",
        "card": label,
        **{f: card.rate_by_name(f) for f in CARD_FIELDS},
    }


def validate_tables(catalog: Catalog, directory: Path) -> Report:
    providers = sorted({m.provider for m in catalog})
    data = {"directory": str(directory), "valid": True, "models": len(catalog), "providers": providers}
    rows = [{"provider": p, "models": sum(1 for m in catalog if m.provider == p)} for p in providers]
    return Report(
        "pricing validate",
        data,
        [Table([Column("provider", "Provider"), Column("models", "Models", "int")], rows)],
        notes=[f"{directory}: {len(catalog)} models from {len(providers)} providers are valid"],
    )


# ---- pricing check -------------------------------------------------------------------------------------

_GP_FIELDS = {
    "input_mtok": "input",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write_5m",
    "output_mtok": "output",
}
_LL_FIELDS = {
    "input_cost_per_token": ("standard", "input"),
    "cache_read_input_token_cost": ("standard", "cache_read"),
    "cache_creation_input_token_cost": ("standard", "cache_write_5m"),
    "cache_creation_input_token_cost_above_1hr": ("standard", "cache_write_1h"),
    "output_cost_per_token": ("standard", "output"),
    "input_cost_per_token_batches": ("batch", "input"),
    "output_cost_per_token_batches": ("batch", "output"),
}
_PROVIDER_ALIASES = {
    "aws": "bedrock",
    "bedrock_converse": "bedrock",
    "together_ai": "together",
    "gemini": "google",
    "google-gla": "google",
    "vertex_ai-language-models": "google",
    "text-completion-openai": "openai",
}


def _num(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _same_provider(ours: ModelPrice, theirs: str) -> bool:
    return _PROVIDER_ALIASES.get(theirs, theirs) == ours.provider


def _gp_current(prices: Any, on: dt.date) -> dict[str, Any] | None:
    if isinstance(prices, dict):
        return prices
    if isinstance(prices, list):
        chosen = None
        for entry in prices:
            start = (entry.get("constraint") or {}).get("start_date")
            if start is None or dt.date.fromisoformat(str(start)[:10]) <= on:
                chosen = entry.get("prices")
        return chosen
    return None


def _gp_base(value: Any) -> Decimal | None:
    if isinstance(value, dict):
        return _num(value.get("base"))
    return _num(value)


def _diff_rows_genai_prices(catalog: Catalog, data: Any, on: dt.date) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    compared: set[str] = set()
    for provider in data:
        for entry in provider.get("models", []):
            names = [entry.get("id", "")]
            match = entry.get("match") or {}
            names += [m.get("equals") for m in match.get("or", []) if isinstance(m, dict) and m.get("equals")]
            if match.get("equals"):
                names.append(match["equals"])
            ours = next((m for n in names if n and (m := catalog.find(str(n))) is not None), None)
            if ours is None or ours.id in compared or not _same_provider(ours, provider.get("id", "")):
                continue
            current = _gp_current(entry.get("prices"), on)
            period = ours.period_at(on)
            if current is None or period is None:
                continue
            compared.add(ours.id)
            for key, field in _GP_FIELDS.items():
                theirs = _gp_base(current.get(key))
                mine = period.standard.rate_by_name(field)
                if theirs is not None and mine != theirs:
                    rows.append(
                        _diff(ours.id, field, mine, theirs, f"{provider.get('id')}:{entry.get('id')}.{key}")
                    )
    return rows, len(compared)


def _diff_rows_litellm(catalog: Catalog, data: Any, on: dt.date) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    compared: set[str] = set()
    for key, entry in data.items():
        if not isinstance(entry, dict) or key == "sample_spec":
            continue
        ours = catalog.find(key)
        if (
            ours is None
            or ours.id in compared
            or not _same_provider(ours, str(entry.get("litellm_provider", "")))
        ):
            continue
        period = ours.period_at(on)
        if period is None:
            continue
        compared.add(ours.id)
        for ll_key, (card_name, field) in _LL_FIELDS.items():
            theirs_per_token = _num(entry.get(ll_key))
            if theirs_per_token is None:
                continue
            theirs = (theirs_per_token * MTOK).normalize()
            card = period.standard if card_name == "standard" else period.batch
            mine = card.rate_by_name(field) if card else None
            label = field if card_name == "standard" else f"batch.{field}"
            if mine != theirs:
                rows.append(_diff(ours.id, label, mine, theirs, f"{key}.{ll_key}"))
    return rows, len(compared)


def _diff(model: str, field: str, mine: Decimal | None, theirs: Decimal, where: str) -> dict[str, Any]:
    return {
        "model": model,
        "field": field,
        "ours_usd_per_mtok": mine,
        "theirs_usd_per_mtok": theirs,
        "theirs_key": where,
    }


def check_against(catalog: Catalog, path: Path, *, on: dt.date) -> Report:
    from costctl.inputs import read_json

    raw = read_json(path, "JSON price file")
    if isinstance(raw, list) and raw and isinstance(raw[0], dict) and "models" in raw[0]:
        source = "genai-prices"
        rows, compared = _diff_rows_genai_prices(catalog, raw, on)
    elif isinstance(raw, dict) and any(isinstance(v, dict) and "litellm_provider" in v for v in raw.values()):
        source = "litellm"
        rows, compared = _diff_rows_litellm(catalog, raw, on)
    else:
        raise InputError(
            "expected LiteLLM's model_prices_and_context_window.json or a genai-prices data.json",
            where=str(path),
        )
    columns = [
        Column("model", "Model"),
        Column("field", "Field"),
        Column("ours_usd_per_mtok", "Ours $/M", "usd"),
        Column("theirs_usd_per_mtok", "Theirs $/M", "usd"),
        Column("theirs_key", "Their entry"),
    ]
    data = {"against": str(path), "source_format": source, "compared_models": compared, "differences": rows}
    notes = [f"compared {compared} of our {len(catalog)} models with {source}; {len(rows)} prices differ"]
    return Report("pricing check", data, [Table(columns, rows)], notes=notes)
