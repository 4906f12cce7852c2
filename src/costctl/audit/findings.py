"""The finding every audit check produces, and the rule catalogue (ids, names, help) SARIF publishes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

SEVERITIES = ("error", "warning", "info")

# rule id -> (short name, one-line description). Ids are stable: CI baselines key on them.
RULES: dict[str, tuple[str, str]] = {
    "CA101": ("duplicate-paragraph", "The same paragraph appears more than once in the prompt."),
    "CA102": (
        "near-duplicate-instruction",
        "Two instructions say nearly the same thing (char TF-IDF >= 0.80).",
    ),
    "CA103": ("conflicting-instructions", "Two similar instructions differ by a negation, number or value."),
    "CA104": (
        "intentional-repeat",
        "A rule repeated before and after a long context block (a known good pattern).",
    ),
    "CA111": ("long-examples", "Few-shot examples take a large share of the prompt."),
    "CA112": ("format-prose", "Long output-format prose that a structured-output schema would replace."),
    "CA113": ("static-background", "A large static background block that perhaps only some requests need."),
    "CA121": ("dynamic-content-early", "Per-request content before static text breaks the prompt cache."),
    "CA122": (
        "prefix-below-cache-minimum",
        "The static prefix is shorter than the model's minimum cacheable length.",
    ),
    "CA123": ("caching-opportunity", "Prompt caching would lower the monthly cost, net of cache writes."),
    "CA124": ("cut-breaks-cache", "A suggested cut would drop the cached prefix below the minimum."),
    "CA131": ("long-context-cliff", "The request size sits just over or under a long-context price step."),
    "CL201": ("system-prompt-variants", "Spend by system-prompt variant."),
    "CL211": ("output-cap", "Output-length distribution against the max-tokens cap."),
    "CL212": ("truncation-retries", "Truncated answers that were retried are billed twice."),
    "CL213": ("empty-reasoning-truncation", "Reasoning requests cut off before any visible answer."),
    "CL221": ("reasoning-share", "Most output tokens are hidden reasoning."),
    "CL231": ("duplicate-requests", "Identical prompts sent again within seconds."),
    "CL232": ("retry-storm", "Bursts of rate-limited (429/529/503) requests."),
    "CL233": ("test-traffic", "Traffic that looks like a test suite hitting a live endpoint."),
    "CL241": ("prompt-cache", "Prompt-cache hit rate and the saving left on the table."),
}


@dataclass
class Finding:
    rule: str
    severity: str
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    tokens: int | None = None
    usd_per_month: Decimal | None = None
    counts_as_waste: bool = False
    related: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return RULES[self.rule][0]

    @property
    def location(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule,
            "rule": self.name,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "end_line": self.end_line,
            "location": self.location,
            "tokens": self.tokens,
            "usd_per_month": self.usd_per_month,
            "counts_as_waste": self.counts_as_waste,
            "message": self.message,
            "fix": self.fix,
            "related": self.related,
            **self.extra,
        }


FINDING_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most expensive first within severity; unpriced last."""
    return sorted(
        findings,
        key=lambda f: (
            FINDING_ORDER[f.severity],
            -(f.usd_per_month or Decimal(0)),
            f.file or "",
            f.line or 0,
            f.rule,
        ),
    )
