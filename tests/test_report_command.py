"""`costctl report`: figures, formats, reproducibility, escaping and bad input, on a real DuckDB store."""

from __future__ import annotations

import json
import re
import urllib.parse
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, run_costctl
from test_report_data import FORMULA_FEATURE, XSS_FEATURE, XSS_TEAM, build_db

CLOCK = "2026-11-01T08:00:00Z"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_db(tmp_path_factory.mktemp("report") / "costs.duckdb")


def html_of(db: Path, tmp_path: Path, *extra: str) -> str:
    out = tmp_path / "report.html"
    result = invoke(
        "report", "--db", str(db), "--month", "2026-10", "-o", str(out), "--generated-at", CLOCK, *extra
    )
    assert result.exit_code == 0, result.stderr
    return out.read_text(encoding="utf-8")


def json_of(db: Path, *extra: str, exit_code: int = 0) -> dict:
    result = invoke("report", "--db", str(db), "--month", "2026-10", "-f", "json", *extra)
    assert result.exit_code == exit_code, result.stderr
    return result.json()


def references(html: str) -> tuple[list[str], set[str]]:
    """Every src/href/xlink:href of a real element (parsed, so escaped text cannot count), and tag names."""
    from html.parser import HTMLParser

    refs: list[str] = []
    tags: set[str] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.add(tag)
            refs.extend(
                v or "" for k, v in attrs if k in ("src", "href", "xlink:href", "srcset", "poster", "action")
            )

    Collect().feed(html)
    return refs, tags


def csv_links(html: str) -> dict[str, str]:
    return {
        name: urllib.parse.unquote(href.removeprefix("data:text/csv;charset=utf-8,"))
        for name, href in re.findall(r'download="([^"]+)" href="([^"]+)"', html)
    }


def test_figures_add_up_and_unpriced_volume_is_shown(db: Path) -> None:
    data = json_of(db)
    h = data["headline"]
    features = data["by_feature"]
    priced = [Decimal(r["cost_usd"]) for r in features if r["cost_usd"] is not None]
    assert sum(priced) == Decimal(h["total_usd"])  # parts sum exactly to the total
    assert sum(r["requests"] for r in features) == h["requests"]
    # the unknown model is counted as unpriced, never as $0
    experiments = next(r for r in features if r["name"] == "experiments")
    assert experiments["cost_usd"] is None and experiments["unpriced_requests"] == h["unpriced_requests"] > 0
    assert data["unpriced"][0]["model"] == "mystery-model-9"
    split = data["month_over_month"]["feature"]
    parts = sum(Decimal(split[k]) for k in ("volume_usd", "rate_usd", "mix_usd"))
    assert parts == Decimal(split["change_usd"]) == Decimal(h["change_usd"])
    assert Decimal(h["previous_usd"]) + Decimal(h["change_usd"]) == Decimal(h["total_usd"])
    assert len(data["trend"]) == 12 and data["trend"][-1]["month"] == "2026-10"
    assert Decimal(data["trend"][-1]["cost_usd"]) == Decimal(h["total_usd"])
    assert h["active_users"] == 23
    assert Decimal(h["cost_per_active_user_usd"]) == Decimal(h["total_usd"]) / 23
    # daily stack: 31 days, and the days add up to the month
    stack = data["daily_by_feature"]
    assert len(stack["days"]) == 31
    assert sum(Decimal(v) for s in stack["series"] for v in s["cost_usd"]) == Decimal(h["total_usd"])
    # the search spike on 2026-10-20 is an anomaly
    assert [(a["key"], a["day"]) for a in data["anomalies"]] == [("search", "2026-10-20")]


def test_top_n_keeps_an_other_row_that_sums_exactly(db: Path) -> None:
    data = json_of(db, "--top", "3")
    users = data["by_user"]
    assert len(users) == 4 and users[-1]["is_other"] and users[-1]["name"].startswith("(other)")
    total = sum(Decimal(r["cost_usd"]) for r in users if r["cost_usd"] is not None)
    assert total == Decimal(data["headline"]["total_usd"])


def test_budgets_and_shared_cost_chargeback(db: Path) -> None:
    data = json_of(
        db,
        "--total-budget",
        "3",
        "--budget",
        "search=1.5",
        "--shared-cost",
        "vectordb=3.00",
        "--overhead-pct",
        "10",
        exit_code=1,  # over budget is a failed check, as in `attribute report --budget`
    )
    assert data["headline"]["budget"]["status"] == "over budget"
    assert data["budgets"][0]["key"] == "search" and 100 in data["budgets"][0]["alerts"]
    pool = Decimal(data["shared"]["pool_usd"])
    charge = data["chargeback"]
    assert sum(Decimal(r["shared_usd"]) for r in charge) == pool
    assert pool == Decimal("3.00") + Decimal(data["shared"]["overhead_usd"])


def test_html_is_self_contained_small_and_has_every_section(db: Path, tmp_path: Path) -> None:
    html = html_of(db, tmp_path, "--total-budget", "10", "--shared-cost", "vectordb=3")
    assert len(html.encode()) < 500_000
    assert html.count("<svg") >= 8  # daily, trend, mom, 4 top charts, sparklines
    for section in (
        "headline",
        "daily",
        "trend",
        "mom",
        "top",
        "by-feature",
        "by-model",
        "by-team",
        "by-user",
        "chargeback",
        "alerts",
        "audit",
        "estimate",
        "unpriced",
    ):
        assert f'id="{section}"' in html
    # nothing is fetched: no URL other than data: in src/href, no external script, font or stylesheet
    refs, tags = references(html)
    assert refs and all(r.startswith(("data:", "#")) for r in refs), [
        r for r in refs if not r.startswith("data:")
    ]
    assert not {"img", "iframe", "object", "embed", "link", "audio", "video", "source"} & tags
    assert "@import" not in html and "url(" not in html and "<link" not in html
    assert re.search(r"<script(?![^>]*application/json)", html) is None
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "154 requests are unpriced" in html
    assert "within budget" in html


def test_user_text_is_escaped_everywhere(db: Path, tmp_path: Path) -> None:
    html = html_of(db, tmp_path)
    assert XSS_FEATURE not in html and XSS_TEAM not in html
    _, tags = references(html)
    assert "img" not in tags and "script" in tags  # the one script element is the inert JSON
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the embedded JSON cannot close its <script> element
    payload = re.search(r'<script type="application/json" id="costctl-data">(.*?)</script>', html, re.S)
    assert payload is not None and "<" not in payload.group(1)
    assert json.loads(payload.group(1))["month"] == "2026-10"


def test_csv_downloads_carry_the_chart_data_and_neutralise_formulas(db: Path, tmp_path: Path) -> None:
    links = csv_links(html_of(db, tmp_path))
    assert {
        "daily-spend-by-feature-2026-10.csv",
        "twelve-month-trend.csv",
        "month-over-month-split.csv",
        "top-features.csv",
        "top-models.csv",
        "top-teams.csv",
        "top-users.csv",
        "cost-by-feature-2026-10.csv",
        "chargeback-2026-10.csv",
    } <= set(links)
    by_feature = links["cost-by-feature-2026-10.csv"]
    assert "'" + FORMULA_FEATURE.replace('"', '""') in by_feature  # quoted by csv, prefixed by neutralise
    assert not any(
        line.startswith(("=", '"=')) for csv_text in links.values() for line in csv_text.splitlines()
    )
    trend = links["twelve-month-trend.csv"].splitlines()
    assert trend[0] == "month,cost_usd,requests,unpriced_requests" and len(trend) == 13


def test_same_input_gives_the_same_bytes(db: Path, tmp_path: Path) -> None:
    first = html_of(db, tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path)
    second = html_of(db, tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path)
    assert first == second
    assert CLOCK in first
    # without an injected clock the report shows only the data's own dates: still reproducible
    out = tmp_path / "noclock.html"
    assert invoke("report", "--db", str(db), "--month", "2026-10", "-o", str(out)).exit_code == 0
    again = tmp_path / "noclock2.html"
    assert run_costctl("report", "--db", str(db), "--month", "2026-10", "-o", str(again)).exit_code == 0
    assert out.read_bytes() == again.read_bytes() and "generated" not in out.read_text().split("</header>")[0]


def test_clock_from_environment(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run_costctl(
        "report",
        "--db",
        str(db),
        "--month",
        "2026-10",
        "-o",
        str(out),
        env={"COSTCTL_GENERATED_AT": "2026-12-24T10:00:00+01:00"},
    )
    assert result.exit_code == 0, result.stderr
    assert "generated 2026-12-24T09:00:00Z" in out.read_text()


def test_markdown_summary_and_table_formats(db: Path) -> None:
    md = run_costctl("report", "--db", str(db), "--month", "2026-10", "-f", "markdown")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("### LLM cost report 2026-10")
    assert (
        "**Total spend:**" in md.stdout
        and "volume" in md.stdout
        and "**Unpriced:** 154 requests" in md.stdout
    )
    assert "&lt;script&gt;" in md.stdout and "<script>" not in md.stdout
    assert "| experiments | unpriced |" in md.stdout
    assert "note: 154 requests are unpriced" in md.stderr
    table = invoke("report", "--db", str(db), "--month", "2026-10", "-f", "table")
    assert table.exit_code == 0 and "search" in table.stdout


def test_audit_highlights_from_audit_json(db: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.json"
    audit.write_text(
        json.dumps(
            {
                "schema_version": 1,
                "command": "audit logs",
                "totals": {"system_prompt_share_of_input": "0.62", "waste_usd_per_month": "12.5"},
                "findings": [
                    {
                        "rule": "duplicates",
                        "message": "<b>dup</b> requests",
                        "where": "chat",
                        "waste_usd": "3.2",
                    }
                ],
                "output": [
                    {
                        "feature": "chat",
                        "model": "gpt-4o-mini",
                        "max_tokens_cap": 4096,
                        "recommended_cap": 800,
                        "truncation_rate": "0.01",
                    }
                ],
            }
        )
    )
    html = html_of(db, tmp_path, "--audit", str(audit))
    section = html.split('id="audit"')[1].split("</section>")[0]
    assert "62.0%" in section and "$12.50" in section and "&lt;b&gt;dup&lt;/b&gt; requests" in section
    assert "4,096" in section and ">800<" in section


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("runner", [invoke, run_costctl])
def test_month_without_data(db: Path, tmp_path: Path, runner) -> None:
    out = tmp_path / "r.html"
    line = one_error_line(runner("report", "--db", str(db), "--month", "2026-12", "-o", str(out)))
    assert "no requests logged in 2026-12" in line and "2026-10" in line
    assert not out.exists()


@pytest.mark.parametrize("runner", [invoke, run_costctl])
def test_database_from_an_older_schema(tmp_path: Path, runner) -> None:
    import duckdb

    old = tmp_path / "old.duckdb"
    con = duckdb.connect(str(old))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.execute("CREATE TABLE requests (ts TIMESTAMP, model VARCHAR)")
    con.close()
    line = one_error_line(
        runner("report", "--db", str(old), "--month", "2026-10", "-o", str(tmp_path / "r.html"))
    )
    assert "schema version 0" in line
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("runner", [invoke, run_costctl])
def test_output_path_that_cannot_be_written(db: Path, tmp_path: Path, runner) -> None:
    missing_dir = tmp_path / "nope" / "report.html"
    assert "cannot write output" in one_error_line(
        runner("report", "--db", str(db), "--month", "2026-10", "-o", str(missing_dir))
    )
    a_directory = tmp_path / "adir"
    a_directory.mkdir()
    assert "cannot write output" in one_error_line(
        runner("report", "--db", str(db), "--month", "2026-10", "-o", str(a_directory))
    )
    assert list(a_directory.iterdir()) == [] and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_existing_report_is_not_replaced_by_a_failed_run(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("previous report")
    one_error_line(invoke("report", "--db", str(db), "--month", "2027-01", "-o", str(out)))
    assert out.read_text() == "previous report"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--month", "October"), "--month: expected YYYY-MM"),
        (("--month", "2026-10", "--generated-at", "yesterday"), "--generated-at"),
        (("--month", "2026-10", "--budget", "search"), "--budget"),
        (("--month", "2026-10", "--allocate-by", "vibes"), "--allocate-by"),
        ((), "--month is required"),
    ],
)
def test_bad_flags(db: Path, args: tuple[str, ...], expected: str) -> None:
    assert expected in one_error_line(invoke("report", "--db", str(db), *args))


def test_missing_database_and_bad_audit_file(db: Path, tmp_path: Path) -> None:
    assert "no attribute database" in one_error_line(
        invoke("report", "--db", str(tmp_path / "x.duckdb"), "--month", "2026-10")
    )
    bad = tmp_path / "audit.json"
    bad.write_text('{"command": "estimate"}')
    assert "costctl audit" in one_error_line(
        invoke("report", "--db", str(db), "--month", "2026-10", "--audit", str(bad))
    )
