"""BudgetGuard: check (reserve the worst case against every cap), call the model, record (the actual cost).

    from costctl.budget import BudgetGuard, GuardRequest, load_policy, open_ledger
    guard = BudgetGuard(load_policy("budget.yaml"), open_ledger("costctl-budget.sqlite"))
    decision = guard.check(GuardRequest(model="gpt-4.1", max_tokens=500, prompt="...", user="42"))
    if decision.allowed:
        response = call(decision.model_used, ...)     # the fallback model when decision.decision == "fallback"
        guard.record(decision, response.usage)         # OpenAI, Anthropic or Gemini usage

The decision for one request follows the per-request rule exactly (costctl.budget.request): the requested
model first, then the policy's fallback; a model is refused when its worst case breaks a per-request limit
OR would cross the hard limit of any cap that applies to the request (its user, feature, team, API key, a
tag, or the global cap) in the current UTC day / month. The first model that fits is reserved in the ledger
atomically against all those caps at once; none fits -> reject (kept in the ledger, holding nothing).

A reservation that is never recorded expires `reservation.ttl_seconds` after the check: its worst case is
then kept as spent (`on_expiry: charge`, the default: the call may have been billed) or freed (`release`).
A late `record` still replaces it with the actual cost. Money is Decimal throughout; the ledger keeps exact
amounts beside its integer-picodollar counters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costctl.budget.ledger import (
    BucketState,
    Hold,
    Ledger,
    Reservation,
    epoch_us,
    from_epoch_us,
    from_pusd,
    new_request_id,
    to_pusd,
)
from costctl.budget.policy import Cap, GuardPolicy
from costctl.budget.request import (
    Candidate,
    chat_messages,
    check_fits_some_context,
    check_max_tokens,
    price_candidate,
)
from costctl.budget.usage import usage_from_provider
from costctl.cost.price import price_usage
from costctl.errors import InputError
from costctl.models import ZERO, ModelPrice, Usage
from costctl.pricing.catalog import Catalog
from costctl.values import MAX_TOKENS_PER_REQUEST, parse_count

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class GuardRequest:
    """One request about to be sent. Give the prompt (text or chat messages) or `input_tokens` already
    counted; every key that is set (user, feature, team, api_key, tags) brings its caps into play."""

    model: str
    max_tokens: int
    prompt: str | Sequence[Mapping[str, Any]] | None = None
    system: str | None = None
    tools: Sequence[Mapping[str, Any]] | None = None
    input_tokens: int | None = None
    user: str | None = None
    feature: str | None = None
    team: str | None = None
    api_key: str | None = None  # an identifier of the key (a name or hash), never the secret
    tags: Mapping[str, str] = field(default_factory=dict)
    request_id: str | None = None

    def __post_init__(self) -> None:
        # one request: the same bound as a workload's request (ten times the largest context window sold)
        parse_count(self.max_tokens, "max_tokens", maximum=MAX_TOKENS_PER_REQUEST)
        if self.input_tokens is not None:
            parse_count(self.input_tokens, "input_tokens", maximum=MAX_TOKENS_PER_REQUEST)

    def key_value(self, cap: Cap) -> str | None:
        if cap.key == "global":
            return "*"
        tag = cap.tag
        value = self.tags.get(tag) if tag is not None else getattr(self, cap.key)
        return None if value is None or value == "" else str(value)


@dataclass(frozen=True)
class CapStatus:
    """One cap bucket as this decision left it (or found it, when it refused the request)."""

    cap: str
    key: str
    key_value: str
    period: str
    hard_usd: Decimal | None
    soft_usd: Decimal | None
    spent_usd: Decimal
    reserved_usd: Decimal
    requests: int
    warn_level_pct: int | None  # the highest warn_at_pct reached by spent + reserved
    soft_exceeded: bool

    @property
    def used_usd(self) -> Decimal:
        return self.spent_usd + self.reserved_usd

    @property
    def remaining_usd(self) -> Decimal | None:
        return None if self.hard_usd is None else max(self.hard_usd - self.used_usd, ZERO)

    @property
    def label(self) -> str:
        scope = "global" if self.key == "global" else f"{self.key}={self.key_value}"
        return f"cap {self.cap} ({scope}, {self.period})"


@dataclass(frozen=True)
class Decision:
    request_id: str
    decision: str  # allow | fallback | reject
    model_requested: str
    model_used: str | None
    reserved_usd: Decimal  # the worst case now held in the ledger (0 on reject)
    estimated_cost_usd: Decimal  # worst case of the model used (of the requested model on reject)
    priced_on: dt.date
    at: dt.datetime
    expires_at: dt.datetime | None
    candidates: tuple[Candidate, ...]
    buckets: tuple[tuple[Cap, BucketState], ...] = ()  # each applying cap's bucket, as the decision left it
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision != "reject"

    @property
    def caps(self) -> tuple[CapStatus, ...]:
        """Each applying cap as the decision left it (or found it, when it refused the request)."""
        return tuple(cap_status(cap, state) for cap, state in self.buckets)

    def reasons(self) -> list[str]:
        return [f"{c.model}: {v}" for c in self.candidates for v in c.violations]


@dataclass(frozen=True)
class Recorded:
    request_id: str
    model: str
    usage: Usage
    actual_usd: Decimal
    reserved_usd: Decimal  # the worst case the check reserved (the estimate)
    late: bool  # the reservation had expired before the usage arrived

    @property
    def actual_vs_estimate_pct(self) -> Decimal | None:
        return None if not self.reserved_usd else self.actual_usd / self.reserved_usd * 100


def period_names(when: dt.datetime) -> dict[str, str]:
    """The current bucket period of each cap period (day, month) at `when` (UTC)."""
    return {"day": when.date().isoformat(), "month": f"{when.year:04d}-{when.month:02d}"}


def period_of(cap: Cap, when: dt.datetime) -> str:
    return period_names(when)[cap.period]


def cap_status(cap: Cap, state: BucketState) -> CapStatus:
    used = from_pusd(state.spent_pusd + state.reserved_pusd)
    hard = cap.hard_usd
    level = None
    if hard:
        reached = [p for p in cap.warn_at_pct if used * 100 >= hard * p]
        level = max(reached) if reached else None
    return CapStatus(
        cap=cap.name,
        key=cap.key,
        key_value=state.key_value,
        period=state.period,
        hard_usd=hard,
        soft_usd=cap.soft_usd,
        spent_usd=from_pusd(state.spent_pusd),
        reserved_usd=from_pusd(state.reserved_pusd),
        requests=state.requests,
        warn_level_pct=level,
        soft_exceeded=cap.soft_usd is not None and used > cap.soft_usd,
    )


class BudgetGuard:
    """The three steps of a guarded call against a shared ledger (see the module docstring)."""

    def __init__(
        self,
        policy: GuardPolicy,
        ledger: Ledger,
        *,
        catalog: Catalog | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if catalog is None:
            from costctl.pricing.catalog import load_catalog

            catalog = load_catalog()
        self.policy = policy
        self.ledger = ledger
        self.catalog = catalog
        self.clock = clock
        self._caps = {c.name: c for c in policy.caps}
        self._hard_pusd = {
            c.name: None if c.hard_usd is None else to_pusd(c.hard_usd, up=False) for c in policy.caps
        }
        self._prices: dict[tuple[str, str], ModelPrice] = {}
        self._ttl = dt.timedelta(seconds=policy.reservation_ttl_seconds)
        self._ttl_us = self._ttl // dt.timedelta(microseconds=1)
        self._lowest_warn_pct = {c.name: min(c.warn_at_pct, default=None) for c in policy.caps}
        if policy.per_request.fallback_model:  # a typo in the fallback is an error before any request
            catalog.get(policy.per_request.fallback_model, where="per_request.fallback_model")

    def _price(self, name: str, where: str) -> ModelPrice:
        """The catalog's model for a name; the catalog does not change, so each name is looked up once."""
        found = self._prices.get((name, where))
        if found is None:
            found = self._prices[(name, where)] = self.catalog.get(name, where=where)
        return found

    # ---------------------------------------------------------------- check

    def holds(self, request: GuardRequest, when: dt.datetime) -> list[tuple[Cap, Hold]]:
        """The cap buckets a request is checked against."""
        found = []
        periods = period_names(when)  # once per request, not once per cap
        for cap in self.policy.caps:
            value = request.key_value(cap)
            if value is None or (cap.value is not None and value != cap.value):
                continue
            found.append((cap, Hold(cap.name, periods[cap.period], value, self._hard_pusd[cap.name])))
        return found

    def check(self, request: GuardRequest) -> Decision:
        """Decide allow / fallback / reject and, unless rejected, reserve the worst case in the ledger."""
        check_max_tokens(request.max_tokens)
        if request.prompt is None and request.input_tokens is None:
            raise InputError("a guarded request needs its prompt or its input_tokens")
        if request.input_tokens is not None:
            check_max_tokens(request.input_tokens)
        now = self.clock()
        day = now.date()
        policy = self.policy.per_request
        names = [request.model] + ([policy.fallback_model] if policy.fallback_model else [])
        prices = [
            self._price(name, "per_request.fallback_model" if i else "model") for i, name in enumerate(names)
        ]
        messages = None if request.prompt is None else chat_messages(request.prompt, request.system)
        holds = self.holds(request, now)
        now_us = epoch_us(now)
        request_id = request.request_id or new_request_id(now_us)
        ttl = self._ttl
        charge = self.policy.on_expiry == "charge"
        candidates: list[Candidate] = []
        for i, price in enumerate(prices):
            candidate = price_candidate(
                price,
                policy,
                max_tokens=request.max_tokens,
                on=day,
                messages=messages,
                tools=request.tools,
                input_tokens=request.input_tokens,
            )
            if not candidate.ok:
                candidates.append(candidate)
                continue
            reservation = self._reservation(request, request_id, now_us, candidate, i, holds, ttl)
            outcome = self.ledger.reserve(reservation, now_us=now_us, charge_expired=charge)
            states = self._states(holds, outcome.buckets)
            if not outcome.admitted:
                statuses = [cap_status(cap, state) for cap, state in states]
                amount = candidate.estimated_cost_usd
                blocked = tuple(
                    f"{s.label}: ${s.spent_usd:f} spent + ${s.reserved_usd:f} reserved + ${amount:f} worst case "
                    f"exceeds the hard limit ${s.hard_usd:f}"
                    for s in statuses
                    if s.hard_usd is not None and s.used_usd + amount > s.hard_usd
                ) or ("a cap's hard limit was reached",)
                candidates.append(dataclasses.replace(candidate, violations=blocked))
                continue
            candidates.append(candidate)
            return Decision(
                request_id=request_id,
                decision="allow" if i == 0 else "fallback",
                model_requested=prices[0].id,
                model_used=candidate.model,
                reserved_usd=candidate.estimated_cost_usd,
                estimated_cost_usd=candidate.estimated_cost_usd,
                priced_on=day,
                at=now,
                expires_at=now + ttl,
                candidates=tuple(candidates),
                buckets=states,
                warnings=self._warnings(states),
            )
        check_fits_some_context(candidates)
        first = candidates[0]
        rejected = self._reservation(request, request_id, now_us, first, 0, [], None)
        rejected.model = None
        rejected.reasons = [f"{c.model}: {v}" for c in candidates for v in c.violations]
        self.ledger.reject(rejected)
        return Decision(
            request_id=request_id,
            decision="reject",
            model_requested=prices[0].id,
            model_used=None,
            reserved_usd=ZERO,
            estimated_cost_usd=first.estimated_cost_usd,
            priced_on=day,
            at=now,
            expires_at=None,
            candidates=tuple(candidates),
            buckets=self._states(holds, self.ledger.buckets_named([h.bucket for _, h in holds]))
            if holds
            else (),
        )

    def _reservation(
        self,
        request: GuardRequest,
        request_id: str,
        now_us: int,
        candidate: Candidate,
        index: int,
        holds: Sequence[tuple[Cap, Hold]],
        ttl: dt.timedelta | None,
    ) -> Reservation:
        return Reservation(
            request_id=request_id,
            ts_us=now_us,
            decision="allow" if index == 0 else "fallback",
            model=candidate.model,
            model_requested=request.model,
            input_tokens=candidate.input_tokens,
            max_tokens=request.max_tokens,
            reserved_usd=candidate.estimated_cost_usd,
            expires_us=None if ttl is None else now_us + self._ttl_us,
            holds=[h for _, h in holds],
            user_id=request.user,
            feature=request.feature,
            team=request.team,
            api_key=request.api_key,
            tags={str(k): str(v) for k, v in request.tags.items()},
        )

    def _states(
        self, holds: Sequence[tuple[Cap, Hold]], states: Sequence[BucketState]
    ) -> tuple[tuple[Cap, BucketState], ...]:
        by_bucket = {s.bucket: s for s in states}
        return tuple((cap, by_bucket[hold.bucket]) for cap, hold in holds if hold.bucket in by_bucket)

    def _warnings(self, states: Sequence[tuple[Cap, BucketState]]) -> tuple[str, ...]:
        """Soft warnings: every cap at or past a warn_at_pct of its hard limit, or past its soft limit.

        Said on every request while it holds (a record below the worst case can bring a cap back under)."""
        found = []
        for cap, state in states:
            used = state.spent_pusd + state.reserved_pusd
            hard = state.hard_pusd
            soft = None if cap.soft_usd is None else to_pusd(cap.soft_usd, up=False)
            lowest = self._lowest_warn_pct[cap.name]
            at_warn = hard is not None and hard > 0 and lowest is not None and used * 100 >= hard * lowest
            if not at_warn and (soft is None or used <= soft):
                continue  # the usual case, decided in integers
            s = cap_status(cap, state)
            if s.hard_usd and s.warn_level_pct is not None:
                used_pct = (s.used_usd / s.hard_usd * 100).quantize(Decimal("0.1"))
                found.append(
                    f"{s.label}: {used_pct:f} % of the hard limit ${s.hard_usd:f} used "
                    f"(warn at {s.warn_level_pct} %)"
                )
            if s.soft_exceeded and s.soft_usd is not None:
                found.append(f"{s.label}: ${s.used_usd:f} used, over the soft limit ${s.soft_usd:f}")
        return tuple(found)

    # ---------------------------------------------------------------- record

    def record(self, decision: Decision | str, usage: Any, *, provider: str | None = None) -> Recorded:
        """Replace the reservation with the actual cost of `usage` (an OpenAI, Anthropic or Gemini usage
        object, or a `Usage`). `decision` may be the request id when the Decision object is gone."""
        if isinstance(decision, Decision):
            request_id = decision.request_id
            if decision.model_used is None:
                raise InputError(f"request {request_id!r} was rejected; there is nothing to record")
            model, day, reserved = decision.model_used, decision.priced_on, decision.reserved_usd
        else:
            request_id = decision
            row = self.ledger.row(request_id)
            if row is None:
                raise InputError(f"request {request_id!r} is not in the ledger")
            if row["model"] is None:
                raise InputError(f"request {request_id!r} was rejected; there is nothing to record")
            model, reserved = row["model"], Decimal(row["reserved_usd"])
            day = from_epoch_us(int(row["ts_us"])).date()
        normalised = usage_from_provider(usage, provider=provider)
        price = self._price(model, "ledger model")
        actual = price_usage(price, normalised, on=day).total_usd
        outcome = self.ledger.settle(request_id, normalised, actual, now_us=epoch_us(self.clock()))
        return Recorded(
            request_id=request_id,
            model=price.id,
            usage=normalised,
            actual_usd=actual,
            reserved_usd=reserved,
            late=outcome.previous_state == "expired",
        )

    def expire(self) -> int:
        """Expire overdue reservations now (every check also does it)."""
        return self.ledger.expire(now_us=epoch_us(self.clock()), charge=self.policy.on_expiry == "charge")
