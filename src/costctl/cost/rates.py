"""The pricing decisions of the one formula, written once as data so an engine can price where the rows are.

`costctl.cost.price` prices a usage in Python; a rollup engine (DuckDB, Spark) prices grouped token sums in
SQL. Both read the definitions below, so they cannot drift apart:

- `COMPONENTS`: which tokens each rate applies to (signed sums of the inclusive `Usage` columns) and which
  `CostBreakdown` part the money lands in. `price.py` evaluates them on a `Usage`; `component_sql` renders
  the same terms as SQL.
- `tier_steps` / `select_card`: which card a request takes (price period in force on its day, batch or not,
  long-context step crossed by its whole prompt). `rate_rows` enumerates every such choice for a model as a
  small table; an engine joins each request row to the one rate row that matches it (`RATE_MATCH`).
- `RATE_MATCH` is the one list of what selects a rate row: equality keys, the day window and the prompt-size
  step. A further key (say a service tier) is one more entry here and one more value in `rate_rows`.

Exact money in SQL. Rates travel as USD per token, `DECIMAL(17, 15)` (USD per 1M tokens with up to 9
decimals, below $100 per token); a token sum is cast to `DECIMAL(19, 0)` (below 10^19 tokens per group, the
BIGINT range). Their product is `DECIMAL(36/37, 15)`: exact in DuckDB (max precision 38) and in Spark (no
scale reduction below precision 38), and identical to `Decimal(tokens) * rate / 1_000_000` in Python, which
is exact at 28 digits for the same bounds. Summing products per group keeps scale 15 in both engines (a sum
above 10^23 USD overflows loudly: an error in DuckDB, a NULL that costctl refuses in Spark). A rate with more
than 9 decimals per 1M tokens is not representable; such a rate row is left to the Python formula.

Pure: vocabulary only, no engine imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from costctl.errors import MissingPriceError
from costctl.models import MTOK, LongContextTier, ModelPrice, PriceCard, PriceKind, PricePeriod

RATE_SCALE = 15  # decimals of a USD-per-token rate (9 below USD per 1M tokens)
RATE_SQL_TYPE = "DECIMAL(17, 15)"
TOKENS_SQL_TYPE = "DECIMAL(19, 0)"
_RATE_QUANTUM = Decimal(1).scaleb(-RATE_SCALE)
_RATE_LIMIT = Decimal(100)  # USD per token; DECIMAL(17, 15) holds below 100
FAR_PAST = dt.date(1970, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Component:
    """One rate applied to a signed sum of `Usage` token columns; the money goes to `CostBreakdown.<part>`."""

    kind: PriceKind
    part: str
    terms: tuple[tuple[str, int], ...]  # (Usage column, +1 | -1)

    def tokens(self, usage: TokenSums) -> int:
        return sum(sign * int(getattr(usage, column)) for column, sign in self.terms)


class TokenSums(Protocol):
    """Anything with the inclusive `Usage` token columns: a `Usage`, or an engine's grouped sums."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def cached_input_tokens(self) -> int: ...
    @property
    def cache_write_5m_tokens(self) -> int: ...
    @property
    def cache_write_1h_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...


_CACHE_PARTS = ("cached_input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")
# Inclusive usage: uncached input = input - cached reads - cache writes; reasoning is inside output.
COMPONENTS: tuple[Component, ...] = (
    Component(PriceKind.INPUT, "input_usd", (("input_tokens", 1), *((c, -1) for c in _CACHE_PARTS))),
    Component(PriceKind.CACHE_READ, "cached_input_usd", (("cached_input_tokens", 1),)),
    Component(PriceKind.CACHE_WRITE_5M, "cache_write_usd", (("cache_write_5m_tokens", 1),)),
    Component(PriceKind.CACHE_WRITE_1H, "cache_write_usd", (("cache_write_1h_tokens", 1),)),
    Component(PriceKind.OUTPUT, "output_usd", (("output_tokens", 1),)),
)
BREAKDOWN_PARTS = tuple(dict.fromkeys(c.part for c in COMPONENTS))


# ---------------------------------------------------------------- which card a request takes


def tier_steps(period: PricePeriod) -> list[tuple[int, LongContextTier]]:
    """The period's long-context steps as (threshold, tier), ascending. A request takes the highest step whose
    threshold its whole prompt strictly exceeds (reference: strict `>`, cached and written tokens included)."""
    if period.long_context is None:
        return []
    return [(period.long_context.threshold_tokens, period.long_context)]


def step_for(period: PricePeriod, prompt_tokens: int) -> LongContextTier | None:
    chosen = None
    for threshold, tier in tier_steps(period):
        if prompt_tokens > threshold:
            chosen = tier
    return chosen


def select_card(
    model: ModelPrice, period: PricePeriod, *, tier: LongContextTier | None, batch: bool
) -> PriceCard:
    """The price card for a request: standard or batch, base or a long-context step."""
    if tier is not None:
        card = tier.batch if batch else tier.standard
    else:
        card = period.batch if batch else period.standard
    if card is None:
        raise MissingPriceError(
            f"model {model.id!r} has no published batch price"
            + (" for its long-context tier" if tier is not None else "")
        )
    return card


def component_usd(model: ModelPrice, card: PriceCard, comp: Component, tokens: int, batch: bool) -> Decimal:
    """The one multiplication: tokens x USD per 1M tokens / 1M. A rate the tokens need but the card lacks
    raises `MissingPriceError` (never $0)."""
    if tokens == 0:
        return Decimal(0)
    rate = card.rate(comp.kind)
    if rate is None:
        mode = "batch " if batch else ""
        raise MissingPriceError(f"model {model.id!r} has no published {mode}{comp.kind.value} price")
    return Decimal(tokens) * rate / MTOK


# ---------------------------------------------------------------- the rates table an engine joins


@dataclass(frozen=True)
class RateRow:
    """One choice of card: a raw log model name, the days its period covers, batch or not, a prompt-size step.

    `rates` holds USD per token by `PriceKind` (None = not published); `card_missing` means the choice has no
    card at all (e.g. no batch price); `exponents` are the catalog rates' decimal exponents, so a SQL amount
    can be given the exact form the Python formula returns."""

    rate_id: int
    raw_model: str
    valid_from: dt.date
    valid_to: dt.date
    batch: bool
    prompt_above: int  # the step applies when the whole prompt > prompt_above ...
    prompt_upto: int | None  # ... and <= prompt_upto (None = no upper bound)
    long_context: bool
    card_missing: bool
    rates: tuple[Decimal | None, ...]  # by COMPONENTS order's kinds, see RATE_KINDS
    exponents: tuple[int, ...]
    quanta: tuple[Decimal, ...] = ()  # Decimal(1).scaleb(exponent) for each exponent
    unrepresentable: bool = False  # a published rate SQL cannot hold exactly (then card_missing too)


RATE_KINDS: tuple[PriceKind, ...] = tuple(dict.fromkeys(c.kind for c in COMPONENTS))

# How a request row finds its rate row. Each entry: (rate column, SQL type, how it matches, request column).
#   "eq": rate column = request column;  "from"/"to": valid_from <= day < valid_to;
#   "above"/"upto": prompt_above < prompt tokens <= prompt_upto (upto NULL = unbounded).
# Add a dimension (e.g. ("service_tier", "VARCHAR", "eq", "service_tier")) here and in `rate_rows`.
RATE_MATCH: tuple[tuple[str, str, str, str], ...] = (
    ("raw_model", "VARCHAR", "eq", "raw_model"),
    ("batch", "BOOLEAN", "eq", "is_batch"),
    ("valid_from", "DATE", "from", "day"),
    ("valid_to", "DATE", "to", "day"),
    ("prompt_above", "BIGINT", "above", "prompt_tokens"),
    ("prompt_upto", "BIGINT", "upto", "prompt_tokens"),
)
RATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rate_id", "BIGINT"),
    *((name, sql_type) for name, sql_type, _, _ in RATE_MATCH),
    ("long_context", "BOOLEAN"),
    ("card_missing", "BOOLEAN"),
    *((f"rate_{k.value}", RATE_SQL_TYPE) for k in RATE_KINDS),
)


def _per_token(rate: Decimal | None) -> Decimal | None:
    """USD per 1M tokens -> USD per token at RATE_SCALE, or None when SQL cannot hold it exactly."""
    if rate is None:
        return None
    per_token = rate / MTOK
    if per_token != per_token.quantize(_RATE_QUANTUM) or abs(per_token) >= _RATE_LIMIT:
        return None
    return per_token.quantize(_RATE_QUANTUM)


def rate_rows(raw_model: str, model: ModelPrice, first_id: int = 0) -> list[RateRow]:
    """Every (period, batch, step) choice of `model`, for log rows naming it `raw_model`."""
    out: list[RateRow] = []
    for period in model.periods:
        steps: list[tuple[int, LongContextTier | None]] = [(-1, None), *tier_steps(period)]
        for batch in (False, True):
            for i, (above, tier) in enumerate(steps):
                upto = steps[i + 1][0] if i + 1 < len(steps) else None
                try:
                    card: PriceCard | None = select_card(model, period, tier=tier, batch=batch)
                except MissingPriceError:
                    card = None
                published = [card.rate(k) if card is not None else None for k in RATE_KINDS]
                per_token = [_per_token(r) for r in published]
                # a published rate SQL cannot hold exactly is left unpriced here; the caller's Python
                # formula prices that group instead (see `costctl.commands.rollup`)
                unrepresentable = any(
                    r is not None and t is None for r, t in zip(published, per_token, strict=True)
                )
                out.append(
                    RateRow(
                        rate_id=first_id + len(out),
                        raw_model=raw_model,
                        valid_from=period.start or FAR_PAST,
                        valid_to=period.end or FAR_FUTURE,
                        batch=batch,
                        prompt_above=above,
                        prompt_upto=upto,
                        long_context=tier is not None,
                        card_missing=card is None or unrepresentable,
                        rates=tuple(per_token),
                        exponents=tuple(
                            int(r.as_tuple().exponent) if r is not None else 0 for r in published
                        ),
                        quanta=tuple(
                            Decimal(1).scaleb(int(r.as_tuple().exponent) if r is not None else 0)
                            for r in published
                        ),
                        unrepresentable=unrepresentable,
                    )
                )
    return out


@dataclass(frozen=True)
class RateTable:
    """The rates of every model a report's rows name, built once per report from the catalog."""

    rows: tuple[RateRow, ...]

    @classmethod
    def build(cls, models: Iterable[tuple[str, ModelPrice | None]]) -> RateTable:
        rows: list[RateRow] = []
        for raw, model in models:
            if model is not None:
                rows.extend(rate_rows(raw, model, first_id=len(rows)))
        return cls(tuple(rows))

    def values(self) -> list[tuple[object, ...]]:
        """Rows in `RATE_COLUMNS` order, for an engine to load as a small table."""
        keys = [name for name, _ in RATE_COLUMNS[: len(RATE_COLUMNS) - len(RATE_KINDS)]]
        return [(*(getattr(r, k) for k in keys), *r.rates) for r in self.rows]

    @property
    def exact_in_sql(self) -> bool:
        """Whether the engine can price every group these rates price (no rate beyond the SQL scale)."""
        return not any(r.unrepresentable for r in self.rows)

    def by_id(self) -> dict[int, RateRow]:
        return {r.rate_id: r for r in self.rows}


# ---------------------------------------------------------------- the same formula, as SQL


def match_sql(rate: Callable[[str], str], row: Callable[[str], str]) -> str:
    """The join condition request row -> rate row, from `RATE_MATCH` (identifiers are ours, never user text)."""
    parts = []
    for column, _, how, row_column in RATE_MATCH:
        r, v = rate(column), row(row_column)
        parts.append(
            {
                "eq": f"{v} = {r}",
                "from": f"{v} >= {r}",
                "to": f"{v} < {r}",
                "above": f"{v} > {r}",
                "upto": f"({r} IS NULL OR {v} <= {r})",
            }[how]
        )
    return " AND ".join(parts)


def complete_sql(rate: Callable[[str], str]) -> str:
    """True when a rate row prices every component: then pricing a sum of its requests over any span of days
    equals the sum of pricing each day's (no component can be missing on one day and needed on another)."""
    published = " AND ".join(f"{rate(f'rate_{k.value}')} IS NOT NULL" for k in RATE_KINDS)
    return f"coalesce(NOT {rate('card_missing')} AND {published}, FALSE)"


def component_tokens_sql(comp: Component, tokens: Callable[[str], str]) -> str:
    return " ".join(
        ("" if i == 0 and sign > 0 else "+ " if sign > 0 else "- ") + tokens(column)
        for i, (column, sign) in enumerate(comp.terms)
    ).strip()


def component_sql(comp: Component, tokens: Callable[[str], str], rate: Callable[[str], str]) -> str:
    """USD of one component for a group: NULL when the group needs a rate the table lacks (the caller then
    asks the Python formula, which says why), else tokens x rate, exact at scale RATE_SCALE."""
    qty = component_tokens_sql(comp, tokens)
    rate_col = rate(f"rate_{comp.kind.value}")
    return (
        f"CASE WHEN ({qty}) = 0 THEN CAST(0 AS {RATE_SQL_TYPE}) "
        f"WHEN ({qty}) < 0 OR {rate_col} IS NULL THEN NULL "
        f"ELSE CAST(({qty}) AS {TOKENS_SQL_TYPE}) * {rate_col} END"
    )


def formula_form(amount: Decimal, tokens: int, exponent: int) -> Decimal:
    """`amount` (exact, from SQL at scale RATE_SCALE) written as `Decimal(tokens) * rate / MTOK` writes it:
    0 for no tokens, else the shortest form but never fewer decimals than the catalog rate has."""
    if tokens == 0:
        return Decimal(0)
    return formula_form_nonzero(amount, Decimal(1).scaleb(exponent))


def formula_form_nonzero(amount: Decimal, quantum: Decimal) -> Decimal:
    """`formula_form` for a component with tokens, given the rate's quantum (`Decimal(1).scaleb(exponent)`):
    the value at the rate's exponent when it fits there exactly, else its shortest form."""
    at_rate = amount.quantize(quantum)
    return at_rate if at_rate == amount else amount.normalize()
