"""Workloads: a product's traffic, component by component, turned into a monthly projection.

Stable API (other commands build on it):

- `load_workload(path) -> Workload`: strict YAML validation. Unknown keys, wrong types, negative or absurd
  traffic, a share outside 0..1, a missing prompt file: `InputError` (exit 2) naming the file and the field.
- `project_workload(catalog, workload, *, on, months=1, strict=True) -> WorkloadProjection`. Each
  `ComponentProjection` exposes `name` (= the feature tag that logs are attributed to), `model` (catalog id),
  `requests_per_month` (int), `usage` (one nominal request, a `Usage`), `monthly_usage` (all tokens of the
  month, exact), `monthly_cost_usd` (Decimal) and `cost` (a `CostBreakdown`). The projection's
  `monthly_cost_usd` is exactly the sum of its components'.
- `requests_per_day(component, days_per_month)` for readers of traffic (the audit command).

The minimal form (the acceptance form, kept working forever):

    components:
      - name: support-chat
        model: gpt-4o-mini
        sessions_per_month: 500000
        messages_per_session: 8
        input_tokens: 350        # per message
        output_tokens: 200       # per message

Units and conventions:
- A month is 30 days unless the workload sets `days_per_month` (traffic given per day is multiplied by it).
- Traffic: exactly one of `requests_per_day`, `requests_per_month`, `sessions_per_month` (with
  `messages_per_session`), or `users` x `sessions_per_user_per_month` x `messages_per_session`. A fractional
  monthly request count is rounded half-even to whole requests.
- Tokens are per request (per message): `input_tokens` (user part), `system_prompt_tokens` or
  `system_prompt_file` / `prompt_file` (counted with the model's real tokenizer), `output_tokens`.
- `history: true` makes a session's message k re-send the k-1 earlier exchanges (input + output).
- `cache_hit_rate`: share of requests whose static prefix (the system prompt) is read from the prompt cache.
  The prefix must reach the model's `min_cacheable_tokens`; OpenAI caches in 1,024 + 128k-token steps; on
  models with a cache-write price every miss writes the prefix (docs/audit.md#prompt-caching-rules-by-provider, docs/pricing.md#usage-convention).
- `batch_share`: share of requests sent through the batch API. `retry_rate`: extra requests re-sent whole.
- `fan_out`: `{agents: N, context_tokens: T, output_tokens: O}`: each request starts N sub-agent calls, each
  re-sending a fixed context of T tokens (orchestration frameworks do this).
- `growth_pct_per_month` (workload or component): traffic of month i is base x (1 + g/100)^i, rounded.
- `users` + `revenue_per_user_usd` at the top level give unit economics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from costctl.cost.context import context_overflow
from costctl.errors import InputError, MissingPriceError
from costctl.models import ZERO, CostBreakdown, ModelPrice, Usage
from costctl.pricing.catalog import Catalog
from costctl.values import MAX_TOKENS_PER_REQUEST

DEFAULT_DAYS_PER_MONTH = 30
# Beyond this a figure is a typo, not a workload (10^12 requests a month is ~400k requests a second).
MAX_REQUESTS_PER_MONTH = Decimal(10) ** 12
MAX_MESSAGES_PER_SESSION = 10_000
OPENAI_CACHE_MIN = 1024
# docs/audit.md#prompt-caching-rules-by-provider: cache hits in increments of 128 tokens after 1,024
OPENAI_CACHE_STEP = 128

_TOP_KEYS = {
    "schema_version",
    "name",
    "days_per_month",
    "months",
    "growth_pct_per_month",
    "users",
    "revenue_per_user_usd",
    "components",
    "gate",
    "what_if",
}
_COMPONENT_KEYS = {
    "name",
    "model",
    "tags",
    "requests_per_day",
    "requests_per_month",
    "sessions_per_month",
    "users",
    "sessions_per_user_per_month",
    "messages_per_session",
    "growth_pct_per_month",
    "input_tokens",
    "output_tokens",
    "system_prompt_tokens",
    "system_prompt_file",
    "prompt_file",
    "history",
    "cache_hit_rate",
    "batch_share",
    "retry_rate",
    "fan_out",
}
_FAN_OUT_KEYS = {"agents", "context_tokens", "output_tokens"}
_TRAFFIC_FORMS = ("requests_per_day", "requests_per_month", "sessions_per_month", "users")


@dataclass(frozen=True)
class FanOut:
    agents: int
    context_tokens: int
    output_tokens: int = 0


@dataclass(frozen=True)
class Component:
    """One feature of the product. Token fields are per request; text fields are counted at projection."""

    name: str
    model: str
    requests_per_month: Decimal  # before rounding and growth; message count for session forms
    messages_per_session: int | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    system_prompt_tokens: int = 0
    system_prompt_text: str | None = None
    prompt_text: str | None = None
    history: bool = False
    cache_hit_rate: Decimal = ZERO
    batch_share: Decimal = ZERO
    retry_rate: Decimal = ZERO
    fan_out: FanOut | None = None
    growth_pct_per_month: Decimal | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    route_share: Decimal = ZERO  # what-if lever: share of requests sent to `route_model`
    route_model: str | None = None
    compress_pct: Decimal = ZERO  # what-if lever: system prompt shortened by this percent


@dataclass(frozen=True)
class Workload:
    components: tuple[Component, ...]
    days_per_month: int = DEFAULT_DAYS_PER_MONTH
    months: int = 1
    growth_pct_per_month: Decimal = ZERO
    users: int | None = None
    revenue_per_user_usd: Decimal | None = None
    gate: Mapping[str, Any] = field(default_factory=dict)
    what_if: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<workload>"
    name: str | None = None


def requests_per_day(component: Component, days_per_month: int = DEFAULT_DAYS_PER_MONTH) -> Decimal:
    """Average requests a day of a component (month-1 traffic, before retries and fan-out)."""
    return component.requests_per_month / Decimal(days_per_month)


# ----------------------------------------------------------------------------------------------- loading


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, field_name: str, message: str) -> InputError:
        return InputError(f"field {field_name!r}: {message}", where=self.source)


def _number(
    where: _Where, key: str, value: Any, *, integer: bool = False, maximum: Decimal | None = None
) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise where.error(key, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        raise where.error(key, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise where.error(key, f"expected a finite number, got {value!r}")
    if number < 0:
        raise where.error(key, f"must not be negative, got {value!r}")
    if integer and number != number.to_integral_value():
        raise where.error(key, f"expected a whole number, got {value!r}")
    if maximum is not None and number > maximum:
        raise where.error(key, f"{value!r} is absurdly large (more than {maximum:,})")
    return number


def _int(where: _Where, key: str, value: Any, maximum: int = MAX_TOKENS_PER_REQUEST) -> int:
    return int(_number(where, key, value, integer=True, maximum=Decimal(maximum)))


def _share(where: _Where, key: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise where.error(key, f"expected a share between 0 and 1, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise where.error(key, f"expected a share between 0 and 1, got {value!r}") from None
    if not number.is_finite() or not ZERO <= number <= 1:
        raise where.error(key, f"must be a share between 0 and 1, got {value!r}")
    return number


def _read_prompt(base: Path, where: _Where, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise where.error(key, f"expected a file path, got {value!r}")
    path = Path(value)
    if not path.is_absolute():
        path = base / path
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise where.error(key, f"prompt file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise where.error(key, f"cannot read prompt file {str(path)!r} ({exc})") from None


def _check_keys(where: _Where, raw: Any, allowed: set[str], what: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise InputError(f"{what} must be a mapping, got {type(raw).__name__}", where=where.source)
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        from costctl.errors import did_you_mean

        raise InputError(
            f"{what}: unknown field {unknown[0]!r}{did_you_mean(unknown[0], allowed)}",
            where=where.source,
        )
    return raw


def _traffic(where: _Where, raw: Mapping[str, Any], days: int) -> tuple[Decimal, int | None]:
    forms = [f for f in _TRAFFIC_FORMS if f in raw]
    if len(forms) != 1:
        found = ", ".join(forms) or "none"
        raise where.error(
            "requests_per_day",
            f"give exactly one traffic form (requests_per_day, requests_per_month, sessions_per_month, or "
            f"users with sessions_per_user_per_month); found {found}",
        )
    form = forms[0]
    messages = None
    if "messages_per_session" in raw:
        messages = _int(where, "messages_per_session", raw["messages_per_session"], MAX_MESSAGES_PER_SESSION)
        if messages < 1:
            raise where.error("messages_per_session", "must be at least 1")
    if form in ("sessions_per_month", "users") and messages is None:
        raise where.error("messages_per_session", f"is required with {form}")
    if form in ("requests_per_day", "requests_per_month") and messages is not None:
        raise where.error("messages_per_session", f"goes with sessions, not with {form}")
    if form != "users" and "sessions_per_user_per_month" in raw:
        raise where.error("sessions_per_user_per_month", "goes with users")
    cap = MAX_REQUESTS_PER_MONTH
    if form == "requests_per_day":
        total = _number(where, form, raw[form], maximum=cap / days) * days
    elif form == "requests_per_month":
        total = _number(where, form, raw[form], maximum=cap)
    elif form == "sessions_per_month":
        assert messages is not None
        total = _number(where, form, raw[form], maximum=cap) * messages
    else:
        assert messages is not None
        if "sessions_per_user_per_month" not in raw:
            raise where.error("sessions_per_user_per_month", "is required with users")
        users = _number(where, "users", raw["users"], integer=True, maximum=Decimal(10) ** 10)
        per_user = _number(
            where, "sessions_per_user_per_month", raw["sessions_per_user_per_month"], maximum=cap
        )
        total = users * per_user * messages
    if total > cap:
        raise where.error(form, f"{total:,} requests a month is absurd (more than {cap:,})")
    return total, messages


def _component(where: _Where, raw: Any, index: int, days: int, base: Path) -> Component:
    label = f"components[{index}]"
    raw = _check_keys(where, raw, _COMPONENT_KEYS, label)
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise where.error(f"{label}.name", "every component needs a non-empty name")
    cw = _Where(f"{where.source}: component {name!r}")
    model = raw.get("model")
    if not isinstance(model, str) or not model.strip():
        raise cw.error("model", "every component needs a model id (see `costctl pricing list`)")
    total, messages = _traffic(cw, raw, days)
    history = raw.get("history", False)
    if not isinstance(history, bool):
        raise cw.error("history", f"expected true or false, got {history!r}")
    if history and messages is None:
        raise cw.error("history", "needs sessions (messages_per_session) to accumulate over")
    if "system_prompt_tokens" in raw and "system_prompt_file" in raw:
        raise cw.error("system_prompt_file", "give system_prompt_tokens or system_prompt_file, not both")
    if "input_tokens" in raw and "prompt_file" in raw:
        raise cw.error("prompt_file", "give input_tokens or prompt_file, not both")
    fan_out = None
    if "fan_out" in raw:
        f = _check_keys(cw, raw["fan_out"], _FAN_OUT_KEYS, f"component {name!r}: fan_out")
        if "agents" not in f or "context_tokens" not in f:
            raise cw.error("fan_out", "needs agents and context_tokens")
        fan_out = FanOut(
            agents=_int(cw, "fan_out.agents", f["agents"], 10_000),
            context_tokens=_int(cw, "fan_out.context_tokens", f["context_tokens"]),
            output_tokens=_int(cw, "fan_out.output_tokens", f.get("output_tokens", 0)),
        )
    tags = raw.get("tags", {})
    if not isinstance(tags, Mapping) or not all(isinstance(k, str) for k in tags):
        raise cw.error("tags", "expected a mapping of tag names to values")
    growth = raw.get("growth_pct_per_month")
    return Component(
        name=name.strip(),
        model=model.strip(),
        requests_per_month=total,
        messages_per_session=messages,
        input_tokens=_int(cw, "input_tokens", raw.get("input_tokens", 0)),
        output_tokens=_int(cw, "output_tokens", raw.get("output_tokens", 0)),
        system_prompt_tokens=_int(cw, "system_prompt_tokens", raw.get("system_prompt_tokens", 0)),
        system_prompt_text=_read_prompt(base, cw, "system_prompt_file", raw["system_prompt_file"])
        if "system_prompt_file" in raw
        else None,
        prompt_text=_read_prompt(base, cw, "prompt_file", raw["prompt_file"])
        if "prompt_file" in raw
        else None,
        history=history,
        cache_hit_rate=_share(cw, "cache_hit_rate", raw.get("cache_hit_rate", 0)),
        batch_share=_share(cw, "batch_share", raw.get("batch_share", 0)),
        retry_rate=_share(cw, "retry_rate", raw.get("retry_rate", 0)),
        fan_out=fan_out,
        growth_pct_per_month=_number(cw, "growth_pct_per_month", growth, maximum=Decimal(1000))
        if growth is not None
        else None,
        tags={str(k): str(v) for k, v in tags.items()},
    )


def parse_workload(raw: Any, *, source: str, base: Path) -> Workload:
    """Validate a parsed YAML document (see the module docstring for the fields)."""
    where = _Where(source)
    if raw is None:
        raise InputError("empty workload file, expected a mapping with `components:`", where=source)
    raw = _check_keys(where, raw, _TOP_KEYS, "workload")
    if "schema_version" in raw and raw["schema_version"] != 1:
        raise where.error("schema_version", f"this costctl reads version 1, got {raw['schema_version']!r}")
    days = _int(where, "days_per_month", raw.get("days_per_month", DEFAULT_DAYS_PER_MONTH), 31)
    if days < 28:
        raise where.error("days_per_month", f"must be between 28 and 31, got {days}")
    months = _int(where, "months", raw.get("months", 1), 120)
    comps = raw.get("components")
    if not isinstance(comps, list) or not comps:
        raise where.error("components", "expected a non-empty list of components")
    components = tuple(_component(where, c, i, days, base) for i, c in enumerate(comps))
    names = [c.name for c in components]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise where.error("components", f"component name {duplicate!r} is used twice; names must be unique")
    for key in ("gate", "what_if"):
        if key in raw and not isinstance(raw[key], Mapping):
            raise where.error(key, "expected a mapping")
    users = raw.get("users")
    revenue = raw.get("revenue_per_user_usd")
    return Workload(
        components=components,
        days_per_month=days,
        months=max(months, 1),
        growth_pct_per_month=_number(
            where, "growth_pct_per_month", raw.get("growth_pct_per_month", 0), maximum=Decimal(1000)
        ),
        users=_int(where, "users", users, 10**10) if users is not None else None,
        revenue_per_user_usd=_number(where, "revenue_per_user_usd", revenue) if revenue is not None else None,
        gate=dict(raw.get("gate") or {}),
        what_if=dict(raw.get("what_if") or {}),
        source=source,
        name=str(raw["name"]) if raw.get("name") is not None else None,
    )


def load_workload(path: Path) -> Workload:
    """Read and validate a workload YAML file; errors name the file and the field (exit 2)."""
    from costctl.pricing.loader import read_yaml

    if not path.is_file():
        raise InputError("workload file not found", where=str(path))
    try:
        raw = read_yaml(path)
    except InputError as exc:
        raise InputError(exc.message, where=exc.where) from None
    return parse_workload(raw, source=str(path), base=path.parent)


# -------------------------------------------------------------------------------------------- projection


@dataclass(frozen=True)
class ComponentProjection:
    name: str
    model: str
    requests_per_month: int  # top-level requests, retries included, sub-agent calls excluded
    usage: Usage  # one nominal request (first message of a session, no cache, standard API)
    monthly_usage: Usage
    cost: CostBreakdown
    calls_per_month: int  # every priced API call: requests, retries and sub-agent calls
    input_tokens_exact: bool = True
    unpriced: tuple[str, ...] = ()  # what could not be priced (strict=False only)
    tags: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def monthly_cost_usd(self) -> Decimal:
        return self.cost.total_usd

    @property
    def complete(self) -> bool:
        return not self.unpriced


@dataclass(frozen=True)
class WorkloadProjection:
    components: tuple[ComponentProjection, ...]
    on: dt.date
    days_per_month: int
    monthly_by_month: tuple[Decimal, ...]  # month 1..N totals
    workload: Workload

    @property
    def monthly_cost_usd(self) -> Decimal:
        return sum((c.monthly_cost_usd for c in self.components), ZERO)

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.components)

    def component(self, name: str) -> ComponentProjection | None:
        return next((c for c in self.components if c.name == name), None)


def _round_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_EVEN))


def _split(total: int, share: Decimal) -> tuple[int, int]:
    part = _round_int(Decimal(total) * share)
    return part, total - part


def cacheable_prefix(model: ModelPrice, prefix_tokens: int) -> int:
    """Tokens of a static prefix that a cache hit reads: 0 below the model's minimum (or with no cache
    price); OpenAI caches 1,024 + 128k tokens (docs/audit.md#prompt-caching-rules-by-provider)."""
    card = model.current.standard
    minimum = model.min_cacheable_tokens
    if card.cache_read is None or minimum is None or prefix_tokens < minimum:
        return 0
    if model.provider == "openai":
        return OPENAI_CACHE_MIN + (prefix_tokens - OPENAI_CACHE_MIN) // OPENAI_CACHE_STEP * OPENAI_CACHE_STEP
    return prefix_tokens


@dataclass
class _Acc:
    cost: CostBreakdown | None = None
    usage: Usage = field(default_factory=Usage)
    unpriced: list[str] = field(default_factory=list)
    calls: int = 0

    def add(
        self,
        model: ModelPrice,
        per_request: Usage,
        n: int,
        *,
        on: dt.date,
        batch: bool,
        strict: bool,
        what: str,
    ) -> None:
        if n == 0:
            return
        from costctl.cost.price import price_requests

        self.calls += n
        self.usage = self.usage + per_request.scaled(n)
        try:
            priced = price_requests(model, per_request, n, on=on, batch=batch)
        except MissingPriceError as exc:
            if strict:
                raise
            self.unpriced.append(f"{what}: {exc.message}")
            return
        self.cost = priced if self.cost is None else self.cost + priced


def _count(model: ModelPrice, text: str | None) -> tuple[int, bool]:
    if not text:
        return 0, True
    from costctl.tokens.counting import count_text_tokens

    count = count_text_tokens(text, model.tokenizer)
    return count.tokens, count.exact


def _price_share(
    acc: _Acc,
    model: ModelPrice,
    *,
    requests: int,
    prefix: int,
    rest_input: int,
    output: int,
    hit_rate: Decimal,
    batch_share: Decimal,
    on: dt.date,
    strict: bool,
    what: str,
) -> None:
    """Price `requests` identical requests split into cache hits/misses and batch/standard."""
    overflow = context_overflow(model, Usage(input_tokens=prefix + rest_input, output_tokens=output))
    if overflow and requests:
        raise InputError(f"{what}: every request is too large to send: {overflow}")
    cached = cacheable_prefix(model, prefix) if hit_rate > 0 else 0
    card = model.current.standard
    writes = cached > 0 and (card.cache_write_5m is not None)
    hits, misses = _split(requests, hit_rate) if cached else (0, requests)
    base_input = prefix + rest_input
    for count, usage in (
        (hits, Usage(input_tokens=base_input, output_tokens=output, cached_input_tokens=cached)),
        (
            misses,
            Usage(
                input_tokens=base_input, output_tokens=output, cache_write_5m_tokens=cached if writes else 0
            ),
        ),
    ):
        in_batch, standard = _split(count, batch_share)
        acc.add(model, usage, standard, on=on, batch=False, strict=strict, what=what)
        acc.add(model, usage, in_batch, on=on, batch=True, strict=strict, what=f"{what} (batch)")


def _growth(workload: Workload, component: Component) -> Decimal:
    g = (
        component.growth_pct_per_month
        if component.growth_pct_per_month is not None
        else workload.growth_pct_per_month
    )
    return g


def _project_component(
    catalog: Catalog, workload: Workload, comp: Component, *, on: dt.date, month: int, strict: bool
) -> ComponentProjection:
    model = catalog.get(comp.model, where=f"{workload.source}: component {comp.name!r}: field 'model'")
    system_tokens, sys_exact = _count(model, comp.system_prompt_text)
    system_tokens = system_tokens or comp.system_prompt_tokens
    if comp.compress_pct:
        system_tokens = _round_int(Decimal(system_tokens) * (100 - comp.compress_pct) / 100)
    prompt_tokens, prompt_exact = _count(model, comp.prompt_text)
    user_tokens = prompt_tokens or comp.input_tokens
    growth = (1 + _growth(workload, comp) / 100) ** month
    base = comp.requests_per_month * growth * (1 + comp.retry_rate)
    requests = _round_int(base)
    acc = _Acc()
    notes: list[str] = []
    routed, kept = _split(requests, comp.route_share) if comp.route_model else (0, requests)
    targets = [(model, kept)]
    if routed:
        route_model = catalog.get(comp.route_model or "", where=f"what-if route for {comp.name!r}")
        targets.append((route_model, routed))
    for target, n in targets:
        if comp.cache_hit_rate > 0 and system_tokens and cacheable_prefix(target, system_tokens) == 0 and n:
            notes.append(
                f"{comp.name}: {target.id} cannot cache a {system_tokens}-token prefix "
                f"(minimum {target.min_cacheable_tokens or 'unknown'}, or no cache price); no cache applied"
            )
        what = f"component {comp.name!r} on {target.id}"
        if comp.history and comp.messages_per_session:
            sessions = _round_int(Decimal(n) / comp.messages_per_session)
            exchange = user_tokens + comp.output_tokens
            for k in range(comp.messages_per_session):
                _price_share(
                    acc, target, requests=sessions, prefix=system_tokens, rest_input=user_tokens + k * exchange,
                    output=comp.output_tokens, hit_rate=comp.cache_hit_rate, batch_share=comp.batch_share,
                    on=on, strict=strict, what=what,
                )  # fmt: skip
        else:
            _price_share(
                acc, target, requests=n, prefix=system_tokens, rest_input=user_tokens, output=comp.output_tokens,
                hit_rate=comp.cache_hit_rate, batch_share=comp.batch_share, on=on, strict=strict, what=what,
            )  # fmt: skip
        if comp.fan_out and comp.fan_out.agents:
            # Sub-agents re-send a fixed context: a static prefix that the cache lever can read.
            _price_share(
                acc, target, requests=n * comp.fan_out.agents, prefix=comp.fan_out.context_tokens, rest_input=0,
                output=comp.fan_out.output_tokens, hit_rate=comp.cache_hit_rate, batch_share=comp.batch_share,
                on=on, strict=strict, what=f"{what} sub-agents",
            )  # fmt: skip
    cost = acc.cost or CostBreakdown(model.id, ZERO, ZERO, ZERO, ZERO, priced_on=on)
    return ComponentProjection(
        name=comp.name,
        model=model.id,
        requests_per_month=requests,
        usage=Usage(input_tokens=system_tokens + user_tokens, output_tokens=comp.output_tokens),
        monthly_usage=acc.usage,
        cost=cost,
        calls_per_month=acc.calls,
        input_tokens_exact=sys_exact and prompt_exact,
        unpriced=tuple(acc.unpriced),
        tags=comp.tags,
        notes=tuple(notes),
    )


def project_workload(
    catalog: Catalog, workload: Workload, *, on: dt.date, months: int = 1, strict: bool = True
) -> WorkloadProjection:
    """Month-1 projection per component (plus month totals for `months` months of growth).

    strict=True raises `MissingPriceError` (exit 3) when a needed price is unpublished; strict=False keeps
    the priced part and lists the rest in each component's `unpriced` (the CI gate decides with it).
    """
    components = tuple(
        _project_component(catalog, workload, c, on=on, month=0, strict=strict) for c in workload.components
    )
    totals = [sum((c.monthly_cost_usd for c in components), ZERO)]
    for month in range(1, max(months, 1)):
        later = [
            _project_component(catalog, workload, c, on=on, month=month, strict=strict)
            for c in workload.components
        ]
        totals.append(sum((c.monthly_cost_usd for c in later), ZERO))
    return WorkloadProjection(
        components=components,
        on=on,
        days_per_month=workload.days_per_month,
        monthly_by_month=tuple(totals),
        workload=workload,
    )


def with_components(workload: Workload, **changes: Any) -> Workload:
    """A copy of the workload with the same change applied to every component (what-if levers)."""
    return replace(workload, components=tuple(replace(c, **changes) for c in workload.components))
