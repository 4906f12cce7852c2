"""attribute rollups and reports: pricing by the one formula over engine groups, unpriced volume, allocation,
month-over-month, anomalies, budgets, reconcile, exports (real DuckDB, real price tables)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import invoke, run_costctl
from hypothesis import given, settings
from hypothesis import strategies as st
from test_attribute_ingest import row, write_jsonl

from costctl.commands import attribute as cmd
from costctl.cost.price import price_usage
from costctl.errors import InputError
from costctl.logs.ingest import ingest_files
from costctl.logs.store import connect
from costctl.models import Usage
from costctl.rollup import analysis
from costctl.rollup.duckdb_engine import DuckDbEngine
from costctl.rollup.spec import RollupSpec, parse_where

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def make_db(tmp_path: Path, rows: list[dict[str, Any]], name: str = "a") -> Path:
    db = tmp_path / f"{name}.duckdb"
    con = connect(db, write=True)
    ingest_files(con, [write_jsonl(tmp_path / f"{name}.jsonl", rows)])
    con.close()
    return db


def run_rollup(catalog: Any, db: Path, spec: RollupSpec) -> cmd.RollupResult:
    con = connect(db, write=False)
    try:
        return cmd.rollup(catalog, DuckDbEngine(con), spec)
    finally:
        con.close()


def expected_cost(catalog: Any, rows: list[dict[str, Any]]) -> Decimal:
    """Row by row with price_usage: what grouping-then-pricing must equal exactly."""
    total = Decimal(0)
    for r in rows:
        usage = Usage(
            input_tokens=r["input_tokens"],
            output_tokens=r["output_tokens"],
            cached_input_tokens=r.get("cached_input_tokens", 0),
            cache_write_5m_tokens=r.get("cache_write_5m_tokens", 0),
            reasoning_tokens=r.get("reasoning_tokens", 0),
        )
        day = dt.date.fromisoformat(r["ts"][:10])
        total += price_usage(catalog.get(r["model"]), usage, on=day, batch=r.get("is_batch", False)).total_usd
    return total


def test_grouped_pricing_equals_pricing_every_request(catalog: Any, tmp_path: Path) -> None:
    rows = [
        row(1, model="gpt-4o-mini", cached_input_tokens=500),
        row(2, model="gpt-4o-mini-2024-07-18", is_batch=True),
        row(3, model="o3", output_tokens=900, reasoning_tokens=600),
        # long context: each request decides its own tier (150k twice is not 300k)
        row(4, model="claude-sonnet-4-5", input_tokens=150_000, output_tokens=2000),
        row(5, model="claude-sonnet-4-5", input_tokens=150_000, output_tokens=2000),
        row(
            6,
            model="claude-sonnet-4-5-20250929",
            input_tokens=250_000,
            output_tokens=3000,
            cached_input_tokens=100_000,
        ),
        row(7, model="claude-haiku-4-5", cache_write_5m_tokens=200),
    ]
    result = run_rollup(catalog, make_db(tmp_path, rows), RollupSpec(("model",)))
    assert result.total.cost_usd == expected_cost(catalog, rows)
    assert result.total.unpriced_requests == 0
    assert any(p.group.tier_crossed for p in result.groups)
    sonnet = [r for r in result.rows if r["model"] == "claude-sonnet-4-5"]
    assert len(sonnet) == 1 and sonnet[0]["requests"] == 3


def test_unknown_model_and_missing_batch_price_are_unpriced_never_zero(catalog: Any, tmp_path: Path) -> None:
    rows = [
        row(1),
        row(2, model="acme-internal-7b", input_tokens=4000, output_tokens=50),
        row(3, model="gpt-5.4-mini", is_batch=True),
    ]
    result = run_rollup(catalog, make_db(tmp_path, rows), RollupSpec(("model",)))
    assert result.total.unpriced_requests == 2
    assert result.total.unpriced_input_tokens == 4000 + rows[2]["input_tokens"]
    by_model = {r["model"]: r for r in result.rows}
    assert by_model["acme-internal-7b"]["cost_usd"] is None
    assert by_model["acme-internal-7b"]["unpriced_requests"] == 1
    reasons = {u["model"]: u["reason"] for u in result.unpriced}
    assert "unknown model" in reasons["acme-internal-7b"]
    assert "batch" in reasons["gpt-5.4-mini"]
    assert result.total.cost_usd == expected_cost(catalog, rows[:1])


def test_gateway_cache_hits_cost_nothing_and_aggregates_count_their_requests(
    catalog: Any, tmp_path: Path
) -> None:
    rows = [
        row(1, gateway_cache_hit=True),
        row(2, tags={"aggregated_requests": 40}),
        row(3),
    ]
    result = run_rollup(catalog, make_db(tmp_path, rows), RollupSpec())
    assert result.total.requests == 1 + 40 + 1
    assert result.total.cost_usd == expected_cost(catalog, rows[1:])
    assert result.total.input_tokens == sum(r["input_tokens"] for r in rows)


def test_grain_filters_and_where(catalog: Any, tmp_path: Path) -> None:
    rows = [
        row(
            i,
            feature="chat" if i % 2 else "search",
            team="core",
            tags={"customer": "acme" if i < 5 else "zeta"},
        )
        for i in range(10)
    ]
    rows.append(row(50, ts="2026-09-30T23:59:59Z"))
    db = make_db(tmp_path, rows)
    months = run_rollup(catalog, db, RollupSpec(("feature",), "month"))
    assert {r["period"] for r in months.rows} == {dt.date(2026, 9, 1), dt.date(2026, 10, 1)}
    weeks = run_rollup(catalog, db, RollupSpec((), "week"))
    assert all(r["period"].weekday() == 0 for r in weeks.rows)
    oct_only = run_rollup(
        catalog, db, RollupSpec((), "all", since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 3))
    )
    assert oct_only.total.requests == 3
    chat = run_rollup(catalog, db, RollupSpec(("feature",), where=parse_where(["feature=chat"])))
    assert [r["feature"] for r in chat.rows] == ["chat"]
    acme = run_rollup(catalog, db, RollupSpec(where=parse_where(["customer=acme"])))
    assert acme.total.requests == 5
    # a value is a bound parameter, never SQL
    evil = run_rollup(catalog, db, RollupSpec(where=parse_where(["feature=x' OR '1'='1"])))
    assert evil.total.requests == 0
    with pytest.raises(InputError):
        parse_where(["bad key'=1"])
    with pytest.raises(InputError):
        RollupSpec(("feature; DROP TABLE requests",))


def test_report_json_rows_carry_the_contract_fields(catalog: Any, tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(i, feature=f"f{i % 3}") for i in range(9)])
    result = invoke("attribute", "report", "--db", str(db), "--by", "feature,model", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    for r in data["rows"]:
        for key in (
            "feature",
            "model",
            "requests",
            "input_tokens",
            "cached_input_tokens",
            "cache_write_tokens",
            "output_tokens",
            "reasoning_tokens",
            "cost_usd",
            "unpriced_requests",
            "cost_per_request_usd",
            "share",
        ):
            assert key in r
        assert isinstance(r["cost_usd"], str) and Decimal(r["cost_usd"]) > 0
    assert sum(Decimal(r["cost_usd"]) for r in data["rows"]) == Decimal(data["total"]["cost_usd"])
    assert sum(Decimal(r["share"]) for r in data["rows"]) == pytest.approx(Decimal(1))


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown"])
def test_report_renders_in_every_format(tmp_path: Path, fmt: str) -> None:
    db = make_db(tmp_path, [row(i, feature="=HYPERLINK(1)" if i == 0 else "chat") for i in range(4)])
    result = invoke("attribute", "report", "--db", str(db), "--by", "feature", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    if fmt == "csv":
        cells = list(csv.reader(io.StringIO(result.stdout)))
        assert cells[0][0] == "Feature"
        assert any(c[0] == "'=HYPERLINK(1)" for c in cells[1:])  # neutralised


def test_top_n_and_no_matching_rows(tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(i, feature=f"f{i}", input_tokens=1000 * (i + 1)) for i in range(5)])
    data = invoke(
        "attribute", "report", "--db", str(db), "--by", "feature", "--top", "2", "-f", "json"
    ).json()
    assert [r["feature"] for r in data["rows"]] == ["f4", "f3"]
    result = invoke("attribute", "report", "--db", str(db), "--since", "2030-01-01")
    assert result.exit_code == 2 and "no requests match" in result.stderr


def test_bad_report_flags_are_one_line_exit_2(tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(1)])
    for args in (
        ["--by", "colour"],
        ["--grain", "fortnight"],
        ["--since", "yesterday-ish"],
        ["--shared-cost", "vectordb=lots"],
        ["--budget", "chat"],
        ["--where", "novalue"],
        ["--allocate-by", "vibes"],
        ["--engine", "oracle"],
    ):
        result = invoke("attribute", "report", "--db", str(db), *args)
        assert result.exit_code == 2, args
        assert result.stderr.count("costctl: error:") == 1 and "Traceback" not in result.stderr


# ---------------------------------------------------------------- allocation, MoM, anomalies, budgets


@settings(max_examples=200, deadline=None)
@given(
    total=st.decimals(min_value=0, max_value=10**7, places=14, allow_nan=False, allow_infinity=False),
    weights=st.lists(st.integers(0, 10**9), min_size=1, max_size=12),
)
def test_allocation_parts_sum_exactly(total: Decimal, weights: list[int]) -> None:
    parts = analysis.allocate(total, {str(i): w for i, w in enumerate(weights)})
    assert sum(parts.values()) == total  # exactly, below a micro-cent too: money is rounded only for display
    assert all(p >= 0 for p in parts.values())


@settings(max_examples=200, deadline=None)
@given(
    prev=st.dictionaries(
        st.sampled_from("abcde"),
        st.tuples(st.integers(1, 10**6), st.decimals(0, 10**5, places=6)),
        max_size=5,
    ),
    cur=st.dictionaries(
        st.sampled_from("abcdef"),
        st.tuples(st.integers(1, 10**6), st.decimals(0, 10**5, places=6)),
        max_size=6,
    ),
)
def test_mom_volume_rate_mix_sum_exactly_to_the_change(prev: dict[str, Any], cur: dict[str, Any]) -> None:
    a = {k: analysis.Segment(r, c) for k, (r, c) in prev.items()}
    b = {k: analysis.Segment(r, c) for k, (r, c) in cur.items()}
    split = analysis.mom_split(a, b)
    assert split.volume_usd + split.rate_usd + split.mix_usd == split.change_usd
    assert split.change_usd == split.current_usd - split.previous_usd


def test_mom_pure_volume_change_is_all_volume() -> None:
    a = {"chat": analysis.Segment(100, Decimal("10")), "search": analysis.Segment(100, Decimal("30"))}
    b = {"chat": analysis.Segment(200, Decimal("20")), "search": analysis.Segment(200, Decimal("60"))}
    split = analysis.mom_split(a, b)
    assert (split.volume_usd, split.rate_usd, split.mix_usd) == (Decimal(40), Decimal(0), Decimal(0))
    # same volume, shifted towards the dearer feature: mix only
    c = {"chat": analysis.Segment(50, Decimal("5")), "search": analysis.Segment(150, Decimal("45"))}
    split = analysis.mom_split(a, c)
    assert (split.volume_usd, split.rate_usd, split.mix_usd) == (Decimal(0), Decimal(0), Decimal(10))


def test_anomalies_and_budgets_are_pure() -> None:
    series = {"agent": {dt.date(2026, 10, d): Decimal("1") for d in range(1, 20)}}
    series["agent"][dt.date(2026, 10, 20)] = Decimal("5")
    found = analysis.anomalies(series, factor=Decimal(2))
    assert [(a.key, a.day) for a in found] == [("agent", dt.date(2026, 10, 20))]
    burn = analysis.budget_burn(
        {"agent": Decimal(20)},
        {("agent", dt.date(2026, 10, 1)): Decimal(16)},
        {dt.date(2026, 10, 1): dt.date(2026, 10, 10)},
    )
    assert burn[0].alerts == (50, 75) and burn[0].projected_usd == Decimal("49.6")


def test_report_sections_on_the_sample_logs(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    files = [str(SAMPLES / "app_requests.jsonl"), str(SAMPLES / "search_service.csv")]
    assert (
        invoke(
            "attribute",
            "ingest",
            *files,
            "--mapping",
            str(SAMPLES / "search_service.mapping.yaml"),
            "--db",
            str(db),
        ).exit_code
        == 0
    )
    result = invoke(
        "attribute", "report", "--db", str(db), "--by", "feature",
        "--shared-cost", "vectordb=1200", "--overhead-pct", "10", "--allocate-by", "tokens",
        "--budget", "agent=60", "--revenue-per-user", "2", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 1, (
        result.stderr
    )  # agent is over its budget: a failed check, data still printed
    data = result.json()
    shared = data["shared"]
    assert sum(Decimal(a["shared_usd"]) for a in shared["allocations"]) == Decimal(shared["pool_usd"])
    # the overhead pool is exact (10 % of the direct cost), never rounded to micro-cents
    assert Decimal(shared["pool_usd"]) == Decimal(1200) + Decimal(data["total"]["cost_usd"]) / 10
    mom = data["month_over_month"]
    assert Decimal(mom["volume_usd"]) + Decimal(mom["rate_usd"]) + Decimal(mom["mix_usd"]) == Decimal(
        mom["change_usd"]
    )
    spikes = {(a["key"], a["day"]) for a in data["anomalies"]}
    assert ("agent", "2026-10-22") in spikes and ("search", "2026-10-09") in spikes  # cost spike, retry storm
    october = [b for b in data["budgets"] if b["month"] == "2026-10-01"][0]
    assert 100 in october["alerts"]
    assert data["total"]["unpriced_requests"] > 0 and data["unpriced"]
    econ = {e["month"]: e for e in data["per_user_month"]}
    assert econ["2026-10-01"]["active_users"] > 0 and "users_costing_more_than_revenue" in econ["2026-10-01"]
    charge = data["chargeback"]
    assert {c["team"] for c in charge} == {"core", "growth", "platform", "search"}
    # within budget exits 0; --strict makes unpriced volume exit 3
    assert invoke("attribute", "report", "--db", str(db), "--budget", "agent=6000").exit_code == 0
    assert run_costctl("attribute", "report", "--db", str(db), "--strict").exit_code == 3


def test_prompt_version_change_is_visible(catalog: Any, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    con = connect(db, write=True)
    ingest_files(con, [SAMPLES / "app_requests.jsonl"])
    con.close()
    result = run_rollup(
        catalog, db, RollupSpec(("prompt_version",), where=parse_where(["feature=summarize"]))
    )
    per = {r["prompt_version"]: r["input_tokens"] / r["requests"] for r in result.rows}
    assert per["v2"] > per["v1"]


# ---------------------------------------------------------------- reconcile and exports


def test_reconcile_lists_groups_beyond_tolerance_with_a_cause(tmp_path: Path, catalog: Any) -> None:
    good = row(1)
    ours = expected_cost(catalog, [good])
    rows = [
        {**good, "reported_cost_usd": str(ours)},
        row(
            2,
            ts="2026-10-05T10:00:00Z",
            feature="x",
            reported_cost_usd=str(expected_cost(catalog, [row(2)]) * 2),
        ),
    ]
    db = make_db(tmp_path, rows)
    result = invoke("attribute", "reconcile", "--db", str(db), "--tolerance-pct", "1", "-f", "json")
    assert result.exit_code == 1
    data = result.json()
    assert data["groups_checked"] == 2 and len(data["mismatches"]) == 1
    m = data["mismatches"][0]
    assert m["day"] == "2026-10-05" and m["likely_cause"]
    assert invoke("attribute", "reconcile", "--db", str(db), "--tolerance-pct", "60").exit_code == 0


def test_export_parquet_partitions_by_month(tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(1), row(2, ts="2026-09-10T00:00:00Z")])
    out = tmp_path / "lake"
    result = invoke("attribute", "export", str(out), "--db", str(db), "--to", "parquet", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["month=2026-09", "month=2026-10"]
    con = duckdb.connect()
    n = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning=true)", [str(out / "**" / "*.parquet")]
    ).fetchone()
    assert n == (2,)
    again = invoke("attribute", "export", str(out), "--db", str(db), "--to", "parquet")
    assert again.exit_code == 2 and "not empty" in again.stderr


def test_focus_export_columns_and_unknown_prices(tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(1, cached_input_tokens=100), row(2, model="acme-internal-7b")])
    result = invoke("attribute", "export", "--db", str(db), "--to", "focus")
    assert result.exit_code == 0, result.stderr
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ChargePeriodStart",
        "ChargePeriodEnd",
        "ServiceName",
        "ProviderName",
        "SkuId",
        "ConsumedQuantity",
        "ConsumedUnit",
        "Tags",
    } <= set(records[0])
    unknown = [r for r in records if r["SkuId"] == "acme-internal-7b"]
    assert unknown and all(r["BilledCost"] == "" and r["x_UnknownPrice"] == "true" for r in unknown)
    known = [r for r in records if r["SkuId"] == "gpt-4o-mini"]
    assert {r["SkuMeter"] for r in known} == {"Input Tokens", "Cache Read Tokens", "Output Tokens"}
    assert json.loads(known[0]["Tags"])["feature"] == "chat"
    assert known[0]["ChargePeriodStart"].endswith("Z")


def test_help_names_every_subcommand() -> None:
    result = run_costctl("attribute", "--help")
    for sub in ("ingest", "report", "reconcile", "rejects", "export"):
        assert sub in result.stdout


def test_budgets_yaml_file_and_bad_budgets_file(tmp_path: Path) -> None:
    db = make_db(tmp_path, [row(i, feature="chat") for i in range(3)])
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("budgets:\n  chat: 0.000001\n")
    result = invoke("attribute", "report", "--db", str(db), "--budgets", str(budgets), "-f", "json")
    assert result.exit_code == 1  # over budget
    burn = result.json()["budgets"][0]
    assert burn["key"] == "chat" and burn["alerts"] == [50, 75, 90, 100]
    budgets.write_text("budgets:\n  chat: lots\n")
    bad = invoke("attribute", "report", "--db", str(db), "--budgets", str(budgets))
    assert bad.exit_code == 2 and bad.stderr.count("costctl: error:") == 1


def test_unpriced_days_are_one_line_per_model_and_cause() -> None:
    import datetime as _dt

    from costctl.commands.attribute import PricedGroup, RollupResult
    from costctl.rollup.spec import RollupSpec

    groups = []
    for day in (1, 2, 3):
        row = _group_row_for_test(_dt.date(2026, 2, day))
        groups.append(
            PricedGroup(row, "gpt-5.4", "openai", None, f"model 'gpt-5.4' has no price on 2026-02-0{day}")
        )
    result = RollupResult(spec=RollupSpec(dimensions=()), groups=groups)
    assert len(result.unpriced) == 1 and result.unpriced[0]["requests"] == 3


def _group_row_for_test(day: Any) -> Any:
    from costctl.rollup.spec import GroupRow

    return GroupRow(
        raw_model="gpt-5.4",
        day=day,
        is_batch=False,
        gateway_cache_hit=False,
        tier_crossed=False,
        dims={},
        requests=1,
        input_tokens=10,
        cached_input_tokens=0,
        cache_write_5m_tokens=0,
        cache_write_1h_tokens=0,
        output_tokens=5,
        reasoning_tokens=0,
    )
