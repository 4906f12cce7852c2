"""Differential test: our one formula against genai-prices' own `calc_price`, to 1e-9 USD.

Every model both we and genai-prices 0.2.3 know is priced on random usages (cache reads and writes, batch,
service tiers, a date in every price period). Each difference must be one of the documented ones below, and
each documented one must still occur (so the list cannot go stale). The generated tables must reproduce
genai-prices exactly: they are its data in our format.
"""

from __future__ import annotations

import pytest

pytest.importorskip("genai_prices", reason="genai-prices (a pinned dev dependency) is not installed")

from price_diff import compare  # noqa: E402

from costctl.pricing.catalog import load_catalog  # noqa: E402

GP_NO_BATCH = "genai-prices 0.2.3 has no batch variant for this model and bills batch at the standard rates"
OFF_PEAK = (
    "genai-prices prices DeepSeek by time of day and keeps V3 rates; we price the current peak rates by date "
    "(LiteLLM agrees with our rates; see pricing/deepseek.yaml)"
)
# (our model, mode) -> why we differ from genai-prices on purpose; the YAML cites the provider's page.
KNOWN = {
    ("claude-opus-4", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-opus-4-1", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-sonnet-4", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-3-7-sonnet", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-3-5-sonnet", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-3-5-haiku", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-3-haiku", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    ("claude-3-opus", "batch"): GP_NO_BATCH + "; Anthropic halves every rate in batch",
    (
        "claude-opus-4-6",
        "fast",
    ): "genai-prices has no fast mode for Opus 4.6 ($30/$150, Anthropic pricing page)",
    (
        "claude-opus-4-7",
        "fast",
    ): "genai-prices has no fast mode for Opus 4.7 ($30/$150, Anthropic pricing page)",
    ("gemini-2.0-flash", "batch"): GP_NO_BATCH + "; Google's batch table halves input and output",
    ("gemini-2.0-flash-lite", "batch"): GP_NO_BATCH + "; Google's batch table halves input and output",
    ("gemini-3-pro-preview", "batch"): GP_NO_BATCH + "; Google's batch table halves input and output",
    ("gemini-3.5-flash", "batch"): GP_NO_BATCH + "; Google's batch table halves input and output",
    (
        "gemini-3.1-flash-lite",
        "batch",
    ): "genai-prices halves the cached rate in batch; we keep Google's standard cached rate",
    ("groq/llama-3.1-8b-instant", "batch"): GP_NO_BATCH + "; Groq's batch docs: 50 % off",
    ("groq/llama-3.3-70b-versatile", "batch"): GP_NO_BATCH + "; Groq's batch docs: 50 % off",
    ("bedrock/meta.llama3-3-70b-instruct-v1:0", "batch"): GP_NO_BATCH
    + "; Bedrock batch is half (LiteLLM agrees)",
    ("text-embedding-3-small", "batch"): GP_NO_BATCH + "; OpenAI's embeddings batch column (LiteLLM agrees)",
    ("text-embedding-3-large", "batch"): GP_NO_BATCH + "; OpenAI's embeddings batch column (LiteLLM agrees)",
    ("text-embedding-ada-002", "batch"): GP_NO_BATCH + "; OpenAI's embeddings batch column",
    (
        "gpt-5.4",
        "batch",
    ): "batch cached 0.125 (half of 0.25) where genai-prices takes the page's rounded 0.13",
    ("o3", "standard"): "o3 before 2025-06-10: cached 2.50 (OpenAI's launch model page); genai-prices 0.5",
    (
        "codestral",
        "standard",
    ): "Mistral publishes a cached rate (0.03); genai-prices has none (LiteLLM agrees with us)",
    ("deepseek-chat", "standard"): OFF_PEAK,
    ("deepseek-reasoner", "standard"): OFF_PEAK,
    ("deepseek-v4-flash", "standard"): OFF_PEAK,
    ("deepseek-v4-pro", "standard"): OFF_PEAK,
    (
        "mistral-large",
        "standard",
    ): "genai-prices maps mistral-large-latest to Large 2; it serves Large 3 (0.5/1.5)",
    (
        "mistral-medium",
        "standard",
    ): "genai-prices resolves mistral-medium to Medium 3.1; the alias serves Medium 3.5",
    (
        "mistral-medium",
        "batch",
    ): "genai-prices resolves mistral-medium to Medium 3.1; the alias serves Medium 3.5",
    (
        "mistral-medium-3",
        "standard",
    ): "genai-prices resolves mistral-medium-3 to Medium 3.5; ours is Medium 3 (0.4/2)",
    ("together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "standard"): (
        "Together's price is 1.04 (LiteLLM agrees); genai-prices' 0.88 dates from 2025-07"
    ),
}

KNOWN[("bedrock/meta.llama3-1-8b-instruct-v1:0", "batch")] = (
    GP_NO_BATCH + "; Bedrock batch is half (LiteLLM agrees)"
)


def test_curated_prices_match_genai_prices_except_documented_differences():
    catalog = load_catalog()
    compared, diffs, models = compare(list(catalog.models), seed=1, per_period=4)
    assert models >= 65 and compared > 1500
    unexplained = sorted(
        {
            f"{d.case.model} {d.case.mode} on {d.case.day}: ours {d.ours} theirs {d.theirs}"
            for d in diffs
            if (d.case.model, d.case.mode) not in KNOWN
        }
    )
    assert not unexplained, "\n".join(unexplained[:20])
    observed = {(d.case.model, d.case.mode) for d in diffs}
    assert observed == set(KNOWN), f"documented but no longer different: {sorted(set(KNOWN) - observed)}"


def test_generated_genai_prices_tables_reproduce_genai_prices_exactly():
    generated = load_catalog().generated()
    assert generated is not None
    models = [m for m in generated.models if m.source == "genai-prices 0.2.3"]
    compared, diffs, seen = compare(models, seed=2, per_period=1)
    assert seen > 1200 and compared > 5000
    assert not diffs, [
        f"{d.case.model} {d.case.mode} {d.case.day}: {d.ours} != {d.theirs}" for d in diffs[:10]
    ]


def test_generated_table_is_reproducible_from_the_pinned_package():
    """Regenerating from genai-prices 0.2.3 gives the committed file byte for byte (an upgrade is a deliberate,
    reviewed change, never drift)."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "generate_price_tables", root / "scripts" / "generate_price_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (root / "pricing" / "generated" / "genai-prices.json").read_text(encoding="utf-8")
    assert json.dumps(module.genai_prices_table(), indent=1, ensure_ascii=False) + "\n" == committed
