"""The per-request rule: one request's worst case against a policy's limits, model by model.

Worst case = the prompt's input tokens, counted with the model's tokenizer (chat-framed), plus output at
`max_tokens`, priced by `costctl.cost.price.price_usage` (the one formula). `check_request_budget` (commands)
and `BudgetGuard` (the shared-ledger guard) both decide from these candidates: the requested model first,
then the fallback; the first that satisfies every limit wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costctl.cost.context import context_overflow
from costctl.cost.price import price_usage
from costctl.errors import InputError
from costctl.models import ModelPrice, Usage


@dataclass(frozen=True)
class BudgetPolicy:
    """Limits for one request; None = no limit. Money in USD as Decimal (a str or int is converted)."""

    max_cost_usd: Decimal | None = None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    max_total_tokens: int | None = None
    fallback_model: str | None = None

    def __post_init__(self) -> None:
        if self.max_cost_usd is not None:
            if isinstance(self.max_cost_usd, float):
                # A float budget like 0.1 is not 0.1; convert through its repr so the user's digits are kept.
                object.__setattr__(self, "max_cost_usd", Decimal(repr(self.max_cost_usd)))
            elif not isinstance(self.max_cost_usd, Decimal):
                object.__setattr__(self, "max_cost_usd", Decimal(str(self.max_cost_usd)))
            if not self.max_cost_usd.is_finite() or self.max_cost_usd < 0:
                raise InputError(f"budget must be a non-negative amount, got {self.max_cost_usd}")
        for name in ("max_input_tokens", "max_output_tokens", "max_total_tokens"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise InputError(f"{name} must be a non-negative whole number, got {value!r}")


@dataclass(frozen=True)
class Candidate:
    model: str
    input_tokens: int
    input_tokens_exact: bool
    output_tokens: int
    estimated_cost_usd: Decimal
    violations: tuple[str, ...]
    context_overflow: str | None = None  # why the provider would refuse the request (it is also a violation)

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class BudgetDecision:
    decision: str  # allow | fallback | reject
    model_used: str | None
    estimated_cost_usd: Decimal
    candidates: tuple[Candidate, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.decision != "reject"

    def reasons(self) -> list[str]:
        return [f"{c.model}: {v}" for c in self.candidates for v in c.violations]


def violations(policy: BudgetPolicy, input_tokens: int, output_tokens: int, cost: Decimal) -> tuple[str, ...]:
    found = []
    if policy.max_cost_usd is not None and cost > policy.max_cost_usd:
        found.append(f"worst-case cost ${cost:f} exceeds the budget ${policy.max_cost_usd:f}")
    if policy.max_input_tokens is not None and input_tokens > policy.max_input_tokens:
        found.append(f"{input_tokens} input tokens exceed the limit {policy.max_input_tokens}")
    if policy.max_output_tokens is not None and output_tokens > policy.max_output_tokens:
        found.append(f"max tokens {output_tokens} exceeds the limit {policy.max_output_tokens}")
    if policy.max_total_tokens is not None and input_tokens + output_tokens > policy.max_total_tokens:
        found.append(
            f"{input_tokens + output_tokens} total tokens exceed the limit {policy.max_total_tokens}"
        )
    return tuple(found)


def chat_messages(
    prompt: str | Sequence[Mapping[str, Any]], system: str | None
) -> Sequence[Mapping[str, Any]]:
    if isinstance(prompt, str):
        return ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
    return list(prompt)


def price_candidate(
    price: ModelPrice,
    policy: BudgetPolicy,
    *,
    max_tokens: int,
    on: dt.date,
    messages: Sequence[Mapping[str, Any]] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    input_tokens: int | None = None,
) -> Candidate:
    """One model's worst case for a request: the prompt counted with its tokenizer (or `input_tokens`
    when the caller counted already) plus `max_tokens` of output, and the policy limits it breaks."""
    if input_tokens is None:
        from costctl.tokens.counting import count_chat_tokens

        count = count_chat_tokens(messages or [], price.tokenizer, tools=tools)
        input_tokens, exact = count.tokens, count.exact
    else:
        exact = True
    usage = Usage(input_tokens=input_tokens, output_tokens=max_tokens)
    cost = price_usage(price, usage, on=on).total_usd
    # a request the provider would refuse is never allowed, whatever it would cost
    overflow = context_overflow(price, usage)
    return Candidate(
        model=price.id,
        input_tokens=input_tokens,
        input_tokens_exact=exact,
        output_tokens=max_tokens,
        estimated_cost_usd=cost,
        violations=violations(policy, input_tokens, max_tokens, cost) + ((overflow,) if overflow else ()),
        context_overflow=overflow,
    )


def check_fits_some_context(candidates: Sequence[Candidate]) -> None:
    """A request that no model tried could even accept is an input error (exit 2), not a budget verdict:
    it exceeds every context window, so no budget could ever allow it."""
    if candidates and all(c.context_overflow for c in candidates):
        raise InputError(f"{candidates[0].context_overflow}; no model tried can take this request")


def check_max_tokens(max_tokens: Any) -> int:
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
        raise InputError(f"max tokens must be a non-negative whole number, got {max_tokens!r}")
    return max_tokens
