"""RAG vs fine-tune vs the whole knowledge base in a cached prompt (docs/breakeven.md#rag-vs-fine-tune-vs-long-context).

Per-query token costs go through the one formula (`price_usage`/`price_requests`); this module adds the
non-token bills: vector-DB plan minimum = max(minimum, usage), re-embedding churn, retraining cadence,
data generation, evaluation, labour hours and amortised one-time costs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from costctl.breakeven.prices import (
    MONTH_SECONDS,
    fine_tuned_model,
    monthly_usd,
    override_card,
    per_request_usd,
    to_decimal_physics,
    training_model,
)
from costctl.breakeven.scenario import FineTune, RagScenario
from costctl.errors import InputError
from costctl.models import ModelPrice, Usage
from costctl.pricing.catalog import Catalog

MTOK = Decimal(1_000_000)
ZERO = Decimal(0)


@dataclass
class Assumption:
    name: str
    value: str
    source: str


@dataclass
class Option:
    """One way to answer queries; `monthly(n)` is its total monthly cost at n queries a month."""

    name: str
    kind: str  # rag | fine-tune | long-context
    model: str
    per_query_usd: Decimal  # at the scenario's volume, vector-DB reads included for RAG
    per_query_parts: dict[str, Decimal]
    fixed_parts: dict[str, Decimal]  # monthly, at the scenario's volume
    monthly: Callable[[Decimal], Decimal]
    error_usd_per_query: Decimal = ZERO  # quality adjustment (1 − accuracy)·cost per error
    extra: dict[str, object] = field(default_factory=dict)

    def total(self, n: Decimal, *, quality: bool = False) -> Decimal:
        return self.monthly(n) + (n * self.error_usd_per_query if quality else ZERO)


@dataclass
class Crossing:
    option: str
    against: str
    queries_per_month: Decimal | None
    direction: str  # "cheaper above" | "cheaper below" | "never" | "always"
    reason: str


class Resolver:
    """Catalog lookups with the scenario's explicit overrides applied (and recorded as assumptions)."""

    def __init__(
        self,
        catalog: Catalog,
        scenario: RagScenario | None,
        on: dt.date | None,
        assumptions: list[Assumption],
        overrides: dict[str, Any] | None = None,
    ) -> None:
        self.catalog = catalog
        self.on = on
        self.assumptions = assumptions
        self.overrides = overrides if overrides is not None else (scenario.prices if scenario else {})
        for name in self.overrides:
            catalog.get(name, where=f"prices.{name}")

    def model(self, name: str, where: str) -> ModelPrice:
        base = self.catalog.get(name, where=where)
        for key, override in self.overrides.items():
            if self.catalog.get(key).id == base.id:
                changes = {
                    k: v
                    for k in ("input", "cache_read", "cache_write_5m", "output")
                    if (v := getattr(override, f"{k}_usd_per_mtok")) is not None
                }
                model = override_card(base, self.on, changes, override.source)
                text = ", ".join(f"{k} ${v}/Mtok" for k, v in changes.items())
                self.assumptions.append(Assumption(f"price override {base.id}", text, override.source))
                return model
        return base


def _retrains_per_month(ft: FineTune, churn: Decimal, where: str) -> tuple[Decimal, str]:
    r = ft.retrain
    if r.per_month is not None and r.max_stale_fraction is not None:
        raise InputError(f"{where}.retrain: give per_month or max_stale_fraction, not both")
    if r.per_month is not None:
        if r.per_month < 0:
            raise InputError(f"{where}.retrain.per_month: must not be negative, got {r.per_month}")
        return r.per_month, "scenario (fixed schedule)"
    if r.max_stale_fraction is not None:
        if r.max_stale_fraction <= 0:
            raise InputError(f"{where}.retrain.max_stale_fraction: must be positive")
        return churn / r.max_stale_fraction, "churn ÷ tolerated staleness (docs/breakeven.md#defaults)"
    return ZERO, "no retraining"


def _check(s: RagScenario) -> None:
    if s.queries_per_month <= 0:
        raise InputError(f"queries_per_month: must be positive, got {s.queries_per_month}")
    for name, value in (
        ("query_tokens", s.query_tokens),
        ("output_tokens", s.output_tokens),
        ("knowledge_base.tokens", s.knowledge_base.tokens),
    ):
        if value < 0:
            raise InputError(f"{name}: must not be negative, got {value}")
    if not (0 <= s.knowledge_base.churn_per_month <= 1):
        raise InputError("knowledge_base.churn_per_month: must be a fraction between 0 and 1")
    if s.amortisation_months < 1:
        raise InputError("amortisation_months: must be at least 1")
    if s.labour_usd_per_hour < 0:
        raise InputError("labour_usd_per_hour: must not be negative")


def build_options(
    s: RagScenario,
    catalog: Catalog,
    on: dt.date | None,
    assumptions: list[Assumption],
    *,
    labour_rate: Decimal | None = None,
    record: bool = True,
) -> tuple[list[Option], list[str]]:
    """The options of a scenario; `labour_rate` overrides the scenario's (0 gives the no-labour view)."""
    _check(s)
    notes: list[str] = []
    sink: list[Assumption] = assumptions if record else []
    res = Resolver(catalog, s, on, sink)
    rate = s.labour_usd_per_hour if labour_rate is None else labour_rate
    months = Decimal(s.amortisation_months)
    kb = s.knowledge_base
    options: list[Option] = []

    # RAG
    rag_model = res.model(s.rag.model, "rag.model")
    rag_usage = Usage(
        input_tokens=s.rag.system_tokens + s.query_tokens + s.rag.chunks * s.rag.chunk_tokens,
        output_tokens=s.output_tokens,
    )
    c_llm = per_request_usd(rag_model, rag_usage, on)
    emb_model = res.model(s.rag.embedding_model, "rag.embedding_model") if s.rag.embedding_model else None
    c_emb = per_request_usd(emb_model, Usage(input_tokens=s.query_tokens), on) if emb_model else ZERO
    churn_tokens = int((kb.churn_per_month * kb.tokens).to_integral_value())
    reembed = monthly_usd(emb_model, Usage(input_tokens=churn_tokens), Decimal(1), on) if emb_model else ZERO
    initial_embed = (
        monthly_usd(emb_model, Usage(input_tokens=kb.tokens), Decimal(1), on) if emb_model else ZERO
    )
    vdb = s.rag.vector_db
    per_query_reads = vdb.read_units_per_query * vdb.read_usd_per_million_units / MTOK
    churned_chunks = Decimal(churn_tokens) / Decimal(max(1, s.rag.chunk_tokens))
    writes = vdb.write_units_per_month + churned_chunks * vdb.write_units_per_churned_chunk
    vdb_usage_fixed = (
        vdb.storage_gb * vdb.storage_usd_per_gb_month + writes * vdb.write_usd_per_million_units / MTOK
    )
    rag_labour = s.rag.maintenance_hours_per_month * rate
    rag_one_time = (s.rag.one_time_hours * rate + s.rag.one_time_usd + initial_embed) / months

    def vdb_bill(n: Decimal) -> Decimal:
        # The plan minimum is a commitment usage grows into: bill = max(minimum, usage) (docs/breakeven.md#rag-vs-fine-tune-vs-long-context).
        return max(vdb.plan_minimum_usd_per_month, vdb_usage_fixed + n * per_query_reads)

    def rag_monthly(n: Decimal) -> Decimal:
        return (
            monthly_usd(rag_model, rag_usage, n, on)
            + (monthly_usd(emb_model, Usage(input_tokens=s.query_tokens), n, on) if emb_model else ZERO)
            + vdb_bill(n)
            + reembed
            + rag_labour
            + rag_one_time
        )

    q = s.queries_per_month
    options.append(
        Option(
            name="rag",
            kind="rag",
            model=rag_model.id,
            per_query_usd=c_llm + c_emb + per_query_reads,
            per_query_parts={
                "llm_usd": c_llm,
                "embedding_usd": c_emb,
                "vector_db_reads_usd": per_query_reads,
            },
            # The whole vector-DB bill (reads included, so per-query reads are not added again).
            fixed_parts={
                "vector_db_bill_usd": vdb_bill(q),
                "reembedding_usd": reembed,
                "labour_usd": rag_labour,
                "amortised_one_time_usd": rag_one_time,
            },
            monthly=rag_monthly,
            extra={
                "input_tokens": rag_usage.input_tokens,
                "vector_db_bill_usd": vdb_bill(q),
                "vector_db_minimum_binds": vdb_bill(q) == vdb.plan_minimum_usd_per_month,
            },
        )
    )
    sink.append(
        Assumption(
            "vector DB",
            f"minimum ${vdb.plan_minimum_usd_per_month}/month, {vdb.read_units_per_query} RU/query at "
            f"${vdb.read_usd_per_million_units}/M RU, {vdb.storage_gb} GB at ${vdb.storage_usd_per_gb_month}/GB-month",
            vdb.source,
        )
    )
    sink.append(
        Assumption(
            "knowledge base",
            f"{kb.tokens:,} tokens, churn {kb.churn_per_month * 100}%/month "
            f"→ re-embed {churn_tokens:,} tokens/month",
            "scenario",
        )
    )

    # Fine-tunes
    for i, ft in enumerate(s.fine_tune):
        where = f"fine_tune[{i}]"
        base = res.model(ft.model, f"{where}.model")
        tuned = fine_tuned_model(base)
        trainer = training_model(base)
        usage = Usage(input_tokens=ft.system_tokens + s.query_tokens, output_tokens=s.output_tokens)
        c_ft = per_request_usd(tuned, usage, on)
        train_tokens = ft.training.examples * ft.training.tokens_per_example * ft.training.epochs
        training = per_request_usd(trainer, Usage(input_tokens=train_tokens), on)
        run_direct = training + ft.per_run.data_generation_usd + ft.per_run.evaluation_usd
        c_run = run_direct + ft.per_run.labour_hours * rate
        one_time = (
            ft.one_time.labour_hours * rate
            + ft.one_time.other_usd
            + (run_direct if ft.one_time.include_initial_run else ZERO)
        )
        f_rt, cadence_source = _retrains_per_month(ft, kb.churn_per_month, where)
        fixed = f_rt * c_run + one_time / months + ft.hosting_usd_per_month

        def ft_monthly(
            n: Decimal, tuned: ModelPrice = tuned, usage: Usage = usage, fixed: Decimal = fixed
        ) -> Decimal:
            return monthly_usd(tuned, usage, n, on) + fixed

        options.append(
            Option(
                name=ft.name,
                kind="fine-tune",
                model=tuned.id,
                per_query_usd=c_ft,
                per_query_parts={"llm_usd": c_ft},
                fixed_parts={
                    "retraining_usd": f_rt * c_run,
                    "amortised_one_time_usd": one_time / months,
                    "hosting_usd": ft.hosting_usd_per_month,
                },
                monthly=ft_monthly,
                extra={
                    "training_tokens": train_tokens,
                    "training_run_usd": training,
                    "per_run_usd": c_run,
                    "one_time_usd": one_time,
                    "retrains_per_month": f_rt,
                    "fixed_monthly_usd": fixed,
                    "retraining_per_year_usd": f_rt * c_run * 12,
                },
            )
        )
        sink.append(Assumption(f"{ft.name} retraining", f"{f_rt} per month", cadence_source))

    # Whole KB in the prompt, cached
    lc = s.long_context
    if lc is not None:
        model = res.model(lc.model, "long_context.model")
        prompt = lc.system_tokens + kb.tokens + s.query_tokens
        if model.context_window is not None and prompt + s.output_tokens > model.context_window:
            notes.append(
                f"long-context option skipped: the prompt ({prompt:,} tokens) plus output does not fit "
                f"{model.id}'s {model.context_window:,}-token context window"
            )
        else:
            prefix = lc.system_tokens + kb.tokens
            cacheable = lc.cache and (
                model.min_cacheable_tokens is None or prefix >= model.min_cacheable_tokens
            )
            has_write_price = model.current.standard.cache_write_5m is not None

            def lc_usage(n: Decimal) -> tuple[Usage, Decimal]:
                if not cacheable:
                    return Usage(input_tokens=prompt, output_tokens=s.output_tokens), ZERO
                # Poisson arrivals, TTL refreshed on hit: h = 1 − e^(−λτ) (docs/breakeven.md#rag-vs-fine-tune-vs-long-context); float physics,
                # rounded to 6 significant figures, then to whole expected tokens per request.
                lam = float(n / MONTH_SECONDS)
                h = to_decimal_physics(1 - math.exp(-lam * lc.cache_ttl_seconds))
                hits = int((h * prefix).to_integral_value())
                misses = prefix - hits
                return Usage(
                    input_tokens=prompt,
                    output_tokens=s.output_tokens,
                    cached_input_tokens=hits,
                    cache_write_5m_tokens=misses if has_write_price else 0,
                ), h

            def lc_monthly(n: Decimal) -> Decimal:
                return monthly_usd(model, lc_usage(n)[0], n, on)

            usage_q, h_q = lc_usage(q)
            c_lc = per_request_usd(model, usage_q, on)
            options.append(
                Option(
                    name="long-context",
                    kind="long-context",
                    model=model.id,
                    per_query_usd=c_lc,
                    per_query_parts={"llm_usd": c_lc},
                    fixed_parts={},
                    monthly=lc_monthly,
                    extra={
                        "cache_hit_rate": h_q,
                        "prompt_tokens": prompt,
                        "cacheable": cacheable,
                        "cache_write_premium": has_write_price,
                    },
                )
            )
            sink.append(
                Assumption(
                    "cache hit rate",
                    f"{h_q} at {q} queries/month, TTL {lc.cache_ttl_seconds}s",
                    "h = 1 − e^(−λτ), Poisson arrivals (docs/breakeven.md#rag-vs-fine-tune-vs-long-context)",
                )
            )

    if s.quality is not None:
        names = {o.name for o in options}
        for key in s.quality.accuracy:
            if key not in names:
                raise InputError(
                    f"quality.accuracy.{key}: no option of that name (options: {', '.join(sorted(names))})"
                )
        for o in options:
            a = s.quality.accuracy.get(o.name)
            if a is not None:
                if not (0 <= a <= 1):
                    raise InputError(f"quality.accuracy.{o.name}: must be between 0 and 1")
                o.error_usd_per_query = (1 - a) * s.quality.cost_per_error_usd
    return options, notes


def first_crossing(
    f: Callable[[Decimal], Decimal], g: Callable[[Decimal], Decimal], lo: int = 1, hi: int = 10**12
) -> int | None:
    """Smallest whole n in [lo, hi] where sign(f − g) differs from its sign at lo: a geometric grid (×1.01)
    finds the bracket, integer bisection makes it exact (costs are monotone within a bracket)."""
    start = f(Decimal(lo)) <= g(Decimal(lo))
    prev = lo
    n = lo
    while n < hi:
        n = min(hi, max(n + 1, int(n * 1.01)))
        if (f(Decimal(n)) <= g(Decimal(n))) != start:
            a, b = prev, n
            while b - a > 1:
                mid = (a + b) // 2
                if (f(Decimal(mid)) <= g(Decimal(mid))) != start:
                    b = mid
                else:
                    a = mid
            return b
        prev = n
    return None


def crossing(option: Option, rag: Option, *, quality: bool = False) -> Crossing:
    def f(n: Decimal) -> Decimal:
        return option.total(n, quality=quality)

    def g(n: Decimal) -> Decimal:
        return rag.total(n, quality=quality)

    n = first_crossing(f, g)
    cheaper_at_one = f(Decimal(1)) <= g(Decimal(1))
    if n is None:
        if cheaper_at_one:
            return Crossing(
                option.name,
                rag.name,
                Decimal(0),
                "always",
                f"{option.name} is cheaper than {rag.name} at every volume",
            )
        return Crossing(
            option.name,
            rag.name,
            None,
            "never",
            f"never: {option.name} costs ${option.per_query_usd:.6f} per query vs {rag.name}'s "
            f"${rag.per_query_usd:.6f}, and its fixed costs are higher"
            if option.per_query_usd >= rag.per_query_usd
            else "never below 10^12 queries/month",
        )
    if cheaper_at_one:
        return Crossing(
            option.name,
            rag.name,
            Decimal(n),
            "cheaper below",
            f"{option.name} is cheaper than {rag.name} below {n:,} queries/month",
        )
    return Crossing(
        option.name,
        rag.name,
        Decimal(n),
        "cheaper above",
        f"{option.name} is cheaper than {rag.name} from {n:,} queries/month",
    )


def volume_grid(start: Decimal, stop: Decimal, points: int) -> list[Decimal]:
    if start <= 0 or stop <= start or points < 2:
        raise InputError("volume_range: needs 0 < start < stop and at least 2 points")
    ratio = (float(stop) / float(start)) ** (1 / (points - 1))
    return [Decimal(int(round(float(start) * ratio**i))) for i in range(points)]
