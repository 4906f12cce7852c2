"""Converters from the field's price data into costctl's table format (the keys of pricing/*.yaml).

Used by `costctl pricing import --from FILE` (an overlay for a private deployment or a newer price) and by
scripts/generate_price_tables.py (the pinned generated tables), so both read LiteLLM the same way. The
semantics the sources leave implicit are written out: an unpublished cache rate that the source bills at the
input rate is written as that input rate; a key a tier or long-context card leaves out falls back to the base
card, as LiteLLM does.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

# LiteLLM litellm_provider -> our provider name
LL_PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "vertex_ai": "vertex_ai",
    "vertex_ai-language-models": "vertex_ai",
    "vertex_ai-anthropic_models": "vertex_ai",
    "vertex_ai-mistral_models": "vertex_ai",
    "vertex_ai-llama_models": "vertex_ai",
    "vertex_ai-embedding-models": "vertex_ai",
    "vertex_ai-text-models": "vertex_ai",
    "vertex_ai-chat-models": "vertex_ai",
    "vertex_ai-code-text-models": "vertex_ai",
    "vertex_ai-code-chat-models": "vertex_ai",
    "vertex_ai-ai21_models": "vertex_ai",
    "vertex_ai-deepseek_models": "vertex_ai",
    "vertex_ai-openai_models": "vertex_ai",
    "vertex_ai-qwen_models": "vertex_ai",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "azure": "azure",
    "azure_ai": "azure",
    "text-completion-azure": "azure",
    "mistral": "mistral",
    "text-completion-codestral": "mistral",
    "codestral": "mistral",
    "deepseek": "deepseek",
    "xai": "xai",
    "groq": "groq",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "fireworks_ai-embedding-models": "fireworks",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "openrouter": "openrouter",
    "ai21": "ai21",
}
LL_MODES = {"chat": "chat", "completion": "completion", "embedding": "embedding", "responses": "chat"}


def num(value: Decimal) -> str:
    """A price as a plain decimal string (no exponent), exact."""
    text = format(value.normalize(), "f")
    return text


def tokenizer_for(provider: str, model_id: str) -> str:
    name = model_id.lower()
    if provider in ("openai", "azure") or name.startswith(("gpt-", "o1", "o3", "o4", "text-embedding")):
        if name.startswith(("gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4", "chatgpt-4o", "gpt-oss")):
            return "o200k_base"
        if name.startswith(("gpt-4", "gpt-3.5", "text-embedding")):
            return "cl100k_base"
    if "claude" in name:
        return "approx:anthropic"
    if "gemini" in name or "gemma" in name:
        return "approx:google"
    return "approx:generic"


_LL_KEYS = {
    "input_cost_per_token": "input_usd_per_mtok",
    "cache_read_input_token_cost": "cache_read_usd_per_mtok",
    "cache_creation_input_token_cost": "cache_write_5m_usd_per_mtok",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h_usd_per_mtok",
    "output_cost_per_token": "output_usd_per_mtok",
}


def per_mtok(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return Decimal(str(value)) * 1_000_000


def ll_card(entry: dict[str, Any], suffix: str, fallback: dict[str, Any] | None) -> dict[str, str]:
    """One card from keys ending in `suffix`; a key LiteLLM leaves out falls back as LiteLLM does: to
    `fallback` (the base card, for tiers and long context), and cache rates to the card's input rate."""
    card: dict[str, str] = {}
    for key, ours in _LL_KEYS.items():
        value = per_mtok(entry.get(key + suffix))
        if value is not None:
            card[ours] = num(value)
        elif fallback is not None and ours in fallback:
            card[ours] = fallback[ours]
    if "input_usd_per_mtok" in card:
        card.setdefault("cache_read_usd_per_mtok", card["input_usd_per_mtok"])
        card.setdefault("cache_write_5m_usd_per_mtok", card["input_usd_per_mtok"])
        card.setdefault("cache_write_1h_usd_per_mtok", card["cache_write_5m_usd_per_mtok"])
    return card


def ll_thresholds(entry: dict[str, Any]) -> set[int]:
    found = set()
    for key in entry:
        m = re.fullmatch(r"(input|output)_cost_per_token_above_(\d+)k_tokens", key)
        if m:
            found.add(int(m.group(2)) * 1000)
    return found


def ll_period(entry: dict[str, Any], kind: str) -> dict[str, Any] | None:
    std = ll_card(entry, "", None)
    if "input_usd_per_mtok" not in std or (kind != "embedding" and "output_usd_per_mtok" not in std):
        return None
    period: dict[str, Any] = dict(std)
    thresholds = ll_thresholds(entry)
    if len(thresholds) > 1:
        raise ValueError(f"more than one long-context step ({sorted(thresholds)})")
    threshold = next(iter(thresholds)) if thresholds else None
    if threshold is not None:
        suffix = f"_above_{threshold // 1000}k_tokens"
        period["long_context"] = {"threshold_tokens": threshold, **ll_card(entry, suffix, std)}
    if entry.get("input_cost_per_token_batches") is not None:
        batch = ll_card(entry, "_batches", None)
        if kind == "embedding" or "output_usd_per_mtok" in batch:
            period["batch"] = batch
    tiers = {}
    for name in ("flex", "priority"):
        if entry.get(f"input_cost_per_token_{name}") is not None:
            tier: dict[str, Any] = ll_card(entry, f"_{name}", std)
            if threshold is not None:
                suffix = f"_above_{threshold // 1000}k_tokens"
                lc_base = period["long_context"]
                lc = ll_card(
                    entry, f"{suffix}_{name}", {k: v for k, v in lc_base.items() if k != "threshold_tokens"}
                )
                tier["long_context"] = {"threshold_tokens": threshold, **lc}
            tiers[name] = tier
    if tiers:
        period["service_tiers"] = tiers
    return period


def litellm_entry(key: str, entry: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """One LiteLLM map entry as a model entry of ours, or (None, why it cannot be one)."""
    provider = LL_PROVIDERS.get(str(entry.get("litellm_provider")), str(entry.get("litellm_provider") or ""))
    kind = LL_MODES.get(str(entry.get("mode") or "chat"))
    if not provider or kind is None:
        return None, f"mode {entry.get('mode')!r} is not priced per token by costctl"
    try:
        period = ll_period(entry, kind)
    except ValueError as exc:
        return None, str(exc)
    if period is None:
        return None, "no per-token input/output price"
    model: dict[str, Any] = {
        "id": key,
        "provider": provider,
        "kind": kind,
        "tokenizer": tokenizer_for(provider, key.rsplit("/", 1)[-1]),
    }
    if isinstance(entry.get("max_input_tokens"), int) and entry["max_input_tokens"] > 0:
        model["context_window"] = entry["max_input_tokens"]
    if isinstance(entry.get("max_output_tokens"), int) and entry["max_output_tokens"] > 0:
        model["max_output_tokens"] = entry["max_output_tokens"]
    if isinstance(entry.get("source"), str) and entry["source"].startswith(("http://", "https://")):
        model["source_url"] = entry["source"]
    model["prices"] = [period]
    return model, ""


# genai-prices data file (data.json, or the package export {providers: [...]}): JSON keys -> our card keys
_GP_JSON_CARD = {
    "input_mtok": "input_usd_per_mtok",
    "cache_read_mtok": "cache_read_usd_per_mtok",
    "cache_write_mtok": "cache_write_5m_usd_per_mtok",
    "cache_write_1h_mtok": "cache_write_1h_usd_per_mtok",
    "output_mtok": "output_usd_per_mtok",
}


def _gp_json_card(prices: dict[str, Any], at: int | None) -> dict[str, str] | None:
    card: dict[str, str] = {}
    for key, ours in _GP_JSON_CARD.items():
        value = prices.get(key)
        if value is None:
            continue
        if isinstance(value, dict):  # tiered: {base, tiers: [{start, price}]}
            price = value.get("base")
            for tier in value.get("tiers") or []:
                if at is not None and isinstance(tier, dict) and int(tier.get("start", 0)) <= at:
                    price = tier.get("price")
            value = price
        try:
            card[ours] = num(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return None
    if "input_usd_per_mtok" not in card:
        return None
    card.setdefault("cache_read_usd_per_mtok", card["input_usd_per_mtok"])
    card.setdefault("cache_write_5m_usd_per_mtok", card["input_usd_per_mtok"])
    card.setdefault("cache_write_1h_usd_per_mtok", card["cache_write_5m_usd_per_mtok"])
    return card


def _gp_json_thresholds(prices: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for value in prices.values():
        if isinstance(value, dict):
            found.update(int(t.get("start", 0)) for t in value.get("tiers") or [] if isinstance(t, dict))
    return found


def genai_prices_entry(provider: str, entry: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """One model of a genai-prices data file as a model entry of ours, or (None, why not)."""
    raw = entry.get("prices")
    conditionals = [{"prices": raw}] if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    periods: list[dict[str, Any]] = []
    for cond in conditionals:
        if not isinstance(cond, dict) or not isinstance(cond.get("prices"), dict):
            return None, "unreadable prices"
        constraint = cond.get("constraint") or {}
        if "start_time" in constraint or "end_time" in constraint:
            return None, "prices depend on the time of day"
        prices = cond["prices"]
        thresholds = _gp_json_thresholds(prices)
        if len(thresholds) > 1:
            return None, f"more than one long-context step ({sorted(thresholds)})"
        card = _gp_json_card(prices, None)
        if card is None:
            return None, "no per-token input price"
        period: dict[str, Any] = {}
        if constraint.get("start_date"):
            period["from"] = str(constraint["start_date"])[:10]
        period.update(card)
        if thresholds:
            at = next(iter(thresholds))
            tier = _gp_json_card(prices, at)
            if tier is not None and tier != card:
                period["long_context"] = {"threshold_tokens": at, **tier}
        periods.append(period)
    if not periods:
        return None, "no prices"
    if "from" not in periods[0] and len(periods) > 1:
        periods[1:] = sorted(periods[1:], key=lambda p: str(p.get("from", "")))
    model_id = str(entry.get("id") or "")
    if not model_id:
        return None, "no id"
    match = entry.get("match") or {}
    names = [m.get("equals") for m in match.get("or", []) if isinstance(m, dict) and m.get("equals")]
    if match.get("equals"):
        names.append(match["equals"])
    model: dict[str, Any] = {
        "id": model_id,
        "provider": provider,
        "aliases": sorted({str(n) for n in names if str(n).lower() != model_id.lower()}),
        "kind": "chat" if "output_usd_per_mtok" in periods[0] else "embedding",
        "tokenizer": tokenizer_for(provider, model_id),
    }
    if isinstance(entry.get("context_window"), int) and entry["context_window"] > 0:
        model["context_window"] = entry["context_window"]
    model["prices"] = periods
    return model, ""


GP_PROVIDER_NAMES = {"aws": "bedrock", "x-ai": "xai", "google": "google"}


def overlay_from(raw: Any, *, today: dt.date) -> tuple[str, dict[str, Any], list[dict[str, str]]]:
    """(format, overlay table, skipped entries) from a parsed LiteLLM or genai-prices price file."""
    models: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    if isinstance(raw, dict) and isinstance(raw.get("providers"), list):
        raw = raw["providers"]
    if isinstance(raw, list):
        fmt = "genai-prices"
        for provider in raw:
            if not isinstance(provider, dict):
                continue
            pid = str(provider.get("id") or "")
            for entry in provider.get("models") or []:
                if not isinstance(entry, dict):
                    continue
                model, why = genai_prices_entry(GP_PROVIDER_NAMES.get(pid, pid), entry)
                if model is None:
                    skipped.append({"id": f"{pid}:{entry.get('id')}", "reason": why})
                else:
                    models.append(model)
        url = "https://github.com/pydantic/genai-prices"
    elif isinstance(raw, dict):
        fmt = "litellm"
        for key in sorted(raw, key=str.lower):
            entry = raw[key]
            if not isinstance(entry, dict) or key == "sample_spec":
                continue
            model, why = litellm_entry(key, entry)
            if model is None:
                skipped.append({"id": key, "reason": why})
            else:
                models.append(model)
        url = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
    else:
        raise ValueError("expected LiteLLM's price map or a genai-prices data file")
    table = {
        "schema": "costctl/pricing@1",
        "source": f"{fmt} import",
        "source_url": url,
        "checked": today.isoformat(),
        "models": models,
    }
    return fmt, table, skipped
