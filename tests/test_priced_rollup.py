"""The one priced-rollup core: the engine prices groups from the rates table built from the catalog, with the
same rate components and card selection as `costctl.cost.price`, and every command agrees on the money.

Real DuckDB and the real price tables; the property test compares the engine's SQL amounts with the Python
formula digit for digit over random usages, dates, models and batch flags.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costctl.commands import attribute as cmd
from costctl.cost.price import price_usage
from costctl.cost.rates import RATE_COLUMNS, RATE_MATCH, RateTable, rate_rows
from costctl.errors import MissingPriceError
from costctl.logs.schema import CANONICAL_COLUMNS, COLUMN_NAMES
from costctl.models import Usage
from costctl.pricing.catalog import load_catalog
from costctl.rollup.duckdb_engine import DuckDbEngine
from costctl.rollup.spec import RollupSpec

CATALOG = load_catalog()


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def sonnet_rows() -> list[dict[str, Any]]:
    """250k-token prompts on claude-sonnet-4-6: three while its >200k tier applied, one after it was removed
    (2026-03-13). The model's *current* price has no tier, so deciding the tier from it undercharges Feb."""
    days = ["2026-02-01", "2026-02-02", "2026-02-03", "2026-03-20"]
    return [
        {
            "ts": f"{day}T10:00:00Z",
            "request_id": f"r{i}",
            "provider": "anthropic",
            "model": "claude-sonnet-4-6",
            "input_tokens": 250_000,
            "cached_input_tokens": 0,
            "output_tokens": 1_000,
            "feature": "chat",
            "status": "ok",
            "finish_reason": "stop",
            "prompt_hash": f"p{i}",
        }
        for i, day in enumerate(days)
    ]


def test_attribute_report_and_audit_logs_agree_across_a_historical_tier_change(tmp_path):
    src = write_jsonl(tmp_path / "sonnet.jsonl", sonnet_rows())
    db = tmp_path / "s.duckdb"
    assert invoke("attribute", "ingest", str(src), "--db", str(db)).exit_code == 0
    report = invoke("attribute", "report", "--db", str(db), "--by", "model", "--grain", "day", "-f", "json")
    assert report.exit_code == 0, report.stderr
    days = {r["period"]: Decimal(r["cost_usd"]) for r in report.json()["rows"]}
    # Feb: 250k x $6/M + 1k x $22.5/M (tier) = 1.5225 each; Mar 20: 250k x $3/M + 1k x $15/M = 0.765
    assert days == {
        "2026-02-01": Decimal("1.5225"),
        "2026-02-02": Decimal("1.5225"),
        "2026-02-03": Decimal("1.5225"),
        "2026-03-20": Decimal("0.765"),
    }
    total = Decimal(report.json()["total"]["cost_usd"])
    assert total == Decimal("4.5675") + Decimal("0.765")

    audit = invoke("audit", "logs", "--db", str(db), "-f", "json")
    assert audit.exit_code == 0, audit.stderr
    assert Decimal(audit.json()["totals"]["observed_usd"]) == total
    # and the three February requests alone, the example, in both commands
    feb = invoke("attribute", "report", "--db", str(db), "--until", "2026-02-28", "-f", "json")
    assert Decimal(feb.json()["total"]["cost_usd"]) == Decimal("4.5675")
    feb_only = write_jsonl(tmp_path / "feb.jsonl", sonnet_rows()[:3])
    audit_feb = invoke("audit", "logs", str(feb_only), "-f", "json")
    assert audit_feb.exit_code == 0, audit_feb.stderr
    assert Decimal(audit_feb.json()["totals"]["observed_usd"]) == Decimal("4.5675")


def test_rates_table_has_one_row_per_period_batch_and_step():
    model = CATALOG.find("claude-sonnet-4-6")
    assert model is not None
    rows = rate_rows("claude-sonnet-4-6", model)
    # period 1: base + >200k step, standard and batch; period 2 (from 2026-03-13): base only
    assert [(r.valid_to.isoformat(), r.batch, r.long_context) for r in rows] == [
        ("2026-03-13", False, False),
        ("2026-03-13", False, True),
        ("2026-03-13", True, False),
        ("2026-03-13", True, True),
        ("9999-12-31", False, False),
        ("9999-12-31", True, False),
    ]
    tier = rows[1]
    assert tier.prompt_above == 200_000 and tier.prompt_upto is None and rows[0].prompt_upto == 200_000
    assert tier.rates[0] == Decimal("0.000006")  # USD per token, exact
    # the columns an engine loads come from the one match definition
    assert [c for c, *_ in RATE_MATCH] == [c for c, _ in RATE_COLUMNS[1 : 1 + len(RATE_MATCH)]]


def _store(rows: list[dict[str, Any]]) -> Any:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE requests (" + ", ".join(f"{n} {t}" for n, t, _ in CANONICAL_COLUMNS) + ")")
    marks = ", ".join("?" for _ in COLUMN_NAMES)
    con.executemany(
        f"INSERT INTO requests VALUES ({marks})",  # noqa: S608 (placeholders only)
        [[r.get(c) for c in COLUMN_NAMES] for r in rows],
    )
    return con


CHAT_MODELS = sorted(m.id for m in CATALOG.models if m.kind == "chat")


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    inp = draw(st.integers(0, 3_000_000))
    cached = draw(st.integers(0, inp))
    w5 = draw(st.integers(0, inp - cached))
    w1 = draw(st.integers(0, inp - cached - w5))
    out = draw(st.integers(0, 200_000))
    return {
        "model": draw(st.sampled_from(CHAT_MODELS)),
        "ts": dt.datetime.combine(draw(st.dates(dt.date(2023, 6, 1), dt.date(2027, 6, 30))), dt.time(12)),
        "is_batch": draw(st.booleans()),
        "input_tokens": inp,
        "cached_input_tokens": cached,
        "cache_write_5m_tokens": w5,
        "cache_write_1h_tokens": w1,
        "output_tokens": out,
        "reasoning_tokens": draw(st.integers(0, out)),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(requests(), min_size=1, max_size=12))
def test_engine_prices_exactly_like_the_python_formula(reqs):
    """Each request is its own group (one user each): the engine's DECIMAL amount must be the formula's
    `CostBreakdown`, part by part, digit by digit (the same Decimal text), or the same unpriced reason."""
    rows = [{**r, "user_id": f"u{i}", "request_id": f"r{i}"} for i, r in enumerate(reqs)]
    con = _store(rows)
    try:
        result = cmd.rollup(CATALOG, DuckDbEngine(con), RollupSpec(("user",), "day"))
    finally:
        con.close()
    by_user = {p.group.dims["user"]: p for p in result.groups}
    for i, r in enumerate(reqs):
        model = CATALOG.find(r["model"])
        assert model is not None
        usage = Usage(
            input_tokens=r["input_tokens"],
            output_tokens=r["output_tokens"],
            cached_input_tokens=r["cached_input_tokens"],
            cache_write_5m_tokens=r["cache_write_5m_tokens"],
            cache_write_1h_tokens=r["cache_write_1h_tokens"],
            reasoning_tokens=r["reasoning_tokens"],
        )
        got = by_user[f"u{i}"]
        try:
            want = price_usage(model, usage, on=r["ts"].date(), batch=r["is_batch"])
        except MissingPriceError as exc:
            assert got.cost is None and got.unpriced_reason == exc.message
            continue
        assert got.group.component_usd is not None, "the engine priced it, not the Python fallback"
        assert got.cost is not None
        for part in ("input_usd", "cached_input_usd", "cache_write_usd", "output_usd"):
            assert str(getattr(got.cost, part)) == str(getattr(want, part)), (part, r)
        assert str(got.cost.total_usd) == str(want.total_usd)
        assert got.cost.long_context_applied == want.long_context_applied


def test_rate_the_engine_cannot_hold_exactly_falls_back_to_the_formula():
    """A rate with more decimals than the SQL scale is priced by the Python formula, never rounded."""
    import dataclasses

    base = CATALOG.find("gpt-4o-mini")
    assert base is not None
    period = base.periods[-1]
    odd = dataclasses.replace(
        base,
        periods=(
            dataclasses.replace(
                period, standard=dataclasses.replace(period.standard, input=Decimal("0.1234567891"))
            ),
        ),
    )
    (row, *_) = RateTable.build([("x", odd)]).rows
    assert row.card_missing  # left to Python
    con = _store([{"model": "x", "ts": dt.datetime(2026, 5, 1), "input_tokens": 3, "output_tokens": 1}])

    class OneModel:
        models = [odd]

        def find(self, name: str) -> Any:
            return odd if name == "x" else None

    try:
        result = cmd.rollup(OneModel(), DuckDbEngine(con), RollupSpec((), "all"))  # type: ignore[arg-type]
    finally:
        con.close()
    (g,) = result.groups
    want = price_usage(odd, Usage(input_tokens=3, output_tokens=1), on=dt.date(2026, 5, 1))
    assert g.cost == want and str(g.cost.total_usd) == str(want.total_usd)


@pytest.mark.parametrize("tokens", [10**18, 9 * 10**18])
def test_large_token_sums_stay_exact(tokens):
    """Bounds documented in costctl.cost.rates: group token sums up to the BIGINT range price exactly."""
    con = _store(
        [
            {
                "model": "gpt-4o",
                "ts": dt.datetime(2026, 5, 1),
                "input_tokens": tokens,
                "output_tokens": tokens,
            },
        ]
    )
    try:
        result = cmd.rollup(CATALOG, DuckDbEngine(con), RollupSpec((), "all"))
    finally:
        con.close()
    model = CATALOG.find("gpt-4o")
    assert model is not None
    want = price_usage(model, Usage(input_tokens=tokens, output_tokens=tokens), on=dt.date(2026, 5, 1))
    assert result.groups[0].group.component_usd is not None
    assert result.total.cost_usd == want.total_usd


def test_costly_users_counted_in_the_engine_match_the_priced_user_rollup(tmp_path):
    """Unit economics counts users over the revenue in SQL; the same count as pricing every user-month group
    (data crossing tiers and a price change, batch rows, an unknown model, usage-export rows)."""
    from spark_data import generate_store

    from costctl.logs.store import connect

    generate_store(tmp_path / "s.duckdb", 2000).close()
    con = connect(tmp_path / "s.duckdb", write=False)
    try:
        engine = DuckDbEngine(con)
        spec = RollupSpec()
        by_user = cmd.rollup(CATALOG, engine, spec.with_dims("user", grain="month"))
        _, rates = cmd.resolve_models(CATALOG, engine.distinct_models(spec))
        costs = sorted(r["cost_usd"] or Decimal(0) for r in by_user.rows if r.get("user") is not None)
        for above in (Decimal(0), costs[len(costs) // 2], costs[-1] - Decimal("1e-15"), costs[-1]):
            want: dict[dt.date, int] = {}
            for r in by_user.rows:
                if r.get("user") is not None and (r["cost_usd"] or Decimal(0)) > above:
                    want[r["period"]] = want.get(r["period"], 0) + 1
            got = {m: n for m, n in engine.costly_users(spec, rates, above).items() if n}
            assert got == want, above
    finally:
        con.close()


def test_costly_users_with_a_missing_rate_price_each_day_as_the_rollup_does():
    """groq/llama-3.3-70b-versatile publishes no cache-read price: a day whose requests read the cache is
    unpriced, a day without cache reads is priced. Summing the month first would lose the priced day."""
    model = "groq/llama-3.3-70b-versatile"
    rows = [
        {
            "model": model,
            "user_id": "u1",
            "ts": dt.datetime(2026, 5, 1, 9),
            "input_tokens": 4_000_000,
            "output_tokens": 1_000_000,
        },
        {
            "model": model,
            "user_id": "u1",
            "ts": dt.datetime(2026, 5, 2, 9),
            "input_tokens": 1_000,
            "cached_input_tokens": 500,
            "output_tokens": 10,
        },
        {
            "model": "gpt-4o-mini",
            "user_id": "u2",
            "ts": dt.datetime(2026, 5, 2, 9),
            "input_tokens": 1_000,
            "output_tokens": 10,
        },
    ]
    con = _store(rows)
    try:
        engine = DuckDbEngine(con)
        spec = RollupSpec()
        by_user = cmd.rollup(CATALOG, engine, spec.with_dims("user", grain="month"))
        costs = {r["user"]: r["cost_usd"] for r in by_user.rows}
        assert costs["u1"] is not None and costs["u1"] > Decimal("0.5")  # the priced day counts
        _, rates = cmd.resolve_models(CATALOG, engine.distinct_models(spec))
        for above in (Decimal(0), Decimal("0.5"), costs["u1"]):
            want = sum(1 for c in costs.values() if c is not None and c > above)
            assert engine.costly_users(spec, rates, above).get(dt.date(2026, 5, 1), 0) == want, above
    finally:
        con.close()
