"""The third option (the whole knowledge base in a cached prompt) when it fits, and the quality adjustment."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

from conftest import invoke

SCENARIO = """\
kind: rag-vs-finetune
title: small KB that fits in the prompt
priced_on: 2026-11-22
queries_per_month: {queries}
query_tokens: 100
output_tokens: 250
knowledge_base: {{tokens: 50000, churn_per_month: 0.10}}
rag:
  model: gpt-4.1-mini
  system_tokens: 500
  chunks: 5
  chunk_tokens: 400
  embedding_model: text-embedding-3-small
  vector_db: {{plan_minimum_usd_per_month: 50, storage_gb: 0.04, storage_usd_per_gb_month: 0.33,
              read_units_per_query: 1, read_usd_per_million_units: 16}}
fine_tune:
  - name: mini-ft
    model: gpt-4.1-mini
    system_tokens: 100
    training: {{examples: 3000, tokens_per_example: 600, epochs: 3}}
    retrain: {{max_stale_fraction: 0.10}}
long_context: {{model: claude-haiku-4-5, system_tokens: 500}}
quality: {{cost_per_error_usd: 0.5, accuracy: {{rag: 0.9, mini-ft: 0.85, long-context: 0.95}}}}
"""


def run(tmp_path: Path, queries: int) -> dict:
    path = tmp_path / f"kb-{queries}.yaml"
    path.write_text(SCENARIO.format(queries=queries), encoding="utf-8")
    result = invoke("breakeven", "--scenario", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return {o["option"]: o for o in result.json()["options"]}


def test_whole_kb_in_prompt_is_priced_when_it_fits(tmp_path):
    options = run(tmp_path, 1_000_000)
    lc = options["long-context"]
    assert lc["model"] == "claude-haiku-4-5" and lc["prompt_tokens"] == 50_600
    # ~0.39 queries/s against a 5-minute cache refreshed on every hit: practically every query reads the
    # cache: 50,500 cached tokens x $0.10 + 100 query tokens x $1 + 250 output x $5, per 1M tokens
    assert Decimal(lc["per_query_usd"]) == Decimal("0.0064")


def test_cache_hit_rate_follows_request_rate_and_lifetime(tmp_path):
    lc = run(tmp_path, 1_000)["long-context"]
    from costctl.breakeven.rag import MONTH_SECONDS  # an average month (docs/breakeven.md)

    rate_per_s = 1_000 / float(MONTH_SECONDS)
    expected = 1 - math.exp(-rate_per_s * 300)  # a miss only when no query came within the cache lifetime
    assert abs(float(lc["cache_hit_rate"]) - expected) < 1e-6
    # at this rate most queries pay the cache-write premium, so a query costs more than at high volume
    assert Decimal(lc["per_query_usd"]) > Decimal("0.0064")


def test_quality_adjustment_adds_the_cost_of_wrong_answers(tmp_path):
    options = run(tmp_path, 1_000_000)
    accuracy = {"rag": Decimal("0.9"), "mini-ft": Decimal("0.85"), "long-context": Decimal("0.95")}
    for name, acc in accuracy.items():
        o = options[name]
        wrong = (1 - acc) * 1_000_000 * Decimal("0.5")
        assert Decimal(o["quality_adjusted_monthly_usd"]) == Decimal(o["monthly_usd"]) + wrong, name
