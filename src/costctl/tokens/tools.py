"""Render OpenAI tool (function) definitions the way the model sees them, for counting.

OpenAI does not document this. The layout is the TypeScript-like namespace that community measurements
reproduce (hmarr/openai-chat-tokens, derived by probing the API; the OpenAI cookbook "How to count tokens
with tiktoken" §7 reports API counts for its weather tool). Around the namespace the API adds a fixed
framing, and it pads the first system message with a newline:

    prompt_tokens = messages (first system message + "\\n") + 3 (reply priming)
                    + tokens(namespace) + TOOLS_FRAMING - (SYSTEM_REUSE if a system message exists)

Checked against API-reported `usage.prompt_tokens` in tests/test_estimate_tokens.py (cookbook weather tool:
101 on gpt-4o / gpt-4o-mini, 105 on gpt-4 / gpt-3.5-turbo; hmarr's recipe tool: 106 on gpt-3.5-turbo).
Schemas outside this layout (anyOf, $ref, nested arrays of unions, strict mode) are rendered best-effort,
so counts that include tools stay labelled approximate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# "# Tools\n\n## functions\n\n" plus a message frame; measured, not documented (hmarr/openai-chat-tokens).
TOOLS_FRAMING = 9
# When a system message exists the tools block is folded into it, so one frame is not paid twice.
SYSTEM_REUSE = 4


def _enum_literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else json.dumps(value)


def _ts_type(schema: Mapping[str, Any], indent: int) -> str:
    kind = schema.get("type")
    if "enum" in schema and isinstance(schema["enum"], list):
        return " | ".join(_enum_literal(v) for v in schema["enum"])
    if kind == "object":
        return "\n".join(["{", _properties(schema, indent + 2), "}"])
    if kind == "array":
        items = schema.get("items")
        return f"{_ts_type(items, indent)}[]" if isinstance(items, Mapping) else "any[]"
    if kind == "integer":
        return "number"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind in ("string", "number", "boolean", "null"):
        return str(kind)
    return "any"


def _properties(schema: Mapping[str, Any], indent: int) -> str:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    lines = []
    for name, prop in props.items():
        prop = prop if isinstance(prop, Mapping) else {}
        if prop.get("description"):
            lines.append(f"// {prop['description']}")
        optional = "" if name in required else "?"
        lines.append(f"{name}{optional}: {_ts_type(prop, indent)},")
    return "\n".join(" " * indent + line for line in lines)


def function_of(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    """`{"type": "function", "function": {...}}` (tools) or a bare function (legacy `functions`)."""
    fn = tool.get("function", tool)
    return fn if isinstance(fn, Mapping) else {}


def render_namespace(tools: Sequence[Mapping[str, Any]]) -> str:
    """The `namespace functions { ... }` block for a list of tools."""
    lines = ["namespace functions {", ""]
    for tool in tools:
        fn = function_of(tool)
        if fn.get("description"):
            lines.append(f"// {fn['description']}")
        params = fn.get("parameters") or {}
        if isinstance(params, Mapping) and params.get("properties"):
            lines.append(f"type {fn.get('name', '')} = (_: {{")
            lines.append(_properties(params, 0))
            lines.append("}) => any;")
        else:
            lines.append(f"type {fn.get('name', '')} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)


def render_tools(tools: Sequence[Mapping[str, Any]]) -> str:
    """The whole tools section as the model sees it (for display; counting uses `render_namespace`)."""
    return "# Tools\n\n## functions\n\n" + render_namespace(tools)
