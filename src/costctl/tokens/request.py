"""OpenAI chat-completions request bodies: what `costctl estimate --request FILE` reads.

Only the fields that decide the bill are read: `model`, `messages`, `tools` (or legacy `functions`),
`max_completion_tokens` (preferred) or `max_tokens`. Other parameters are accepted and ignored, because a
real request carries many (temperature, response_format, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from costctl.errors import InputError
from costctl.models import TokenCount


@dataclass(frozen=True)
class ChatRequest:
    model: str | None
    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] | None
    max_output_tokens: int | None
    where: str = "request"

    def count(self, tokenizer: str) -> TokenCount:
        """Prompt tokens as the API bills them (costctl.tokens.counting.count_chat_tokens)."""
        from costctl.tokens.counting import count_chat_tokens

        return count_chat_tokens(self.messages, tokenizer, tools=self.tools, where=self.where)


def parse_chat_request(body: Any, *, where: str = "request") -> ChatRequest:
    if not isinstance(body, Mapping):
        raise InputError("a chat-completions request must be a JSON object", where=where)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("field 'messages' must be a non-empty list", where=where)
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping) or "role" not in message:
            raise InputError(f"field 'messages[{i}]' must be an object with a 'role'", where=where)
    tools = body.get("tools", body.get("functions"))
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, Mapping) for t in tools)):
        raise InputError("field 'tools' must be a list of objects", where=where)
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise InputError(f"field 'model' must be a string, got {model!r}", where=where)
    max_out = None
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"field {key!r} must be a non-negative whole number, got {value!r}", where=where)
        max_out = value
        break
    return ChatRequest(
        model=model, messages=messages, tools=tools or None, max_output_tokens=max_out, where=where
    )
