"""A provider's usage object -> `costctl.models.Usage`, through the log adapters' own normalisation.

`record` takes whatever the model call returned: the usage of an OpenAI Chat Completions or Responses
call, of an Anthropic Messages call, or Gemini's `usageMetadata`; as a dict, as an SDK object (pydantic
`model_dump()`, protobuf-style `to_dict()`, or plain attributes), or as the whole response holding it under
`usage` / `usageMetadata` / `usage_metadata`. A `Usage` passes through. The conversion to the inclusive
convention is the adapters' (anthropic.fill_usage, openai_chat.fill_usage, gemini.fill_usage): one copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from costctl.errors import InputError
from costctl.logs.adapters import anthropic, gemini, openai_chat
from costctl.logs.adapters._common import RecordError
from costctl.models import TOKEN_FIELDS, Usage
from costctl.values import MAX_TOKENS_PER_REQUEST, parse_count

PROVIDERS = ("openai", "anthropic", "gemini")


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    for method in ("model_dump", "to_dict", "dict"):
        func = getattr(value, method, None)
        if callable(func):
            try:
                dumped = func()
            except TypeError:
                continue
            if isinstance(dumped, Mapping):
                return dumped
    attrs = getattr(value, "__dict__", None)
    return attrs if isinstance(attrs, Mapping) else None


def _unwrap(usage: Mapping[str, Any]) -> Mapping[str, Any]:
    """The usage inside a whole response, when given one."""
    for key in ("usage", "usageMetadata", "usage_metadata"):
        inner = usage.get(key)
        if inner is not None:
            found = _as_mapping(inner)
            if found is not None:
                return found
    return usage


def detect_provider(usage: Mapping[str, Any]) -> str:
    """Which provider's usage shape this is; InputError when it is none of them."""
    if gemini.is_usage(usage):
        return "gemini"
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        return "openai"
    if "input_tokens" in usage or "output_tokens" in usage:
        # The Responses API always reports totals and details; Anthropic never does.
        openai_keys = ("total_tokens", "input_tokens_details", "output_tokens_details")
        return "openai" if any(k in usage for k in openai_keys) else "anthropic"
    keys = ", ".join(sorted(map(str, usage))) or "none"
    raise InputError(
        f"usage: not an OpenAI, Anthropic or Gemini usage object (keys: {keys}); expected prompt_tokens/"
        "completion_tokens, input_tokens/output_tokens, or promptTokenCount/candidatesTokenCount"
    )


def usage_from_provider(value: Any, *, provider: str | None = None) -> Usage:
    """Normalise a provider's usage (or a response holding one) to the inclusive `Usage`."""
    if isinstance(value, Usage):
        return value
    mapping = _as_mapping(value)
    if mapping is None:
        raise InputError(f"usage: expected a usage object or mapping, got {type(value).__name__}")
    mapping = _unwrap(mapping)
    shape = provider or detect_provider(mapping)
    fill = {"openai": openai_chat.fill_usage, "anthropic": anthropic.fill_usage, "gemini": gemini.fill_usage}
    if shape not in fill:
        raise InputError(f"usage: unknown provider {shape!r}, expected one of {', '.join(PROVIDERS)}")
    row: dict[str, Any] = {}
    try:
        fill[shape](row, mapping)
    except RecordError as exc:
        raise InputError(f"usage ({shape}): {exc}") from None
    counts = {name: row.get(name) or 0 for name in TOKEN_FIELDS}
    for name, count in counts.items():  # one request's usage: bounded like a workload's request
        parse_count(count, f"usage ({shape}): {name}", maximum=MAX_TOKENS_PER_REQUEST)
    return Usage(**counts)
