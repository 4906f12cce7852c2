"""Read and validate price-table YAML (see pricing/README.md and pricing/schema.json).

Validation is strict: unknown keys, missing required prices, negative or non-numeric prices, overlapping
periods and duplicate ids or aliases are `PricingError`s naming the file, model and field. Numbers become
`Decimal` through `str`, so `2.5` is exactly 2.5.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costctl.errors import PricingError
from costctl.models import FineTuning, LongContextTier, ModelPrice, PriceCard, PricePeriod
from costctl.values import MAX_USD_PER_MTOK

SCHEMA_ID = "costctl/pricing@1"
ENV_PRICING_DIR = "COSTCTL_PRICING"
ENV_OVERLAY = "COSTCTL_PRICING_OVERLAY"

CARD_KEYS = {
    "input_usd_per_mtok": "input",
    "cache_read_usd_per_mtok": "cache_read",
    "cache_write_5m_usd_per_mtok": "cache_write_5m",
    "cache_write_1h_usd_per_mtok": "cache_write_1h",
    "output_usd_per_mtok": "output",
}
FILE_KEYS = {"schema", "provider", "usage_convention", "source_url", "checked", "notes", "models"}
MODEL_KEYS = {
    "id",
    "provider",
    "display_name",
    "aliases",
    "kind",
    "tokenizer",
    "context_window",
    "max_output_tokens",
    "min_cacheable_tokens",
    "min_cacheable_source",
    "source_url",
    "checked",
    "notes",
    "prices",
    "fine_tuning",
}
PERIOD_KEYS = {"from", "to", "batch", "long_context", "notes", *CARD_KEYS}
TIER_KEYS = {"threshold_tokens", "batch", *CARD_KEYS}
FT_KEYS = {"training_usd_per_mtok", "training_usd_per_hour", "batch", *CARD_KEYS}
KINDS = {"chat", "embedding"}
TOKENIZERS = {"o200k_base", "cl100k_base", "approx:anthropic", "approx:google", "approx:generic"}


def bundled_pricing_dir() -> Path:
    """The tables shipped in the wheel (costctl/_pricing) or, in a source checkout, ./pricing."""
    packaged = Path(__file__).resolve().parent.parent / "_pricing"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "pricing"


def default_pricing_dir() -> Path:
    env = os.environ.get(ENV_PRICING_DIR)
    return Path(env) if env else bundled_pricing_dir()


def default_overlays() -> list[Path]:
    """`$COSTCTL_PRICING_OVERLAY`: paths separated by the OS path separator. An empty entry (`a.yaml::b.yaml`,
    a trailing `:`) is a mistake worth saying, not something to skip."""
    env = os.environ.get(ENV_OVERLAY)
    if not env:
        return []
    parts = env.split(os.pathsep)
    if any(not p.strip() for p in parts):
        raise PricingError(
            f"${ENV_OVERLAY} has an empty entry in {env!r}; separate overlay files with {os.pathsep!r}"
        )
    return [Path(p) for p in parts]


def read_yaml(path: Path) -> Any:
    """A YAML file, every failure (missing, a folder, bad bytes, bad YAML, an impossible date) one
    PricingError line (costctl/inputs.py)."""
    from costctl.errors import InputError
    from costctl.inputs import read_yaml as read

    try:
        return read(path, "file")
    except InputError as exc:
        raise PricingError(exc.message, where=exc.where) from None


class _Ctx:
    """Where we are in a file, for error messages."""

    def __init__(self, path: Path, model: str | None = None) -> None:
        self.path = path
        self.model = model

    def fail(self, message: str) -> PricingError:
        where = str(self.path) + (f": model {self.model!r}" if self.model else "")
        return PricingError(message, where=where)


def _check_keys(ctx: _Ctx, mapping: Any, allowed: Iterable[str], what: str) -> Mapping[str, Any]:
    if not isinstance(mapping, dict):
        raise ctx.fail(f"{what} must be a mapping, got {type(mapping).__name__}")
    allowed_set = set(allowed)
    for key in mapping:
        if key not in allowed_set:
            from costctl.errors import did_you_mean

            raise ctx.fail(f"unknown key {key!r} in {what}{did_you_mean(str(key), allowed_set)}")
    return mapping


def parse_price(ctx: _Ctx, field: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ctx.fail(f"field {field!r} must be a number, got {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ctx.fail(f"field {field!r} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ctx.fail(f"field {field!r} must be a finite number, got {value!r}")
    if number < 0:
        raise ctx.fail(f"field {field!r} must not be negative, got {value!r}")
    if number > MAX_USD_PER_MTOK:
        raise ctx.fail(f"field {field!r} must be at most {MAX_USD_PER_MTOK:,} USD, got {value!r}")
    return number


def _parse_int(ctx: _Ctx, field: str, value: Any, *, positive: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (positive and value <= 0):
        raise ctx.fail(f"field {field!r} must be a positive whole number, got {value!r}")
    return value


def parse_date(ctx: _Ctx, field: str, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ctx.fail(f"field {field!r} must be a date YYYY-MM-DD, got {value!r}")


def _parse_card(ctx: _Ctx, mapping: Mapping[str, Any], what: str, *, require: Iterable[str]) -> PriceCard:
    values: dict[str, Decimal] = {}
    for key, attr in CARD_KEYS.items():
        if key in mapping and mapping[key] is not None:
            values[attr] = parse_price(ctx, f"{what}.{key}" if what else key, mapping[key])
    for key in require:
        if CARD_KEYS[key] not in values:
            raise ctx.fail(f"missing required price {key!r}" + (f" in {what}" if what else ""))
    return PriceCard(**values)


def _parse_period(ctx: _Ctx, raw: Any, index: int, kind: str) -> tuple[PricePeriod, dt.date | None]:
    what = f"prices[{index}]"
    mapping = _check_keys(ctx, raw, PERIOD_KEYS, what)
    require = ["input_usd_per_mtok"] + (["output_usd_per_mtok"] if kind == "chat" else [])
    standard = _parse_card(ctx, mapping, what, require=require)
    start = parse_date(ctx, f"{what}.from", mapping["from"]) if mapping.get("from") is not None else None
    end = parse_date(ctx, f"{what}.to", mapping["to"]) if mapping.get("to") is not None else None
    batch = None
    if mapping.get("batch") is not None:
        bmap = _check_keys(ctx, mapping["batch"], CARD_KEYS, f"{what}.batch")
        batch = _parse_card(ctx, bmap, f"{what}.batch", require=require)
    tier = None
    if mapping.get("long_context") is not None:
        tmap = _check_keys(ctx, mapping["long_context"], TIER_KEYS, f"{what}.long_context")
        if "threshold_tokens" not in tmap:
            raise ctx.fail(f"missing required field 'threshold_tokens' in {what}.long_context")
        tier_batch = None
        if tmap.get("batch") is not None:
            tbmap = _check_keys(ctx, tmap["batch"], CARD_KEYS, f"{what}.long_context.batch")
            tier_batch = _parse_card(ctx, tbmap, f"{what}.long_context.batch", require=require)
        tier = LongContextTier(
            threshold_tokens=_parse_int(
                ctx, f"{what}.long_context.threshold_tokens", tmap["threshold_tokens"]
            ),
            standard=_parse_card(ctx, tmap, f"{what}.long_context", require=require),
            batch=tier_batch,
        )
    if start is not None and end is not None and end <= start:
        raise ctx.fail(f"{what}: 'to' ({end}) must be after 'from' ({start})")
    return PricePeriod(start=start, end=end, standard=standard, batch=batch, long_context=tier), end


def _link_periods(ctx: _Ctx, periods: list[tuple[PricePeriod, dt.date | None]]) -> tuple[PricePeriod, ...]:
    """Sort-free: periods must be listed oldest first; an open end runs to the next period's start."""
    linked: list[PricePeriod] = []
    for i, (period, explicit_end) in enumerate(periods):
        nxt = periods[i + 1][0] if i + 1 < len(periods) else None
        end = explicit_end
        if nxt is not None:
            if nxt.start is None:
                raise ctx.fail(f"prices[{i + 1}] needs a 'from' date (only the first period may omit it)")
            if period.start is not None and nxt.start <= period.start:
                raise ctx.fail(
                    f"price periods overlap or are out of order: prices[{i + 1}] starts {nxt.start}, "
                    f"not after prices[{i}] ({period.start}); list them oldest first"
                )
            if end is not None and end > nxt.start:
                raise ctx.fail(
                    f"price periods overlap: prices[{i}] runs to {end} but prices[{i + 1}] starts {nxt.start}"
                )
            end = end or nxt.start
        linked.append(
            PricePeriod(
                start=period.start,
                end=end,
                standard=period.standard,
                batch=period.batch,
                long_context=period.long_context,
            )
        )
    return tuple(linked)


def parse_model(path: Path, raw: Any, defaults: Mapping[str, Any]) -> ModelPrice:
    ctx = _Ctx(path)
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        ctx.model = raw["id"]
    mapping = _check_keys(ctx, raw, MODEL_KEYS, "model entry")
    model_id = mapping.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        raise ctx.fail(f"every model needs a string 'id', got {model_id!r}")
    kind = mapping.get("kind", "chat")
    if kind not in KINDS:
        raise ctx.fail(f"field 'kind' must be one of {sorted(KINDS)}, got {kind!r}")
    tokenizer = mapping.get("tokenizer")
    if tokenizer not in TOKENIZERS:
        raise ctx.fail(f"field 'tokenizer' must be one of {sorted(TOKENIZERS)}, got {tokenizer!r}")
    aliases = mapping.get("aliases", []) or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise ctx.fail(f"field 'aliases' must be a list of names, got {aliases!r}")
    raw_periods = mapping.get("prices")
    if not isinstance(raw_periods, list) or not raw_periods:
        raise ctx.fail("missing required field 'prices' (a list of price periods, oldest first)")
    periods = _link_periods(ctx, [_parse_period(ctx, p, i, kind) for i, p in enumerate(raw_periods)])
    source = mapping.get("source_url", defaults.get("source_url"))
    if not isinstance(source, str) or not source.startswith(("http://", "https://")):
        raise ctx.fail(f"field 'source_url' must be an http(s) URL, got {source!r}")
    checked_raw = mapping.get("checked", defaults.get("checked"))
    if checked_raw is None:
        raise ctx.fail("missing required field 'checked' (the date the figures were checked)")
    fine_tuning = None
    if mapping.get("fine_tuning") is not None:
        fmap = _check_keys(ctx, mapping["fine_tuning"], FT_KEYS, "fine_tuning")
        ft_batch = None
        if fmap.get("batch") is not None:
            ft_batch = _parse_card(
                ctx,
                _check_keys(ctx, fmap["batch"], CARD_KEYS, "fine_tuning.batch"),
                "fine_tuning.batch",
                require=[],
            )
        fine_tuning = FineTuning(
            training_usd_per_mtok=parse_price(
                ctx, "fine_tuning.training_usd_per_mtok", fmap["training_usd_per_mtok"]
            )
            if fmap.get("training_usd_per_mtok") is not None
            else None,
            training_usd_per_hour=parse_price(
                ctx, "fine_tuning.training_usd_per_hour", fmap["training_usd_per_hour"]
            )
            if fmap.get("training_usd_per_hour") is not None
            else None,
            inference=_parse_card(
                ctx, fmap, "fine_tuning", require=["input_usd_per_mtok", "output_usd_per_mtok"]
            ),
            batch=ft_batch,
        )
    provider = mapping.get("provider", defaults.get("provider"))
    if not isinstance(provider, str) or not provider:
        raise ctx.fail("missing required field 'provider'")
    return ModelPrice(
        id=model_id.strip(),
        provider=provider,
        display_name=str(mapping.get("display_name") or model_id),
        aliases=tuple(aliases),
        tokenizer=tokenizer,
        context_window=_parse_int(ctx, "context_window", mapping["context_window"])
        if mapping.get("context_window") is not None
        else None,
        max_output_tokens=_parse_int(ctx, "max_output_tokens", mapping["max_output_tokens"])
        if mapping.get("max_output_tokens") is not None
        else None,
        periods=periods,
        source_url=source,
        checked=parse_date(ctx, "checked", checked_raw),
        kind=kind,
        min_cacheable_tokens=_parse_int(ctx, "min_cacheable_tokens", mapping["min_cacheable_tokens"])
        if mapping.get("min_cacheable_tokens") is not None
        else None,
        min_cacheable_source=mapping.get("min_cacheable_source"),
        fine_tuning=fine_tuning,
        notes=mapping.get("notes"),
        source_file=str(path),
    )


def read_table(path: Path) -> tuple[dict[str, Any], list[Any]]:
    """A provider file: its file-level defaults and its raw model entries."""
    data = read_yaml(path)
    ctx = _Ctx(path)
    mapping = _check_keys(ctx, data, FILE_KEYS, "the file")
    if mapping.get("schema") != SCHEMA_ID:
        raise ctx.fail(f"field 'schema' must be {SCHEMA_ID!r}, got {mapping.get('schema')!r}")
    models = mapping.get("models")
    if not isinstance(models, list):
        raise ctx.fail("field 'models' must be a list of model entries")
    defaults = {k: mapping[k] for k in ("provider", "source_url", "checked") if k in mapping}
    return defaults, models


def table_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise PricingError("pricing directory not found", where=str(directory))
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise PricingError("no *.yaml price tables in directory", where=str(directory))
    return files


def merge_overlay(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """An overlay entry overrides the fields it names; `prices` and `fine_tuning` are replaced whole."""
    merged = dict(base)
    merged.update(overlay)
    return merged


def load_models(directory: Path, overlays: Iterable[Path] = ()) -> list[ModelPrice]:
    entries: dict[str, tuple[Path, Any, dict[str, Any]]] = {}
    order: list[str] = []
    for path in table_files(directory):
        defaults, models = read_table(path)
        for raw in models:
            key = str(raw.get("id")) if isinstance(raw, dict) else f"<entry {len(order)}>"
            if key in entries and isinstance(raw, dict):
                raise _Ctx(path, key).fail(f"duplicate model id (also in {entries[key][0]})")
            entries[key] = (path, raw, defaults)
            order.append(key)
    for path in overlays:
        defaults, models = read_table(path)
        seen: set[str] = set()
        for raw in models:
            if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
                raise _Ctx(path).fail("every overlay entry needs a string 'id'")
            key = raw["id"]
            if key in seen:
                raise _Ctx(path, key).fail(
                    "duplicate model id in this overlay: which entry wins would be a guess"
                )
            seen.add(key)
            if key in entries:
                base_path, base_raw, base_defaults = entries[key]
                merged_defaults = {**base_defaults, **defaults}
                entries[key] = (path, merge_overlay(base_raw, raw), merged_defaults)
            else:
                entries[key] = (path, raw, defaults)
                order.append(key)
    return [parse_model(entries[k][0], entries[k][1], entries[k][2]) for k in order]
