"""Render OpenAI tool definitions the way the model sees them, for counting.

OpenAI does not document this; the layout below is the TypeScript-like namespace that community
measurements (OpenAI developer forum, "How to calculate the tokens when using function call") reproduce
to within a few tokens. Counts that include tools are therefore labelled approximate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _ts_type(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        return f"{_ts_type(items)}[]"
    if kind == "object":
        return "object"
    if kind == "integer":
        return "number"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind or "any")


def render_tools(tools: Sequence[Mapping[str, Any]]) -> str:
    lines = ["# Tools", "", "## functions", "", "namespace functions {", ""]
    for tool in tools:
        fn = tool.get("function", tool)
        if fn.get("description"):
            lines.append(f"// {fn['description']}")
        params = fn.get("parameters") or {}
        props = params.get("properties") or {}
        required = set(params.get("required") or [])
        if props:
            lines.append(f"type {fn.get('name', '')} = (_: {{")
            for name, schema in props.items():
                if schema.get("description"):
                    lines.append(f"// {schema['description']}")
                optional = "" if name in required else "?"
                lines.append(f"{name}{optional}: {_ts_type(schema)},")
            lines.append("}) => any;")
        else:
            lines.append(f"type {fn.get('name', '')} = () => any;")
        lines.append("")
    lines.append("} // namespace functions")
    return "\n".join(lines)
