"""Request budgets: a pre-flight guard for one request, as production gateways do.

Stable Python API (re-exported lazily by `costctl`):

    from costctl import BudgetPolicy, check_request_budget
    decision = check_request_budget(
        "Explain transformers architecture.", model="gpt-4.1", max_tokens=500,
        policy=BudgetPolicy(max_cost_usd=Decimal("0.001"), fallback_model="gpt-4.1-mini"),
    )
    decision.decision      # "allow" | "fallback" | "reject"
    decision.model_used    # the model to call (None on reject)
    decision.estimated_cost_usd  # worst case of the model used (of the requested model on reject)

Worst case = the prompt's input tokens, counted with the model's tokenizer (chat-framed), plus output at
`max_tokens`. The requested model is tried first, then the fallback; the first that satisfies every limit
of the policy wins. A policy without limits allows everything.
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
from costctl.models import Usage
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table
from costctl.values import utc_today


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


def _violations(
    policy: BudgetPolicy, input_tokens: int, output_tokens: int, cost: Decimal
) -> tuple[str, ...]:
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


def _messages(prompt: str | Sequence[Mapping[str, Any]], system: str | None) -> Sequence[Mapping[str, Any]]:
    if isinstance(prompt, str):
        return ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
    return list(prompt)


def check_request_budget(
    prompt: str | Sequence[Mapping[str, Any]],
    *,
    model: str,
    max_tokens: int,
    policy: BudgetPolicy,
    catalog: Catalog | None = None,
    on: dt.date | None = None,
    system: str | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> BudgetDecision:
    """Decide allow / fallback / reject for one request (a prompt text or a list of chat messages)."""
    from costctl.tokens.counting import count_chat_tokens

    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
        raise InputError(f"max tokens must be a non-negative whole number, got {max_tokens!r}")
    if catalog is None:
        from costctl.pricing.catalog import load_catalog

        catalog = load_catalog()
    day = on or utc_today()
    messages = _messages(prompt, system)
    names = [model] + ([policy.fallback_model] if policy.fallback_model else [])
    # Resolve every model first: a typo in the fallback is a usage error even when it is not needed.
    prices = [catalog.get(name, where="--fallback" if i else "--model") for i, name in enumerate(names)]
    candidates = []
    for i, price in enumerate(prices):
        count = count_chat_tokens(messages, price.tokenizer, tools=tools)
        usage = Usage(input_tokens=count.tokens, output_tokens=max_tokens)
        cost = price_usage(price, usage, on=day).total_usd
        # a request the provider would refuse is never allowed, whatever it would cost
        overflow = context_overflow(price, usage)
        candidate = Candidate(
            model=price.id,
            input_tokens=count.tokens,
            input_tokens_exact=count.exact,
            output_tokens=max_tokens,
            estimated_cost_usd=cost,
            violations=_violations(policy, count.tokens, max_tokens, cost)
            + ((overflow,) if overflow else ()),
        )
        candidates.append(candidate)
        if candidate.ok:
            decision = "allow" if i == 0 else "fallback"
            return BudgetDecision(decision, candidate.model, cost, tuple(candidates))
    return BudgetDecision("reject", None, candidates[0].estimated_cost_usd, tuple(candidates))


def budget_report(decision: BudgetDecision, policy: BudgetPolicy, *, on: dt.date) -> Report:
    """JSON: `decision`, `model_used`, worst-case `estimated_cost_usd`, and every model tried."""
    rows = [
        {
            "model": c.model,
            "input_tokens": c.input_tokens,
            "input_tokens_exact": c.input_tokens_exact,
            "output_tokens": c.output_tokens,
            "estimated_cost_usd": c.estimated_cost_usd,
            "within_budget": c.ok,
            "violations": list(c.violations),
        }
        for c in decision.candidates
    ]
    data = {
        "decision": decision.decision,
        "model_used": decision.model_used,
        "estimated_cost_usd": decision.estimated_cost_usd,
        "priced_on": on,
        "policy": {
            "max_cost_usd": policy.max_cost_usd,
            "max_input_tokens": policy.max_input_tokens,
            "max_output_tokens": policy.max_output_tokens,
            "max_total_tokens": policy.max_total_tokens,
            "fallback_model": policy.fallback_model,
        },
        "candidates": rows,
    }
    verdict = {
        "allow": f"allow: {decision.model_used}",
        "fallback": f"fallback to {decision.model_used}",
        "reject": "reject: no model fits the budget",
    }[decision.decision]
    return Report(
        command="estimate",
        data=data,
        title=f"Request budget: {verdict}",
        tables=[
            Table(
                columns=[
                    Column("model", "Model"),
                    Column("input_tokens", "Input tok", "int"),
                    Column("input_tokens_exact", "Count", "exact"),
                    Column("output_tokens", "Max output", "int"),
                    Column("estimated_cost_usd", "Worst case", "usd"),
                    Column("within_budget", "Within budget"),
                ],
                rows=rows,
            )
        ],
        notes=decision.reasons(),
    )


@dataclass(frozen=True)
class BudgetRequest:
    """`costctl estimate --budget ...`: one request (a prompt and its output cap) against a policy."""

    models: Sequence[str]
    prompt: str | None
    max_tokens: int | None
    policy: BudgetPolicy
    on: dt.date
    system: str | None = None


def run_budget_check(catalog: Catalog, request: BudgetRequest) -> Report:
    """The decision as a report; exit code 1 when the request is rejected (allow and fallback are 0)."""
    if len(request.models) != 1:
        raise InputError("a request budget checks one --model (the fallback goes in --fallback)")
    if request.max_tokens is None:
        raise InputError("a request budget needs --max-tokens N (the worst-case output)")
    if request.prompt is None:
        raise InputError("a request budget needs the prompt: --text, --file or stdin")
    decision = check_request_budget(
        request.prompt,
        model=request.models[0],
        max_tokens=request.max_tokens,
        policy=request.policy,
        catalog=catalog,
        on=request.on,
        system=request.system,
    )
    report = budget_report(decision, request.policy, on=request.on)
    report.exit_code = 0 if decision.allowed else 1
    return report
