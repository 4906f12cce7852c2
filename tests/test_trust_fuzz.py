"""Property: whatever a user feeds costctl — malformed YAML, JSON, CSV or flag values — it ends with a
documented exit code (0, 1, 2, 3) and never a traceback; a usage error (2) ends with one
`costctl: error: ...` line on stderr.

Named promise (README "Exit codes": "never a traceback"). The CLI runs in-process with
`catch_exceptions=False`, so any exception escaping a command fails the property with its example.
Runtime is kept modest: a few dozen examples per input kind, no deadline.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml
from conftest import invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCUMENTED = {0, 1, 2, 3}
FIX = Path(__file__).parent / "fixtures"
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_contract(result: Any, args: Any) -> None:
    assert result.exit_code in DOCUMENTED, (args, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr, (args, result.stderr)
    if result.exit_code == 2:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert lines and lines[-1].startswith("costctl: error: "), (args, result.stderr)


# ---------------------------------------------------------------- values

odd_numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "inf",
            "-inf",
            "1e999",
            "1e-999",
            "-0",
            "1,5",
            "$1,000",
            "1_000",
            "0x10",
            "１２",
            "1e30",
            "10%",
            "٣",
            "\x00",
            "=1+1",
        ]
    ),  # fmt: skip
    st.text(max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
MODELS = st.sampled_from(["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "text-embedding-3-small", "nope", ""])
ESTIMATE_FLAGS = st.sampled_from(
    ["--input-tokens", "--output-tokens", "--cached-input-tokens", "--max-tokens", "--budget", "--at",
     "--reasoning-tokens", "--cache-write-tokens", "--max-input-tokens", "--months", "--format", "--text"]
)  # fmt: skip


@SETTINGS
@given(model=MODELS, flags=st.lists(st.tuples(ESTIMATE_FLAGS, odd_numbers), max_size=4))
def test_estimate_flags_never_traceback(model: str, flags: list[tuple[str, str]]) -> None:
    args = ["estimate", "-m", model]
    for flag, value in flags:
        args += [flag, value]
    if not any(f in ("--input-tokens", "--text") for f, _ in flags):
        args += ["--input-tokens", "10"]
    assert_contract(invoke(*args, input=""), args)


@SETTINGS
@given(
    command=st.sampled_from(
        [
            ["pricing", "list", "--provider"],
            ["pricing", "show"],
            ["tokens", "count", "--encoding"],
            ["breakeven", "rag", "--queries-per-month"],
            ["attribute", "report", "--db", "/nonexistent/x.duckdb", "--top"],
        ]
    ),
    value=odd_numbers,
)
def test_other_flag_values_never_traceback(command: list[str], value: str) -> None:
    args = [*command, value]
    assert_contract(invoke(*args, input=""), args)


# ---------------------------------------------------------------- files


def yaml_texts() -> st.SearchStrategy[str]:
    base = (FIX / "estimate" / "minimal.yaml").read_text()
    structured = json_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True))
    mutated = st.tuples(st.integers(0, len(base)), st.text(max_size=30)).map(
        lambda t: base[: t[0]] + t[1] + base[t[0] :]
    )
    dates = st.sampled_from(["2026-02-30", "2026-13-01", "9999-99-99", "0000-00-00"]).map(
        lambda d: f"checked: {d}\n" + base
    )
    return st.one_of(st.text(max_size=200), structured, mutated, dates)


@SETTINGS
@given(text=yaml_texts(), kind=st.sampled_from(["workload", "overlay", "budgets", "scenario"]))
def test_malformed_yaml_never_tracebacks(text: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.yaml"
        path.write_text(text, encoding="utf-8")
        if kind == "workload":
            args = ["estimate", "--workload", str(path)]
        elif kind == "overlay":
            args = ["estimate", "-m", "gpt-4o", "--input-tokens", "5", "--pricing-overlay", str(path)]
        elif kind == "budgets":
            args = ["attribute", "report", "--db", str(Path(tmp) / "none.duckdb"), "--budgets", str(path)]
        else:
            args = ["breakeven", "--scenario", str(path)]
        assert_contract(invoke(*args, input=""), args)


def json_texts() -> st.SearchStrategy[str]:
    deep = st.integers(1, 60_000).map(lambda n: "[" * n)
    return st.one_of(json_values.map(json.dumps), st.text(max_size=200), deep)


@SETTINGS
@given(text=json_texts(), kind=st.sampled_from(["request", "baseline", "against"]))
def test_malformed_json_never_tracebacks(text: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.json"
        path.write_text(text, encoding="utf-8")
        if kind == "request":
            args = ["estimate", "--request", str(path)]
        elif kind == "baseline":
            work = str(FIX / "estimate" / "minimal.yaml")
            args = ["estimate", "--workload", work, "--baseline", str(path), "--max-increase", "1"]
        else:
            args = ["pricing", "check", "--against", str(path)]
        assert_contract(invoke(*args, input=""), args)


csv_cells = st.one_of(odd_numbers, st.text(max_size=15), st.sampled_from(["2026-10-01T00:00:00Z", "gpt-4o"]))
COLUMNS = ["ts", "model", "input_tokens", "output_tokens", "feature", "user_id", "request_id", "weird"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True),
    rows=st.lists(st.lists(csv_cells, min_size=0, max_size=7), max_size=6),
    as_jsonl=st.booleans(),
)
def test_malformed_logs_never_traceback(header: list[str], rows: list[list[str]], as_jsonl: bool) -> None:
    import csv
    import io

    with tempfile.TemporaryDirectory() as tmp:
        if as_jsonl:
            path = Path(tmp) / "log.jsonl"
            lines = [json.dumps(dict(zip(header, r, strict=False))) for r in rows]
            path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        else:
            path = Path(tmp) / "log.csv"
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(header)
            writer.writerows(rows)
            path.write_text(buf.getvalue(), encoding="utf-8")
        args = ["attribute", "ingest", str(path), "--db", str(Path(tmp) / "x.duckdb"), "-f", "json"]
        result = invoke(*args)
        assert_contract(result, (args, path.read_text(encoding="utf-8")))
        if result.exit_code == 0:
            total = result.json()["total"]
            assert total["read"] == total["loaded"] + total["rejected"] + total["duplicate"]
