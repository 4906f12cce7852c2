"""Scenario files for `costctl breakeven --scenario FILE` (strict: unknown keys are errors naming the field).

`kind: rag-vs-finetune` compares RAG, fine-tuned models and the whole knowledge base in a cached prompt;
`kind: self-host` compares a self-hosted fleet with API models. Money is Decimal from the YAML text.
Every default below cites docs/breakeven.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.breakeven.strict import build, read_yaml
from costctl.errors import InputError

ZERO = Decimal(0)
KINDS = ("rag-vs-finetune", "self-host")


@dataclass(frozen=True, kw_only=True)
class PriceOverride:
    """An explicit price replacing the catalog's; `source` is printed with the assumption."""

    source: str
    input_usd_per_mtok: Decimal | None = None
    cache_read_usd_per_mtok: Decimal | None = None
    cache_write_5m_usd_per_mtok: Decimal | None = None
    output_usd_per_mtok: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class VolumeRange:
    start: Decimal
    stop: Decimal
    points: int = 9


# --- RAG vs fine-tune vs long context (docs/breakeven.md#rag-vs-fine-tune-vs-long-context) ------------------


@dataclass(frozen=True, kw_only=True)
class VectorDb:
    source: str = "scenario"
    # Pinecone Standard $50 (docs/breakeven.md#rag-vs-fine-tune-vs-long-context)
    plan_minimum_usd_per_month: Decimal = ZERO
    storage_gb: Decimal = ZERO
    storage_usd_per_gb_month: Decimal = ZERO
    read_units_per_query: Decimal = ZERO
    read_usd_per_million_units: Decimal = ZERO
    write_units_per_month: Decimal = ZERO
    write_units_per_churned_chunk: Decimal = ZERO
    write_usd_per_million_units: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class KnowledgeBase:
    tokens: int
    churn_per_month: Decimal = ZERO  # fraction of the KB changed per month (δ)


@dataclass(frozen=True, kw_only=True)
class Rag:
    model: str
    system_tokens: int
    chunks: int
    chunk_tokens: int
    embedding_model: str | None = None
    vector_db: VectorDb = field(default_factory=VectorDb)
    maintenance_hours_per_month: Decimal = ZERO
    one_time_hours: Decimal = ZERO
    one_time_usd: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class Training:
    examples: int
    tokens_per_example: int
    epochs: int = 1


@dataclass(frozen=True, kw_only=True)
class Retrain:
    per_month: Decimal | None = None
    # f_rt = churn / max_stale_fraction (docs/breakeven.md#defaults)
    max_stale_fraction: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class PerRun:
    data_generation_usd: Decimal = ZERO
    evaluation_usd: Decimal = ZERO
    labour_hours: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class OneTime:
    labour_hours: Decimal = ZERO
    other_usd: Decimal = ZERO
    include_initial_run: bool = True  # the first run's training + data + eval (its labour is in labour_hours)


@dataclass(frozen=True, kw_only=True)
class FineTune:
    name: str
    model: str
    system_tokens: int
    training: Training
    retrain: Retrain = field(default_factory=Retrain)
    per_run: PerRun = field(default_factory=PerRun)
    one_time: OneTime = field(default_factory=OneTime)
    # dedicated endpoints bill idle time (docs/breakeven.md#rag-vs-fine-tune-vs-long-context)
    hosting_usd_per_month: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class LongContext:
    model: str
    system_tokens: int = 0
    cache: bool = True
    # Anthropic 5-minute cache; refreshed on hit (docs/breakeven.md#rag-vs-fine-tune-vs-long-context)
    cache_ttl_seconds: int = 300


@dataclass(frozen=True, kw_only=True)
class Quality:
    cost_per_error_usd: Decimal
    accuracy: dict[str, Decimal]  # option name (rag, long-context, a fine-tune's name) -> accuracy 0..1


@dataclass(frozen=True, kw_only=True)
class RagScenario:
    kind: str
    title: str = ""
    queries_per_month: Decimal
    query_tokens: int
    output_tokens: int
    knowledge_base: KnowledgeBase
    rag: Rag
    fine_tune: list[FineTune] = field(default_factory=list)
    long_context: LongContext | None = None
    labour_usd_per_hour: Decimal = ZERO
    amortisation_months: int = 12  # default (docs/breakeven.md#defaults)
    quality: Quality | None = None
    prices: dict[str, PriceOverride] = field(default_factory=dict)
    volume_range: VolumeRange | None = None
    priced_on: str | None = None
    expected: dict[str, Any] = field(default_factory=dict)  # published figures, for tests/readers


# --- self-host vs API (docs/breakeven.md#self-host-vs-api) --------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    params_b: float
    precision: str = "fp8"
    kv_precision: str | None = None
    architecture: str | None = None
    layers: int | None = None
    kv_heads: int | None = None
    head_dim: int | None = None
    hidden: int | None = None


@dataclass(frozen=True, kw_only=True)
class GpuChoice:
    name: str
    gpus_per_replica: int | None = None
    offer: str | None = None
    usd_per_instance_hour: Decimal | None = None
    gpus_per_instance: int | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class Serving:
    efficiency: float = 0.5  # η_sys (docs/breakeven.md#defaults)
    mbu: float = 1.0
    mfu: float = 1.0
    tpot_slo_ms: float | None = None
    measured_output_tokens_per_s: float | None = None
    batch_cap: int = 4096  # docs/breakeven.md#defaults
    memory_fraction: float = 0.9  # f_mem (docs/breakeven.md#defaults)


@dataclass(frozen=True, kw_only=True)
class Workload:
    input_tokens: int
    output_tokens: int
    requests_per_month: Decimal | None = None
    tokens_per_month: Decimal | None = None  # input + output tokens


@dataclass(frozen=True, kw_only=True)
class FleetShape:
    peak_to_average: Decimal = Decimal(1)
    max_utilisation: Decimal = Decimal("0.8")  # ρ_max (docs/breakeven.md#defaults)
    spares: int = 0


@dataclass(frozen=True, kw_only=True)
class Ops:
    fte: Decimal = ZERO
    loaded_usd_per_year: Decimal = Decimal(
        200_000
    )  # the worked examples' loaded cost (docs/breakeven.md#defaults)
    other_usd_per_month: Decimal = ZERO
    one_time_usd: Decimal = ZERO
    amortisation_months: int = 12


@dataclass(frozen=True, kw_only=True)
class Variant:
    name: str
    usd_per_instance_hour: Decimal | None = None
    gpus_per_instance: int | None = None
    fte: Decimal | None = None
    source: str | None = None


@dataclass(frozen=True, kw_only=True)
class SelfHostScenario:
    kind: str
    title: str = ""
    model: ModelSpec
    gpu: GpuChoice
    serving: Serving = field(default_factory=Serving)
    workload: Workload
    fleet: FleetShape = field(default_factory=FleetShape)
    ops: Ops = field(default_factory=Ops)
    api: list[str] = field(default_factory=list)
    api_price_per_mtok: Decimal | None = None
    prices: dict[str, PriceOverride] = field(default_factory=dict)
    variants: list[Variant] = field(default_factory=list)
    volume_range: VolumeRange | None = None
    gpu_table: str | None = None
    priced_on: str | None = None
    expected: dict[str, Any] = field(default_factory=dict)


Scenario = RagScenario | SelfHostScenario


def load_scenario(path: Path) -> Scenario:
    raw = read_yaml(path, what="scenario")
    if not isinstance(raw, dict):
        raise InputError("scenario: expected a mapping at the top level", where=str(path))
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InputError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}", where=str(path))
    cls = RagScenario if kind == "rag-vs-finetune" else SelfHostScenario
    try:
        return build(cls, raw, where="scenario")  # type: ignore[return-value]
    except InputError as exc:
        raise InputError(exc.message, where=str(path)) from None
