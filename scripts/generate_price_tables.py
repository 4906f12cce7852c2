#!/usr/bin/env python3
"""Regenerate the pinned, generated price tables in pricing/generated/ from the field's maintained data.

    python scripts/generate_price_tables.py --litellm PATH/TO/model_prices_and_context_window.json

Inputs (both pinned; a different version or file is refused unless --upgrade is given, so an upgrade is a
deliberate change that shows up in review and in `costctl pricing check`):
- genai-prices (PyPI, MIT), the installed package, version GENAI_PRICES_VERSION. Its data ships as Python
  objects (`genai_prices.data.providers`): dated prices, long-context tiers, batch and service-tier variants.
- LiteLLM's model_prices_and_context_window.json, as shipped inside the litellm wheel of LITELLM_VERSION
  (`litellm/model_prices_and_context_window_backup.json`), checked by sha256. Used only for names that
  genai-prices does not know (azure/…, vertex_ai/…, bedrock/… spellings, AI21, …).

Output: pricing/generated/genai-prices.json and pricing/generated/litellm.json, in costctl's own table format
(the same keys as the YAML tables, read by the same validator), sorted and stable: running the script twice
gives byte-identical files. Every model carries `source`, so `pricing show`, JSON and reports say where a
price came from. Our curated YAML tables win over both wherever they name a model.

Semantics written out, never implied at run time:
- A rate the source leaves out but bills at the input rate (genai-prices and LiteLLM both charge cache reads
  and writes at the input rate when no cache price is given) is written as that input rate.
- genai-prices variants (`processing: batch`, `service_tier: flex|priority|fast`, `speed: fast`) override
  prices key by key; the generated cards are the merged result, split into periods at each variant's start.
- Models whose prices depend on the time of day (DeepSeek off-peak) or have more than one long-context step
  are skipped here and listed in the file's `skipped` section with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from costctl.pricing.importers import LL_MODES, LL_PROVIDERS, litellm_entry, num, tokenizer_for

GENAI_PRICES_VERSION = "0.2.3"
LITELLM_VERSION = "1.110.2"
LITELLM_SHA256 = "8943af58bf9f979c6a4bef815687117ffa341e462a41faed9be17b5c33d3dcc2"
CHECKED = "2026-12-02"  # the day these pinned versions were taken; bump with them

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pricing" / "generated"

# genai-prices provider id -> (our provider name, id prefix for hosts; None = first party, bare ids)
GP_PROVIDERS: dict[str, tuple[str, str | None]] = {
    "openai": ("openai", None),
    "anthropic": ("anthropic", None),
    "google": ("google", None),
    "mistral": ("mistral", None),
    "deepseek": ("deepseek", None),
    "x-ai": ("xai", None),
    "cohere": ("cohere", None),
    "groq": ("groq", "groq"),
    "together": ("together", "together"),
    "fireworks": ("fireworks", "fireworks"),
    "aws": ("bedrock", "bedrock"),
    "azure": ("azure", "azure"),
    "openrouter": ("openrouter", "openrouter"),
}
GP_CARD = {
    "input_mtok": "input_usd_per_mtok",
    "cache_read_mtok": "cache_read_usd_per_mtok",
    "cache_write_mtok": "cache_write_5m_usd_per_mtok",
    "cache_write_1h_mtok": "cache_write_1h_usd_per_mtok",
    "output_mtok": "output_usd_per_mtok",
}
GP_OTHER_METERS = {
    "web_searches_kcount": "web searches",
    "storage_searches_kcount": "file searches",
    "input_audio_mtok": "audio input",
    "output_audio_mtok": "audio output",
    "cache_audio_read_mtok": "cached audio input",
    "input_image_mtok": "image input",
    "output_image_mtok": "image output",
    "cache_image_read_mtok": "cached image input",
    "input_video_mtok": "video input",
    "output_video_mtok": "video output",
}
TIER_NAMES = {
    ("service_tier", "flex"),
    ("service_tier", "priority"),
    ("service_tier", "fast"),
    ("speed", "fast"),
}


# ---- genai-prices -----------------------------------------------------------------------------------


def _gp_names(match: Any) -> tuple[list[str], list[str]]:
    """Exact names and prefixes from a genai-prices match clause (contains/regex clauses are not used:
    costctl never matches by substring)."""
    from genai_prices import types as T

    equals: list[str] = []
    prefixes: list[str] = []
    stack = [match]
    while stack:
        clause = stack.pop()
        if isinstance(clause, T.ClauseEquals):
            equals.append(clause.equals)
        elif isinstance(clause, T.ClauseStartsWith):
            prefixes.append(clause.starts_with)
        elif isinstance(clause, T.ClauseOr):
            stack.extend(reversed(clause.or_))
    return equals, prefixes


def _price_values(mp: Any) -> dict[str, Any]:
    return {k: v for k, v in mp.__dict__.items() if not k.startswith("_") and v is not None}


def _gp_card(values: dict[str, Any], at_threshold: int | None) -> dict[str, str]:
    """Our card keys from genai-prices price keys; `at_threshold` picks that tier's price (None = base)."""
    from genai_prices import types as T

    card: dict[str, str] = {}
    for key, ours in GP_CARD.items():
        value = values.get(key)
        if value is None:
            continue
        if isinstance(value, T.TieredPrices):
            price = value.base
            for tier in value.tiers:
                if at_threshold is not None and tier.start <= at_threshold:
                    price = tier.price
        else:
            price = value
        card[ours] = num(price)
    # written out: both sources bill an unpublished cache rate at the input rate
    if "input_usd_per_mtok" in card:
        for key in ("cache_read_usd_per_mtok", "cache_write_5m_usd_per_mtok"):
            card.setdefault(key, card["input_usd_per_mtok"])
        card.setdefault("cache_write_1h_usd_per_mtok", card["cache_write_5m_usd_per_mtok"])
    return card


def _thresholds(values: dict[str, Any]) -> set[int]:
    from genai_prices import types as T

    starts: set[int] = set()
    for value in values.values():
        if isinstance(value, T.TieredPrices):
            starts.update(t.start for t in value.tiers)
    return starts


def _gp_block(values: dict[str, Any], threshold: int | None) -> dict[str, Any]:
    block: dict[str, Any] = dict(_gp_card(values, None))
    if threshold is not None:
        tier = _gp_card(values, threshold)
        if tier != block:  # a tier at the base rates (a retired surcharge) is no tier
            block["long_context"] = {"threshold_tokens": threshold, **tier}
    return block


def _gp_model(
    provider_id: str, model: Any, prefix_override: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    from genai_prices import types as T

    ours, prefix = GP_PROVIDERS[provider_id]
    prefix = prefix_override or prefix
    conditionals = (
        [T.ConditionalPrice(constraint=None, prices=model.prices)]
        if isinstance(model.prices, T.ModelPrice)
        else list(model.prices)
    )
    if any(isinstance(c.constraint, T.TimeOfDateConstraint) for c in conditionals):
        return None, "prices depend on the time of day (off-peak windows)"
    variants = list(model.price_variants or [])
    for v in variants:
        if isinstance(v.constraint, T.TimeOfDateConstraint):
            return None, "a price variant depends on the time of day"
    base_values = [_price_values(c.prices) for c in conditionals]
    all_values = base_values + [_price_values(v.prices) for v in variants]
    thresholds = set().union(*(_thresholds(v) for v in all_values))
    if len(thresholds) > 1:
        return None, f"more than one long-context step ({sorted(thresholds)})"
    threshold = next(iter(thresholds)) if thresholds else None
    if not any("input_mtok" in v for v in base_values):
        return None, "no per-token input price"
    starts = sorted(
        {c.constraint.start_date for c in conditionals if c.constraint is not None}
        | {v.constraint.start_date for v in variants if v.constraint is not None}
    )
    boundaries: list[dt.date | None] = [None, *starts]
    periods: list[dict[str, Any]] = []
    for start in boundaries:
        day = start or dt.date(1970, 1, 1)
        stamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)
        standard = conditionals[0].prices
        for cond in reversed(conditionals):
            if cond.constraint is None or cond.constraint.active(stamp):
                standard = cond.prices
                break
        std_values = _price_values(standard)
        if "input_mtok" not in std_values:
            continue
        period: dict[str, Any] = {}
        if start is not None:
            period["from"] = start.isoformat()
        period.update(_gp_block(std_values, threshold))
        tiers: dict[str, Any] = {}
        for v in variants:
            if v.constraint is not None and not v.constraint.active(stamp):
                continue
            items = set(v.when.items())
            merged = {**std_values, **_price_values(v.prices)}
            if items == {("processing", "batch")}:
                if "batch" not in period:
                    batch = _gp_block(merged, threshold)
                    lc = batch.pop("long_context", None)
                    period["batch"] = batch
                    if "long_context" in period:
                        if lc is not None:
                            lc.pop("threshold_tokens")
                        period["long_context"]["batch"] = lc or dict(batch)
            elif len(items) == 1 and next(iter(items)) in TIER_NAMES:
                name = next(iter(items))[1]
                if name not in tiers and _price_values(v.prices):
                    tiers[name] = _gp_block(merged, threshold)
        if tiers:
            period["service_tiers"] = dict(sorted(tiers.items()))
        if periods and {k: x for k, x in periods[-1].items() if k != "from"} == {
            k: x for k, x in period.items() if k != "from"
        }:
            continue  # nothing changed at this boundary
        periods.append(period)
    if not periods:
        return None, "no period with a per-token input price"
    equals, prefixes = _gp_names(model.match)
    names = [model.id, *equals]
    if prefix:
        ids = [f"{prefix}/{n}" for n in names]
        prefixes = [f"{prefix}/{p}" for p in prefixes]
    else:
        ids = names + [f"{ours}/{n}" for n in names]
    model_id = ids[0]
    aliases = sorted({a for a in ids[1:] if a.lower() != model_id.lower()}, key=str.lower)
    other = sorted(
        {GP_OTHER_METERS[k] for v in all_values for k in v if k in GP_OTHER_METERS},
    )
    entry: dict[str, Any] = {
        "id": model_id,
        "provider": ours,
        "display_name": model.name or model.id,
        "aliases": aliases,
        # input-only prices (embeddings, moderation): genai-prices does not say the kind; no output price
        # means nothing generated is billed
        "kind": "chat" if any("output_mtok" in v for v in base_values) else "embedding",
        "tokenizer": tokenizer_for(ours, model.id),
    }
    if prefixes:
        entry["match_prefixes"] = sorted(set(prefixes), key=str.lower)
    if model.context_window:
        entry["context_window"] = int(model.context_window)
    if other:
        entry["notes"] = "Also bills " + ", ".join(other) + " (not priced by costctl)."
    entry["prices"] = periods
    return entry, None


def genai_prices_table() -> dict[str, Any]:
    import genai_prices
    from genai_prices import data

    if genai_prices.__version__ != GENAI_PRICES_VERSION:
        raise SystemExit(
            f"genai-prices {genai_prices.__version__} is installed, the tables pin {GENAI_PRICES_VERSION}"
        )
    models: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    seen: set[str] = set()
    for provider in data.providers:
        if provider.id not in GP_PROVIDERS:
            continue
        for model in provider.models:
            entry, reason = _gp_model(provider.id, model)
            if entry is None:
                skipped.append({"id": f"{provider.id}:{model.id}", "reason": reason or ""})
                continue
            if entry["id"].lower() in seen and provider.id == "google":
                # Google also sells partner models (Claude, Llama) through Vertex AI: spelled vertex_ai/…
                entry, reason = _gp_model(provider.id, model, "vertex_ai")
                assert entry is not None
            names = [entry["id"], *entry["aliases"]]
            clash = [n for n in names if n.lower() in seen]
            if entry["id"].lower() in seen:
                skipped.append(
                    {"id": f"{provider.id}:{model.id}", "reason": "id already used by an earlier entry"}
                )
                continue
            entry["aliases"] = [a for a in entry["aliases"] if a not in clash]
            seen.update(n.lower() for n in [entry["id"], *entry["aliases"]])
            models.append(entry)
    return {
        "schema": "costctl/pricing@1",
        "source": f"genai-prices {GENAI_PRICES_VERSION}",
        "source_url": "https://github.com/pydantic/genai-prices",
        "checked": CHECKED,
        "notes": "Generated by scripts/generate_price_tables.py; do not edit by hand.",
        "models": models,
        "skipped": skipped,
    }


# ---- LiteLLM ----------------------------------------------------------------------------------------


def litellm_table(path: Path, known: set[str], upgrade: bool) -> dict[str, Any]:
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != LITELLM_SHA256 and not upgrade:
        raise SystemExit(f"{path}: sha256 {digest} is not the pinned LiteLLM {LITELLM_VERSION} file")
    raw = json.loads(blob)
    models: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    seen = set(known)
    for key in sorted(raw, key=str.lower):
        entry = raw[key]
        if not isinstance(entry, dict) or key == "sample_spec":
            continue
        provider = LL_PROVIDERS.get(str(entry.get("litellm_provider")))
        kind = LL_MODES.get(str(entry.get("mode")))
        if provider is None or kind is None:
            continue
        if key.lower() in seen:
            continue  # genai-prices (or an earlier key) already names it
        model, reason = litellm_entry(key, entry)  # the same conversion as `costctl pricing import`
        if model is None:
            skipped.append({"id": key, "reason": reason})
            continue
        prices = model.pop("prices")
        other = [
            label
            for k, label in (
                ("input_cost_per_audio_token", "audio input"),
                ("input_cost_per_image", "images"),
                ("search_context_cost_per_query", "web search"),
                ("off_peak_pricing", "off-peak rates"),
            )
            if entry.get(k) is not None
        ]
        if other:
            model["notes"] = "Also bills " + ", ".join(other) + " (not priced by costctl)."
        model["prices"] = prices
        seen.add(key.lower())
        models.append(model)
    return {
        "schema": "costctl/pricing@1",
        "source": f"litellm {LITELLM_VERSION}",
        "source_url": "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json",
        "checked": CHECKED,
        "notes": f"Generated by scripts/generate_price_tables.py from sha256 {digest}; do not edit by hand.",
        "models": models,
        "skipped": skipped,
    }


def write(path: Path, table: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(table['models'])} models, {len(table['skipped'])} skipped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--litellm", type=Path, required=True, help="LiteLLM's model price JSON (pinned)")
    parser.add_argument(
        "--upgrade", action="store_true", help="accept a LiteLLM file other than the pinned one"
    )
    args = parser.parse_args(argv)
    gp = genai_prices_table()
    known = {n.lower() for m in gp["models"] for n in [m["id"], *m["aliases"]]}
    ll = litellm_table(args.litellm, known, args.upgrade)
    write(OUT / "genai-prices.json", gp)
    write(OUT / "litellm.json", ll)
    return 0


if __name__ == "__main__":
    sys.exit(main())
