"""Price breadth (the pinned generated tables behind our curated YAML), where every price comes from, batch
cards, and service tiers (OpenAI flex/priority, Anthropic fast mode) from flags, workloads and log fields."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SHARED, invoke

from costctl.cost.price import price_usage
from costctl.errors import MissingPriceError
from costctl.models import Usage
from costctl.pricing.catalog import load_catalog

M = Decimal(1_000_000)

# Names a new user brings from other projects' test expectations and real logs, each with the source that
# must price it (our curated table wins wherever it has the model).
BREADTH = {
    "gpt-3.5-turbo-0613": "genai-prices 0.2.3",
    "gpt-3.5-turbo-0301": "genai-prices 0.2.3",
    "gpt-3.5-turbo-1106": "genai-prices 0.2.3",
    "gpt-4-32k": "genai-prices 0.2.3",
    "claude-2.1": "genai-prices 0.2.3",
    "gemini-1.5-flash": "genai-prices 0.2.3",
    "gpt-4o-realtime-preview": "genai-prices 0.2.3",
    "command-r-plus": "genai-prices 0.2.3",
    "grok-3": "genai-prices 0.2.3",
    "bedrock/anthropic.claude-v2:1": "litellm 1.110.2",
    "ai21.j2-ultra-v1": "litellm 1.110.2",
    "bedrock/ai21.jamba-1-5-large-v1:0": "litellm 1.110.2",
    "fireworks_ai/accounts/fireworks/models/llama-v3p1-8b-instruct": "litellm 1.110.2",
    "vertex_ai/gemini-1.5-pro": "genai-prices 0.2.3",
    "azure/gpt-4o": "costctl",
    "anthropic.claude-3-5-sonnet-20240620-v1:0": "costctl",
    "openrouter/anthropic/claude-3.5-sonnet": "costctl",
    "o3-mini": "costctl",
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.mark.parametrize("name", sorted(BREADTH))
def test_names_users_bring_price_with_their_source(catalog, name):
    model = catalog.get(name)
    assert model.source == BREADTH[name]
    cost = price_usage(model, Usage(input_tokens=1000, output_tokens=100), on=dt.date(2026, 6, 1))
    assert cost.total_usd > 0


def test_curated_tables_win_and_generated_tables_load_only_on_a_miss():
    catalog = load_catalog()
    assert all(m.source == "costctl" for m in catalog.models)
    assert catalog.find("gpt-4o").source == "costctl"  # genai-prices has gpt-4o too; ours wins
    # a curated alias form (date suffix) is still ours, not a generated exact name
    assert catalog.find("claude-3-haiku-20240307").source == "costctl"


def test_unknown_model_is_still_an_error_with_a_suggestion():
    result = invoke("estimate", "-m", "gpt-4o-minii", "--input-tokens", "10", "--output-tokens", "1")
    assert result.exit_code == 2
    assert "gpt-4o-mini" in result.stderr


def test_estimate_says_where_a_generated_price_comes_from():
    result = invoke(
        "estimate", "-m", "gpt-4-32k", "--input-tokens", "1000000", "--output-tokens", "0", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["price_source"] == "genai-prices 0.2.3"
    assert Decimal(str(data["total_usd"])) == Decimal(60)  # gpt-4-32k: $60 per 1M input
    assert "genai-prices 0.2.3" in result.stderr and "not hand-checked" in result.stderr
    ours = invoke("estimate", "-m", "gpt-4o", "--input-tokens", "10", "--output-tokens", "1", "-f", "json")
    assert ours.json()["price_source"] == "costctl"
    assert "not hand-checked" not in ours.stderr


def test_pricing_list_shows_breadth_by_provider_and_source():
    result = invoke("pricing", "list", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    sources = data["by_source"]
    assert sources["costctl"] >= 69
    assert sources["genai-prices 0.2.3"] > 1000 and sources["litellm 1.110.2"] > 1000
    providers = {m["provider"] for m in data["models"]}
    wanted = {"openai", "anthropic", "google", "vertex_ai", "bedrock", "azure", "mistral", "deepseek", "xai"}
    assert wanted | {"groq", "together", "fireworks", "cohere", "openrouter", "ai21"} <= providers
    only = invoke("pricing", "list", "--source", "costctl", "--provider", "anthropic", "-f", "json").json()
    assert {m["source"] for m in only["models"]} == {"costctl"}
    bad = invoke("pricing", "list", "--source", "litelm")
    assert bad.exit_code == 2 and "litellm" in bad.stderr


def test_pricing_show_names_the_source_and_tiers():
    result = invoke("pricing", "show", "claude-opus-4-6", "-f", "json")
    data = result.json()
    assert data["price_source"] == "costctl"
    assert data["context_window_tokens"] == 1_000_000
    assert Decimal(data["current"]["service_tiers"]["fast"]["input_usd_per_mtok"]) == 30
    table = invoke("pricing", "show", "gpt-3.5-turbo-0613")
    assert "prices from genai-prices 0.2.3" in table.stdout


# ---------------------------------------------------------------- batch cards


@pytest.mark.parametrize(
    ("name", "input_rate", "output_rate"),
    [
        ("o3-mini", "0.55", "2.2"),
        ("gpt-5.4-mini", "0.375", "2.25"),
        ("gpt-5.4-nano", "0.1", "0.625"),
        ("gpt-4o-2024-05-13", "2.5", "7.5"),
        ("text-embedding-3-small", "0.01", None),
        ("text-embedding-3-large", "0.065", None),
        ("text-embedding-ada-002", "0.05", None),
    ],
)
def test_published_batch_cards(catalog, name, input_rate, output_rate):
    model = catalog.get(name)
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000 if output_rate else 0)
    cost = price_usage(model, usage, on=dt.date(2026, 11, 1), batch=True)
    assert cost.input_usd == Decimal(input_rate)
    assert cost.output_usd == (Decimal(output_rate) if output_rate else 0)


def _batch_line(i: int, model: str, prompt: int, completion: int, cached: int = 0) -> str:
    body = {
        "id": f"chatcmpl-{i}",
        "object": "chat.completion",
        "created": 1764000000,  # 2025-11-24
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }
    line = {
        "id": f"batch_req_{i}",
        "custom_id": f"request-{i}",
        "response": {"status_code": 200, "request_id": f"req_{i}", "body": body},
        "error": None,
    }
    return json.dumps(line)


def test_an_o3_mini_batch_file_prices_at_batch_rates(tmp_path: Path):
    batch = tmp_path / "batch_output.jsonl"
    batch.write_text(
        "\n".join(_batch_line(i, "o3-mini-2025-01-31", 1_000_000, 500_000) for i in range(2)) + "\n"
    )
    db = str(tmp_path / "a.duckdb")
    ingest = invoke("attribute", "ingest", str(batch), "--db", db, "-f", "json")
    assert ingest.exit_code == 0, ingest.stderr
    report = invoke("attribute", "report", "--db", db, "--by", "model", "-f", "json")
    assert report.exit_code == 0, report.stderr
    data = report.json()
    assert not data.get("unpriced")
    # 2 requests x (1M input x 0.55 + 0.5M output x 2.20) per 1M = 2 x 1.65
    assert Decimal(str(data["total"]["cost_usd"])) == Decimal("3.3")


# ---------------------------------------------------------------- service tiers


def test_estimate_service_tiers():
    def total(*args: str) -> Decimal:
        r = invoke("estimate", "--input-tokens", "1000000", "--output-tokens", "1000000", "-f", "json", *args)
        assert r.exit_code == 0, r.stderr
        return Decimal(str(r.json()["total_usd"]))

    assert total("-m", "claude-opus-4-6") == Decimal(30)
    assert total("-m", "claude-opus-4-6", "--service-tier", "fast") == Decimal(180)
    assert total("-m", "gpt-5", "--service-tier", "flex") == Decimal("5.625")
    assert total("-m", "gpt-5", "--service-tier", "priority") == Decimal("22.5")
    assert total("-m", "gpt-5", "--service-tier", "default") == Decimal("11.25")
    # a tier the provider does not publish for the model: a missing price (exit 3), never the standard rate
    missing = invoke(
        "estimate",
        "-m",
        "claude-sonnet-4-5",
        "--input-tokens",
        "10",
        "--output-tokens",
        "1",
        "--service-tier",
        "fast",
    )
    assert missing.exit_code == 3 and "'fast' service-tier" in missing.stderr
    batch = invoke("estimate", "-m", "gpt-5", "--input-tokens", "10", "--service-tier", "batch")
    assert batch.exit_code == 2 and "--batch" in batch.stderr


def test_a_tier_keeps_its_own_long_context_cliff(catalog):
    model = catalog.get("gpt-5.4")
    big = Usage(input_tokens=300_000, output_tokens=1_000)
    flex = price_usage(model, big, on=dt.date(2026, 11, 1), service_tier="flex")
    assert flex.long_context_applied
    assert flex.input_usd == Decimal("0.75")  # 300k at the flex long-context 2.50
    fast = price_usage(catalog.get("claude-opus-4-6"), big, on=dt.date(2026, 2, 20), service_tier="fast")
    assert not fast.long_context_applied  # fast mode is flat across the window
    assert fast.input_usd == Decimal(9)


def test_workload_service_tier(tmp_path: Path):
    wl = tmp_path / "w.yaml"
    wl.write_text(
        "components:\n"
        "  - name: agent\n    model: claude-opus-4-7\n    requests_per_month: 1000\n"
        "    input_tokens: 1000\n    output_tokens: 1000\n    service_tier: fast\n"
        "  - name: bulk\n    model: gpt-5\n    requests_per_month: 1000\n"
        "    input_tokens: 1000\n    output_tokens: 1000\n    service_tier: flex\n"
    )
    result = invoke("estimate", "--workload", str(wl), "--at", "2026-06-01", "-f", "json")
    assert result.exit_code == 0, result.stderr
    costs = {c["name"]: Decimal(str(c["monthly_cost_usd"])) for c in result.json()["components"]}
    assert costs["agent"] == Decimal(180)  # 1M in x 30 + 1M out x 150
    assert costs["bulk"] == Decimal("5.625")
    wl.write_text(wl.read_text().replace("service_tier: flex", "service_tier: batch"))
    bad = invoke("estimate", "--workload", str(wl))
    assert bad.exit_code == 2 and "batch_share" in bad.stderr


def _claude_line(i: int, model: str, speed: str | None) -> str:
    usage: dict[str, object] = {
        "input_tokens": 1000,
        "output_tokens": 1000,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    if speed:
        usage["speed"] = speed
    return json.dumps(
        {
            "type": "assistant",
            "sessionId": "s1",
            "timestamp": f"2026-06-01T10:00:0{i}Z",
            "cwd": "proj",
            "requestId": f"req_{i}",
            "message": {"id": f"msg_{i}", "role": "assistant", "model": model, "usage": usage},
        }
    )


def test_claude_code_fast_mode_lines_price_at_fast_rates(tmp_path: Path):
    log = tmp_path / "session.jsonl"
    log.write_text(
        "\n".join(
            [
                _claude_line(1, "claude-opus-4-6", "fast"),
                _claude_line(2, "claude-opus-4-6", None),
                _claude_line(3, "claude-sonnet-4-5", "fast"),
            ]
        )
        + "\n"
    )
    db = str(tmp_path / "c.duckdb")
    assert invoke("attribute", "ingest", str(log), "--db", db).exit_code == 0
    report = invoke("attribute", "report", "--db", db, "--by", "model", "-f", "json")
    data = report.json()
    by_model = {r["model"]: r for r in data["rows"]}
    # fast: 1k x 30 + 1k x 150 per 1M = 0.18; standard: 1k x 5 + 1k x 25 per 1M = 0.03
    assert Decimal(str(by_model["claude-opus-4-6"]["cost_usd"])) == Decimal("0.21")
    # Sonnet 4.5 has no fast mode: unpriced with the reason, never the standard rate in silence
    assert by_model["claude-sonnet-4-5"]["cost_usd"] is None
    reasons = " ".join(u["reason"] for u in data["unpriced"])
    assert "'fast' service-tier" in reasons


def test_a_tier_table_rejects_a_batch_or_standard_named_tier(tmp_path: Path):
    table = tmp_path / "t.yaml"
    table.write_text(
        "schema: costctl/pricing@1\nprovider: acme\nsource_url: https://acme.test/p\nchecked: 2026-01-01\n"
        "models:\n  - id: acme-1\n    tokenizer: approx:generic\n    prices:\n"
        "      - input_usd_per_mtok: 1\n        output_usd_per_mtok: 2\n"
        "        service_tiers:\n          batch:\n            input_usd_per_mtok: 1\n            output_usd_per_mtok: 1\n"
    )
    result = invoke("pricing", "validate", str(tmp_path))
    assert result.exit_code == 2 and "service_tiers.batch" in result.stderr
    with pytest.raises(MissingPriceError):
        price_usage(load_catalog().get("gpt-5"), Usage(input_tokens=1), batch=True, service_tier="flex")


ORACLE = SHARED / "prices-oracle"


@pytest.mark.skipif(not ORACLE.is_dir(), reason="the price oracle folder beside the checkout is absent")
def test_check_against_the_oracle_has_no_unexplained_difference():
    data = next(ORACLE.rglob("new_data_v2/data.json"))
    result = invoke("pricing", "check", "--against", str(data), "--at", "2026-11-22", "-f", "json")
    assert result.exit_code == 0, result.stderr
    report = result.json()
    assert report["unexplained"] == 0
    curated = [d for d in report["differences"] if d["source"] == "costctl"]
    assert curated and all(d["explanation"].startswith("checked 2026-12-02 at https://") for d in curated)
    # generated prices that moved since that older data: the upgrade's diff, labelled with their source
    assert any(d["source"] == "genai-prices 0.2.3" for d in report["differences"])


def _litellm_file(tmp_path: Path) -> Path:
    data = {
        "sample_spec": {"litellm_provider": "openai"},
        "gpt-4o": {  # a newer price for one of our curated models
            "litellm_provider": "openai",
            "mode": "chat",
            "input_cost_per_token": 2e-06,
            "output_cost_per_token": 8e-06,
            "cache_read_input_token_cost": 1e-06,
        },
        "my-private-llm": {  # a private deployment
            "litellm_provider": "openai",
            "mode": "chat",
            "max_input_tokens": 32000,
            "input_cost_per_token": 3e-07,
            "output_cost_per_token": 9e-07,
            "input_cost_per_token_batches": 1.5e-07,
            "output_cost_per_token_batches": 4.5e-07,
        },
        "dall-e-9": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
    }
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_pricing_import_from_litellm_writes_a_working_overlay(tmp_path: Path):
    overlay = tmp_path / "overlay.yaml"
    result = invoke("pricing", "import", "--from", str(_litellm_file(tmp_path)), "-o", str(overlay))
    assert result.exit_code == 0, result.stderr
    assert "2 models from litellm (1 override our curated entries), 1 entries skipped" in result.stderr
    assert "dall-e-9: mode 'image_generation'" in result.stderr
    est = invoke(
        "estimate", "-m", "gpt-4o,my-private-llm", "--input-tokens", "1000000", "--output-tokens", "0",
        "--pricing-overlay", str(overlay), "-f", "json",
    )  # fmt: skip
    assert est.exit_code == 0, est.stderr
    by_model = {r["model"]: r for r in est.json()["results"]}
    assert Decimal(str(by_model["gpt-4o"]["total_usd"])) == 2
    assert by_model["gpt-4o"]["price_source"] == "litellm import"
    assert Decimal(str(by_model["my-private-llm"]["total_usd"])) == Decimal("0.3")
    assert "your overlay" in est.stderr
    batch = invoke(
        "estimate", "-m", "my-private-llm", "--input-tokens", "1000000", "--output-tokens", "0", "--batch",
        "--pricing-overlay", str(overlay), "-f", "json",
    )  # fmt: skip
    assert Decimal(str(batch.json()["total_usd"])) == Decimal("0.15")


def test_pricing_import_from_genai_prices_data(tmp_path: Path):
    data = {
        "providers": [
            {
                "id": "acme",
                "models": [
                    {
                        "id": "acme-1",
                        "match": {"or": [{"equals": "acme-1"}, {"equals": "acme-1-2026"}]},
                        "context_window": 100000,
                        "prices": [
                            {"prices": {"input_mtok": 1, "output_mtok": 2}},
                            {
                                "constraint": {"start_date": "2026-06-01"},
                                "prices": {
                                    "input_mtok": {"base": 0.5, "tiers": [{"start": 50000, "price": 1}]},
                                    "output_mtok": 1,
                                },
                            },
                        ],
                    },
                    {
                        "id": "acme-night",
                        "prices": [
                            {
                                "constraint": {"start_time": "01:00:00Z", "end_time": "02:00:00Z"},
                                "prices": {"input_mtok": 1},
                            }
                        ],
                    },
                ],
            }
        ]
    }
    src = tmp_path / "data.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("pricing", "import", "--from", str(src))
    assert result.exit_code == 0, result.stderr
    assert "skipped acme:acme-night: prices depend on the time of day" in result.stderr
    overlay = tmp_path / "o.yaml"
    overlay.write_text(result.stdout, encoding="utf-8")

    def total(day: str, tokens: int) -> Decimal:
        r = invoke(
            "estimate", "-m", "acme-1-2026", "--input-tokens", str(tokens), "--output-tokens", "0", "--at", day,
            "--pricing-overlay", str(overlay), "-f", "json",
        )  # fmt: skip
        assert r.exit_code == 0, r.stderr
        return Decimal(str(r.json()["total_usd"]))

    assert total("2026-05-01", 1_000_000) == 1
    assert total("2026-07-01", 40_000) == Decimal("0.02")  # below the 50k step: 0.5
    assert total("2026-07-01", 60_000) == Decimal("0.06")  # above: every token at 1


def test_service_tier_is_a_rate_selecting_dimension_of_the_rates_table(catalog):
    from costctl.cost.rates import RATE_MATCH, rate_rows

    assert ("service_tier", "VARCHAR", "eq", "service_tier") in RATE_MATCH
    rows = rate_rows("claude-opus-4-6", catalog.get("claude-opus-4-6"))
    fast = [r for r in rows if r.service_tier == "fast"]
    assert fast and {r.service_tier for r in rows} == {"", "fast"}
    # a fast request priced in SQL takes the fast card ($30 / $150 per 1M); batch has no fast card
    std_fast = [r for r in fast if not r.batch and not r.long_context]
    assert std_fast and all(r.rates[0] == Decimal("0.00003") and not r.card_missing for r in std_fast)
    assert all(r.card_missing for r in fast if r.batch)
    # a model without tiers has only standard rows: a tier it does not publish matches no row (unpriced)
    assert {r.service_tier for r in rate_rows("claude-sonnet-4-5", catalog.get("claude-sonnet-4-5"))} == {""}


def test_audit_logs_prices_fast_mode_like_the_rollups(tmp_path: Path):
    log = tmp_path / "session.jsonl"
    log.write_text(
        "\n".join([_claude_line(1, "claude-opus-4-6", "fast"), _claude_line(2, "claude-opus-4-6", None)])
        + "\n"
    )
    db = str(tmp_path / "c.duckdb")
    assert invoke("attribute", "ingest", str(log), "--db", db).exit_code == 0
    audit = invoke("audit", "logs", "--db", db, "-f", "json")
    assert audit.exit_code == 0, audit.stderr
    report = invoke("attribute", "report", "--db", db, "--by", "model", "-f", "json").json()
    # one bill, two commands: the fast request at fast rates (0.18) plus the standard one (0.03)
    assert Decimal(str(audit.json()["totals"]["observed_usd"])) == Decimal("0.21")
    assert Decimal(str(report["rows"][0]["cost_usd"])) == Decimal("0.21")
