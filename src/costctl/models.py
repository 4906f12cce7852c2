"""The vocabulary every layer shares: prices, usage and cost, as frozen dataclasses.

Money is `Decimal` everywhere. Token counts are `int`. A `Usage` follows one convention, the inclusive one:
`input_tokens` counts every prompt token, and cached reads and cache writes are parts of it; `output_tokens`
counts every generated token, and reasoning is part of it. Converters from other conventions live here too,
so every adapter and command agrees on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from costctl.errors import InputError

MTOK = Decimal(1_000_000)
ZERO = Decimal(0)


class PriceKind(str, Enum):
    """The billable token kinds, in the order they are shown."""

    INPUT = "input"
    CACHE_READ = "cache_read"
    CACHE_WRITE_5M = "cache_write_5m"
    CACHE_WRITE_1H = "cache_write_1h"
    OUTPUT = "output"


@dataclass(frozen=True)
class PriceCard:
    """USD per 1M tokens for each kind; None means not published (never zero by default)."""

    input: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    output: Decimal | None = None

    def rate(self, kind: PriceKind) -> Decimal | None:
        return self.rate_by_name(kind.value)

    def rate_by_name(self, name: str) -> Decimal | None:
        value: Decimal | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class LongContextTier:
    """A request-level cliff: when the whole prompt is strictly above `threshold_tokens`, every token of the
    request is billed at these rates (docs/pricing.md#long-context-tier)."""

    threshold_tokens: int
    standard: PriceCard
    batch: PriceCard | None = None


@dataclass(frozen=True)
class PricePeriod:
    """The prices in force from `start` (inclusive) to `end` (exclusive, None = still current)."""

    start: dt.date | None
    end: dt.date | None
    standard: PriceCard
    batch: PriceCard | None = None
    long_context: LongContextTier | None = None

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class FineTuning:
    """Fine-tuning prices, USD per 1M tokens (training per training token, i.e. per token per epoch)."""

    training_usd_per_mtok: Decimal | None
    inference: PriceCard
    batch: PriceCard | None = None
    training_usd_per_hour: Decimal | None = None


@dataclass(frozen=True)
class ModelPrice:
    id: str
    provider: str
    display_name: str
    aliases: tuple[str, ...]
    tokenizer: str  # tiktoken encoding name, or "approx:<family>"
    context_window: int | None
    max_output_tokens: int | None
    periods: tuple[PricePeriod, ...]
    source_url: str
    checked: dt.date
    kind: str = "chat"  # chat | embedding
    min_cacheable_tokens: int | None = None
    min_cacheable_source: str | None = None
    fine_tuning: FineTuning | None = None
    notes: str | None = None
    source_file: str | None = None

    @property
    def tokenizer_is_exact(self) -> bool:
        return not self.tokenizer.startswith("approx")

    def period_at(self, day: dt.date) -> PricePeriod | None:
        for period in self.periods:
            if period.covers(day):
                return period
        return None

    @property
    def current(self) -> PricePeriod:
        return self.periods[-1]


# The token counts of a usage, in the order of the canonical log columns (one list for the store, the
# adapters, the rollup sums and Usage itself).
TOKEN_FIELDS: tuple[str, ...] = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)


@dataclass(frozen=True)
class Usage:
    """Token usage of one request (or a sum of requests priced alike), inclusive convention."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0

    def __post_init__(self) -> None:
        for name in TOKEN_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise InputError(f"{name} must be a whole number of tokens, got {value!r}")
            if value < 0:
                raise InputError(f"{name} must not be negative, got {value}")
        if self.cache_tokens > self.input_tokens:
            raise InputError(
                f"cached and cache-write tokens ({self.cache_tokens}) exceed input tokens "
                f"({self.input_tokens}); input_tokens must include them"
            )
        if self.reasoning_tokens > self.output_tokens:
            raise InputError(
                f"reasoning tokens ({self.reasoning_tokens}) exceed output tokens ({self.output_tokens}); "
                "output_tokens must include them"
            )

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def cache_tokens(self) -> int:
        return self.cached_input_tokens + self.cache_write_tokens

    @property
    def uncached_input_tokens(self) -> int:
        return self.input_tokens - self.cache_tokens

    @classmethod
    def from_additive(
        cls,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_5m_tokens: int = 0,
        cache_write_1h_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> Usage:
        """Anthropic/Bedrock convention: `input_tokens` excludes the cache tokens, which come on top."""
        for name, value in (
            ("input_tokens", input_tokens),
            ("cache_read_tokens", cache_read_tokens),
            ("cache_write_5m_tokens", cache_write_5m_tokens),
            ("cache_write_1h_tokens", cache_write_1h_tokens),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InputError(f"{name} must be a non-negative whole number, got {value!r}")
        return cls(
            input_tokens=input_tokens + cache_read_tokens + cache_write_5m_tokens + cache_write_1h_tokens,
            output_tokens=output_tokens,
            cached_input_tokens=cache_read_tokens,
            cache_write_5m_tokens=cache_write_5m_tokens,
            cache_write_1h_tokens=cache_write_1h_tokens,
            reasoning_tokens=reasoning_tokens,
        )

    @classmethod
    def from_inclusive(
        cls,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        reasoning_tokens: int = 0,
    ) -> Usage:
        """OpenAI/Gemini convention: `prompt_tokens` already includes cached tokens, `completion_tokens`
        already includes reasoning. A negative uncached remainder is an error, not a silent clamp."""
        return cls(
            input_tokens=prompt_tokens,
            output_tokens=completion_tokens,
            cached_input_tokens=cached_tokens,
            cache_write_5m_tokens=cache_write_tokens,
            reasoning_tokens=reasoning_tokens,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cached_input_tokens=self.cached_input_tokens + other.cached_input_tokens,
            cache_write_5m_tokens=self.cache_write_5m_tokens + other.cache_write_5m_tokens,
            cache_write_1h_tokens=self.cache_write_1h_tokens + other.cache_write_1h_tokens,
            reasoning_tokens=self.reasoning_tokens + other.reasoning_tokens,
        )

    def scaled(self, factor: int) -> Usage:
        """The usage of `factor` identical requests."""
        return Usage(
            input_tokens=self.input_tokens * factor,
            output_tokens=self.output_tokens * factor,
            cached_input_tokens=self.cached_input_tokens * factor,
            cache_write_5m_tokens=self.cache_write_5m_tokens * factor,
            cache_write_1h_tokens=self.cache_write_1h_tokens * factor,
            reasoning_tokens=self.reasoning_tokens * factor,
        )


@dataclass(frozen=True)
class CostBreakdown:
    """What a usage costs, by token kind. `total_usd` is the exact sum of the parts."""

    model_id: str
    input_usd: Decimal
    cached_input_usd: Decimal
    cache_write_usd: Decimal
    output_usd: Decimal
    long_context_applied: bool = False
    batch: bool = False
    priced_on: dt.date | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def total_usd(self) -> Decimal:
        return self.input_usd + self.cached_input_usd + self.cache_write_usd + self.output_usd

    def __add__(self, other: CostBreakdown) -> CostBreakdown:
        return CostBreakdown(
            model_id=self.model_id if self.model_id == other.model_id else "*",
            input_usd=self.input_usd + other.input_usd,
            cached_input_usd=self.cached_input_usd + other.cached_input_usd,
            cache_write_usd=self.cache_write_usd + other.cache_write_usd,
            output_usd=self.output_usd + other.output_usd,
            long_context_applied=self.long_context_applied or other.long_context_applied,
            batch=self.batch and other.batch,
            notes=tuple(dict.fromkeys(self.notes + other.notes)),
        )


@dataclass(frozen=True)
class TokenCount:
    """A token count and how it was obtained."""

    tokens: int
    exact: bool
    method: str  # e.g. "tiktoken:o200k_base" or "approx:anthropic chars/3.5"
