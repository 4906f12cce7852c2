"""Gemini API usage (`usageMetadata` of generateContent, REST camelCase or the Python SDK's snake_case).

Gemini's counts are not inclusive the way costctl's are (schema.py):
- `promptTokenCount` includes the cached part (`cachedContentTokenCount`); tool-use prompt tokens
  (`toolUsePromptTokenCount`, the results of built-in tools fed back to the model) are counted apart and
  billed as input, so they are added;
- `candidatesTokenCount` excludes thinking (`thoughtsTokenCount`), which is billed as output, so it is added
  and kept as reasoning.
See https://ai.google.dev/api/generate-content#UsageMetadata and https://ai.google.dev/gemini-api/docs/pricing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costctl.logs.adapters._common import RecordError, Row, tokens

_FIELDS = {
    "prompt": ("promptTokenCount", "prompt_token_count"),
    "cached": ("cachedContentTokenCount", "cached_content_token_count"),
    "tool_prompt": ("toolUsePromptTokenCount", "tool_use_prompt_token_count"),
    "candidates": ("candidatesTokenCount", "candidates_token_count"),
    "thoughts": ("thoughtsTokenCount", "thoughts_token_count"),
}


def is_usage(usage: Mapping[str, Any]) -> bool:
    return any(name in usage for name in _FIELDS["prompt"] + _FIELDS["candidates"])


def _count(usage: Mapping[str, Any], part: str) -> int:
    for name in _FIELDS[part]:
        if usage.get(name) is not None:
            value = tokens(usage[name], f"usageMetadata.{name}")
            assert value is not None
            return value
    return 0


def fill_usage(row: Row, usage: Mapping[str, Any]) -> None:
    """Gemini `usageMetadata` -> canonical token columns (input and output made inclusive)."""
    if not is_usage(usage):
        raise RecordError("usageMetadata has neither promptTokenCount nor candidatesTokenCount")
    prompt, cached = _count(usage, "prompt"), _count(usage, "cached")
    if cached > prompt:
        raise RecordError(f"cachedContentTokenCount ({cached}) exceeds promptTokenCount ({prompt})")
    thoughts = _count(usage, "thoughts")
    row["input_tokens"] = prompt + _count(usage, "tool_prompt")
    row["cached_input_tokens"] = cached
    row["cache_write_5m_tokens"] = 0
    row["cache_write_1h_tokens"] = 0
    row["output_tokens"] = _count(usage, "candidates") + thoughts
    row["reasoning_tokens"] = thoughts
