"""Whether a request fits the model's context window.

A provider rejects a request whose prompt plus requested output exceeds the model's context window (the
table's `context_window`), so such a request never costs what the formula says: it fails. Pricing it
without a word would be a silently wrong number. `estimate` warns (its token counts may also be a sum of
many requests); a workload or a request budget describes single requests, so there it is an error.
"""

from __future__ import annotations

from costctl.models import ModelPrice, Usage


def context_overflow(model: ModelPrice, usage: Usage) -> str | None:
    """A sentence saying how `usage` exceeds the model's context window, or None when it fits (or the
    table does not state a window)."""
    window = model.context_window
    if window is None:
        return None
    total = usage.input_tokens + usage.output_tokens
    if total <= window:
        return None
    return (
        f"{model.id}: {usage.input_tokens:,} input + {usage.output_tokens:,} output tokens exceed its "
        f"context window of {window:,} tokens; the provider would reject such a request"
    )
