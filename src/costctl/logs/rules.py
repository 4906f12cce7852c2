"""Tag rules: a small YAML file that maps fields of a log record to the attribution columns.

```yaml
# costctl tag rules
feature: {from: metadata.route}                                  # a dotted path into the record context
team:    {from: metadata.team, default: platform}                # a fallback when the path is empty
user_id: {regex: "^(?P<feature>[a-z-]+)-(?P<user_id>u\\d+)-\\d+$", on: custom_id}
environment: {value: prod}                                       # a constant
prompt_version:                                                  # a list: the first rule that yields wins
  - {from: metadata.prompt_version}
  - {regex: "v(\\d+)", on: tags.prompt}
```

Targets: user_id, feature, team, environment, prompt_version. A regex takes the named group called like the
target, else its first group, else the whole match. Paths start at the context an adapter passes: `metadata`
(the format's metadata object), `custom_id` (batch formats), `tags` (the row's tags so far), `row` (the
canonical row before the rules), `record` (the raw record), plus format-specific names listed in the README.
A rule that yields a value overrides what the adapter found; one that yields nothing leaves it alone.

Validation is strict: unknown targets or keys, a rule with none or several of `from`/`regex`/`value`, a
regex without `on` or that does not compile are errors naming the file and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costctl.errors import InputError

TARGETS = ("user_id", "feature", "team", "environment", "prompt_version")
_KEYS = {"from", "regex", "on", "value", "default"}


@dataclass(frozen=True)
class TagRule:
    target: str
    path: tuple[str, ...] | None = None
    regex: re.Pattern[str] | None = None
    value: str | None = None
    default: str | None = None

    def evaluate(self, context: Mapping[str, Any]) -> str | None:
        if self.value is not None:
            return self.value
        assert self.path is not None
        found = _text(resolve(context, self.path))
        if found is not None and self.regex is not None:
            found = _match(self.regex, found, self.target)
        return found if found is not None else self.default


@dataclass(frozen=True)
class TagRules:
    """Rules per target, applied in file order; the first rule of a target that yields a value wins."""

    rules: tuple[TagRule, ...]
    source: str = "<rules>"

    @classmethod
    def load(cls, path: Path) -> TagRules:
        from costctl.inputs import read_yaml

        return cls.from_mapping(read_yaml(path, "tag rules file"), where=str(path))

    @classmethod
    def from_mapping(cls, data: Any, *, where: str = "<rules>") -> TagRules:
        if not isinstance(data, Mapping) or not data:
            raise InputError(
                f"tag rules must be a mapping of target to rule, got {type(data).__name__}; "
                f"expected keys among {', '.join(TARGETS)}",
                where=where,
            )
        rules: list[TagRule] = []
        for target, spec in data.items():
            if target not in TARGETS:
                raise InputError(
                    f"unknown target {target!r}, expected one of {', '.join(TARGETS)}", where=where
                )
            specs = spec if isinstance(spec, list) else [spec]
            if not specs:
                raise InputError(f"{target}: empty rule list", where=where)
            for index, one in enumerate(specs, 1):
                label = f"{target}" if len(specs) == 1 else f"{target}[{index}]"
                rules.append(_parse_rule(str(target), one, f"{where}: {label}"))
        return cls(tuple(rules), where)

    def apply(self, row: dict[str, Any], context: Mapping[str, Any]) -> None:
        """Set the attribution columns of `row` from `context` (the row is updated in place)."""
        decided: set[str] = set()
        for rule in self.rules:
            if rule.target in decided:
                continue
            value = rule.evaluate(context)
            if value is not None:
                row[rule.target] = value
                decided.add(rule.target)


def _parse_rule(target: str, spec: Any, where: str) -> TagRule:
    if not isinstance(spec, Mapping):
        raise InputError(
            f"rule must be a mapping like {{from: metadata.{target}}}, got {spec!r}", where=where
        )
    # YAML 1.1 reads a bare `on:` key as the boolean True; it can only have meant "on".
    spec = {("on" if key is True else key): value for key, value in spec.items()}
    unknown = set(map(str, spec)) - _KEYS
    if unknown:
        raise InputError(
            f"unknown key(s) {', '.join(sorted(unknown))}, expected from, regex + on, value, default",
            where=where,
        )
    kinds = [k for k in ("from", "regex", "value") if k in spec]
    if len(kinds) != 1:
        raise InputError(f"rule needs exactly one of from, regex, value; got {kinds or 'none'}", where=where)
    default = _string(spec.get("default"), "default", where)
    if "value" in spec:
        if "on" in spec:
            raise InputError("'on' belongs to a regex rule, not to a value rule", where=where)
        value = _string(spec["value"], "value", where)
        if value is None:
            raise InputError("value must be a non-empty string", where=where)
        return TagRule(target, value=value)
    if "from" in spec:
        if "on" in spec:
            raise InputError(
                "use either {from: PATH} or {regex: RE, on: PATH}, not from with on", where=where
            )
        return TagRule(target, path=_path(spec["from"], "from", where), default=default)
    if "on" not in spec:
        raise InputError("a regex rule needs 'on: PATH' naming the field it matches", where=where)
    pattern = spec["regex"]
    if not isinstance(pattern, str) or not pattern:
        raise InputError(f"regex must be a non-empty string, got {pattern!r}", where=where)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise InputError(f"regex {pattern!r} does not compile: {exc}", where=where) from exc
    return TagRule(target, path=_path(spec["on"], "on", where), regex=compiled, default=default)


def _path(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value.strip() or any(not p for p in value.strip().split(".")):
        raise InputError(f"{key} must be a dotted path such as metadata.route, got {value!r}", where=where)
    return tuple(value.strip().split("."))


def _string(value: Any, key: str, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InputError(f"{key} must be a string, got {value!r}", where=where)
    return str(value) or None


def resolve(context: Any, path: tuple[str, ...]) -> Any:
    """Follow a dotted path through dicts; a key that itself contains dots is tried whole first."""
    current = context
    index = 0
    while index < len(path):
        if not isinstance(current, Mapping):
            return None
        # Longest match first, so {"gen_ai.agent.name": ...} is reachable as attributes.gen_ai.agent.name.
        for end in range(len(path), index, -1):
            key = ".".join(path[index:end])
            if key in current:
                current = current[key]
                index = end
                break
        else:
            return None
    return current


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    out = str(value).strip()
    return out or None


def _match(regex: re.Pattern[str], value: str, target: str) -> str | None:
    match = regex.search(value)
    if not match:
        return None
    if target in regex.groupindex:
        return match.group(target)
    if regex.groups:
        return match.group(1)
    return match.group(0)
