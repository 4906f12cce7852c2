"""No silently wrong number (issue "Numbers silently wrong"): every case here priced a wrong figure with exit 0
before, and must now either price the right one or say why it cannot.

Named promises (README "Caches", "Money", "Token counts"):
- test_a_cache_never_changes_an_answer_*: the catalog cache validates what the user named and is keyed by
  the content of every input;
- test_money_is_exact_at_the_bounds: Decimal arithmetic stays exact (parts sum to the total) at the largest
  inputs costctl accepts, and larger ones are refused with one line.
"""

from __future__ import annotations

import decimal
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke, needs_tiktoken_cache, run_costctl
from test_attribute_ingest import write_jsonl

FIX = Path(__file__).parent / "fixtures"

OVERLAY = """schema: costctl/pricing@1
provider: openai
source_url: https://example.com/our-contract
checked: 2026-01-01
models:
  - id: gpt-4o-mini
    prices:
      - from: 2024-07-18
        input_usd_per_mtok: {price}
        output_usd_per_mtok: 0.4
"""


def one_error_line(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    return lines[0]


@pytest.fixture
def cache_env(tmp_path: Path) -> dict[str, str]:
    """A private, warm catalog cache: one run has parsed and pickled the bundled tables."""
    env = {"COSTCTL_CACHE_DIR": str(tmp_path / "cache"), "COSTCTL_PRICING_OVERLAY": ""}
    warm = run_costctl(
        "estimate", "-m", "gpt-4o-mini", "--input-tokens", "10", "--output-tokens", "1", env=env
    )
    assert warm.exit_code == 0, warm.stderr
    assert list((tmp_path / "cache").glob("catalog-*.pickle"))
    return env


def _estimate(*extra: str, env: dict[str, str]):
    return run_costctl(
        "estimate", "-m", "gpt-4o-mini", "--input-tokens", "1000000", "--output-tokens", "0", "-f", "json",
        *extra, env=env,
    )  # fmt: skip


@pytest.mark.parametrize("kind", ["missing", "folder", "symlink-loop"])
def test_a_cache_never_changes_an_answer_overlay_named_but_unusable(
    cache_env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "overlay.yaml"
    if kind == "folder":
        target.mkdir()
    elif kind == "symlink-loop":
        (tmp_path / "b.yaml").symlink_to(target)
        target.symlink_to(tmp_path / "b.yaml")
    for args, env in (
        (("--pricing-overlay", str(target)), cache_env),
        ((), {**cache_env, "COSTCTL_PRICING_OVERLAY": str(target)}),
    ):
        line = one_error_line(_estimate(*args, env=env))
        assert str(target) in line and "overlay" in line


def test_a_cache_never_changes_an_answer_empty_entry_in_the_overlay_variable(
    cache_env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "o.yaml"
    good.write_text(OVERLAY.format(price="0.1"))
    line = one_error_line(_estimate(env={**cache_env, "COSTCTL_PRICING_OVERLAY": f"{good}{os.pathsep}"}))
    assert "empty entry" in line


def test_a_cache_never_changes_an_answer_same_size_same_mtime_edit(
    cache_env: dict[str, str], tmp_path: Path
) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text(OVERLAY.format(price="0.1"))
    stamp = overlay.stat().st_mtime_ns
    first = _estimate("--pricing-overlay", str(overlay), env=cache_env)
    assert first.exit_code == 0, first.stderr
    assert Decimal(first.json()["input_usd"]) == Decimal("0.1")
    overlay.write_text(OVERLAY.format(price="0.2"))  # same size
    os.utime(overlay, ns=(stamp, stamp))  # same modification time
    second = _estimate("--pricing-overlay", str(overlay), env=cache_env)
    assert second.exit_code == 0, second.stderr
    assert Decimal(second.json()["input_usd"]) == Decimal("0.2")


def test_the_same_id_twice_in_one_overlay_is_an_error(tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    text = OVERLAY.format(price="0.1")
    entry = text[text.index("  - id:") :]
    overlay.write_text(text + entry.replace("0.1", "0.3"))
    line = one_error_line(
        invoke("estimate", "-m", "gpt-4o-mini", "--input-tokens", "5", "--pricing-overlay", str(overlay))
    )
    assert "duplicate model id" in line and "gpt-4o-mini" in line


@needs_tiktoken_cache
def test_embeddings_count_the_raw_text() -> None:
    result = invoke("estimate", "-m", "text-embedding-ada-002", "--text", "tiktoken is great!", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["input_tokens"] == 6 and result.json()["input_tokens_exact"] is True
    assert "no chat framing" in result.stderr
    chat = invoke(
        "estimate", "-m", "gpt-4", "--text", "tiktoken is great!", "--output-tokens", "0", "-f", "json"
    )
    assert chat.json()["input_tokens"] == 6 + 7  # the same text as a chat message is framed


@needs_tiktoken_cache
def test_tokens_count_per_model_and_encoding() -> None:
    result = invoke(
        "tokens", "count", "-m", "text-embedding-ada-002", "-e", "o200k_base", "-e", "approx:anthropic",
        "--text", "tiktoken is great!", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = result.json()["results"]
    assert [(r["tokenizer"], r["tokens"], r["exact"]) for r in rows] == [
        ("cl100k_base", 6, True),
        ("o200k_base", 6, True),
        ("approx:anthropic", 6, False),
    ]
    piped = invoke("tokens", "count", "-e", "cl100k_base", "-f", "json", input="tiktoken is great!")
    assert piped.json()["tokens"] == 6
    assert "did you mean 'o200k_base'" in one_error_line(
        invoke("tokens", "count", "-e", "o200k_bas", "-t", "x")
    )


def test_estimate_says_what_it_assumed() -> None:
    no_output = invoke("estimate", "-m", "gpt-4o", "--input-tokens", "100")
    assert no_output.exit_code == 0 and "output priced as 0 tokens" in no_output.stderr
    empty = invoke("estimate", "-m", "gpt-4o", "--text", "", "--output-tokens", "5")
    assert empty.exit_code == 0 and "the prompt is empty" in empty.stderr


def test_a_request_above_the_context_window(tmp_path: Path) -> None:
    warned = invoke("estimate", "-m", "claude-sonnet-4", "--input-tokens", "300000", "--output-tokens", "100")
    assert warned.exit_code == 0
    assert "exceed its context window of 200,000 tokens" in warned.stderr
    fits = invoke("estimate", "-m", "claude-sonnet-4", "--input-tokens", "100000", "--output-tokens", "100")
    assert "context window" not in fits.stderr
    work = tmp_path / "w.yaml"
    work.write_text(
        "components:\n  - name: rag\n    model: claude-sonnet-4\n    requests_per_month: 1000\n"
        "    input_tokens: 300000\n    output_tokens: 500\n"
    )
    line = one_error_line(invoke("estimate", "--workload", str(work)))
    assert "rag" in line and "context window" in line
    budget = invoke(
        "estimate",
        "-m",
        "gpt-4o-mini",
        "--text",
        "hello",
        "--max-tokens",
        "200000",
        "--budget",
        "100",
        "-f",
        "json",
    )
    # no model tried can take it: an input error (exit 2), whatever the budget
    assert budget.exit_code == 2, budget.stderr
    assert "context window" in budget.stderr and "no model tried can take this request" in budget.stderr
    routed = invoke("estimate", "-m", "gpt-4o-mini", "--text", "hello", "--max-tokens", "200000",
                    "--budget", "100", "--fallback", "gpt-4.1-mini", "-f", "json")  # fmt: skip
    assert routed.exit_code == 0, routed.stderr  # a fallback with a larger window takes it
    assert routed.json()["decision"] == "fallback"
    assert any("context window" in v for c in routed.json()["candidates"] for v in c["violations"])


def test_money_is_exact_at_the_bounds(tmp_path: Path) -> None:
    price = "0.123456789012345678901"  # 21 significant digits (quoted: a YAML float keeps only 17)
    overlay = tmp_path / "o.yaml"
    overlay.write_text(OVERLAY.format(price=f'"{price}"'))
    tokens = 10**15 - 1  # the largest count accepted
    result = invoke(
        "estimate", "-m", "gpt-4o-mini", "--input-tokens", str(tokens), "--output-tokens", "1",
        "--pricing-overlay", str(overlay), "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    with decimal.localcontext(decimal.Context(prec=200)):
        exact = Decimal(tokens) * Decimal(price) / 10**6
        assert Decimal(data["input_usd"]) == exact
        parts = sum(
            Decimal(data[k]) for k in ("input_usd", "cached_input_usd", "cache_write_usd", "output_usd")
        )
        assert parts == Decimal(data["total_usd"])


@pytest.mark.parametrize(
    "args",
    [
        ("estimate", "-m", "gpt-4o", "--input-tokens", str(10**33), "--output-tokens", "1"),
        ("estimate", "-m", "gpt-4o", "--input-tokens", str(10**30)),
        ("estimate", "-m", "gpt-4o", "--text", "hi", "--max-tokens", "5", "--budget", "1e30"),
        (
            "estimate",
            "--limits",
            "--mau",
            "10",
            "--queries-per-user-per-day",
            "1e30",
            "--cost-per-query",
            "1",
        ),
    ],
)
def test_absurd_numbers_are_one_line(args: tuple[str, ...]) -> None:
    line = one_error_line(invoke(*args))
    assert "at most" in line


def test_absurd_price_and_shared_cost_are_one_line(tmp_path: Path) -> None:
    overlay = tmp_path / "o.yaml"
    overlay.write_text(OVERLAY.format(price="1e400"))
    assert "input_usd_per_mtok" in one_error_line(
        invoke("estimate", "-m", "gpt-4o-mini", "--input-tokens", "5", "--pricing-overlay", str(overlay))
    )
    db = tmp_path / "x.duckdb"
    log = write_jsonl(
        tmp_path / "a.jsonl",
        [{"ts": "2026-10-01T00:00:00Z", "model": "gpt-4o", "input_tokens": 5, "output_tokens": 1}],
    )
    assert invoke("attribute", "ingest", str(log), "--db", str(db)).exit_code == 0
    assert "--shared-cost" in one_error_line(
        invoke("attribute", "report", "--db", str(db), "--shared-cost", "x=1e30")
    )


def test_bare_anthropic_body_keeps_its_timestamp_and_metadata(tmp_path: Path) -> None:
    body = json.loads((FIX / "logs" / "anthropic_messages.jsonl").read_text().splitlines()[0])
    body.update({"timestamp": "2026-03-05T12:00:00Z", "metadata": {"feature": "triage", "user_id": "u7"}})
    log = write_jsonl(tmp_path / "bodies.jsonl", [body])
    db = tmp_path / "a.duckdb"
    assert invoke("attribute", "ingest", str(log), "--db", str(db)).exit_code == 0
    report = invoke("attribute", "report", "--db", str(db), "--by", "feature", "--grain", "day", "-f", "json")
    assert report.exit_code == 0, report.stderr
    rows = [r for r in report.json()["rows"] if r.get("feature") == "triage"]
    assert rows and str(rows[0]["period"]).startswith("2026-03-05"), report.json()["rows"]


def test_claude_code_line_with_billed_usage_but_no_type_is_kept(tmp_path: Path) -> None:
    lines = (FIX / "logs" / "claude_code_session.jsonl").read_text().splitlines()
    assistant = next(json.loads(ln) for ln in lines if '"type": "assistant"' in ln)
    extra = {k: v for k, v in assistant.items() if k not in ("type", "sessionId")}
    extra["message"] = {k: v for k, v in extra["message"].items() if k not in ("role", "type")}
    extra["message"]["id"] = "msg_EXTRA"
    extra["requestId"] = "req_EXTRA"
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(lines) + "\n")
    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(lines) + "\n" + json.dumps(extra) + "\n")

    def loaded(path: Path) -> int:
        res = invoke(
            "attribute", "ingest", str(path), "--db", str(tmp_path / f"{path.stem}.duckdb"), "-f", "json"
        )
        assert res.exit_code == 0, res.stderr
        return int(res.json()["total"]["loaded"])

    assert loaded(more) == loaded(plain) + 1


def test_embeddings_are_not_told_about_output_tokens() -> None:
    result = invoke("estimate", "-m", "text-embedding-3-small", "--input-tokens", "1000")
    assert result.exit_code == 0 and "output" not in result.stderr
