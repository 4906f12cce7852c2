"""Static prompt audit: sections, redundancy, conflicts, bloat, cacheability and price steps, each in $/month.

Every dollar comes from `costctl.cost.price` (the one formula). A finding is worth what its removable tokens
cost at the price actually paid: after prompt caching that can be a tenth of the list price, so findings are
priced as the difference between the prompt's monthly cost now and with that one finding fixed, under the same
caching model (docs/audit.md#how-findings-are-priced). A cut that drops a cached prefix below the model's minimum
can therefore cost money; it is flagged (CA124).

Caching model (docs/audit.md#prompt-caching-rules-by-provider): exact-prefix caching of the static prefix (the text before the first
per-request value). The hit rate is estimated from the traffic: requests arrive as a Poisson stream of bursts
of `parallel` requests; a burst arriving more than the 5-minute TTL after the previous one finds the cache
cold and every request in it pays a write (an Anthropic cache entry is readable only once the first response begins; docs/audit.md#the-caching-model-prompt-audit).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from costctl.audit.findings import Finding
from costctl.audit.segment import (
    DYNAMIC_PATTERNS,
    Section,
    first_dynamic,
    instruction_units,
    line_of,
    paragraphs,
    split_sections,
)
from costctl.audit.similarity import MAX_PAIRWISE_UNITS, exact_pairs, normalise, similar_pairs
from costctl.cost.price import crosses_tier, price_requests, price_tier_group, select_period
from costctl.models import ZERO, ModelPrice, Usage
from costctl.tokens.counting import count_text_tokens

CACHE_TTL_MINUTES = 5  # Anthropic default TTL; OpenAI in-memory evicts after 5-10 min idle (docs/audit.md#prompt-caching-rules-by-provider)
# docs/audit.md#prompt-caching-rules-by-provider: cached amount = 1,024 + 128 k tokens
OPENAI_CACHE_MIN = 1024
OPENAI_CACHE_STEP = 128
# CA104 (docs/audit.md#prompt-rules): a repeat bracketing >= 2k tokens of context is intentional
SANDWICH_CONTEXT_TOKENS = 2000
MIN_DUPLICATE_TOKENS = 8  # CA101 (docs/audit.md#prompt-rules)
MIN_NEAR_DUPLICATE_TOKENS = 6  # CA102 (docs/audit.md#prompt-rules)
EXAMPLE_SHARE_LIMIT = Decimal("0.40")  # CA111 (docs/audit.md#prompt-rules): examples above 40% of the prompt
EXAMPLE_COUNT_LIMIT = 5  # CA111: more than 5 examples
FORMAT_PROSE_TOKENS = 150  # CA112 (docs/audit.md#prompt-rules)
BACKGROUND_TOKENS = 500
CLIFF_OVER_MARGIN = Decimal("0.10")  # CA131 (docs/audit.md#prompt-rules): at most 10 % over
CLIFF_UNDER_MARGIN = Decimal("0.05")


@dataclass(frozen=True)
class Traffic:
    requests_per_month: int
    days: int
    parallel: int = 1
    cache_hit_rate: Decimal | None = None  # None: estimate (automatic caching) or 0 (opt-in caching)
    extra_input_tokens: int = 0  # the per-request part sent after the system prompt
    on: dt.date | None = None

    @property
    def requests_per_day(self) -> Decimal:
        return Decimal(self.requests_per_month) / Decimal(self.days)


def estimated_hit_rate(traffic: Traffic) -> Decimal:
    """P(a burst finds the prefix warm) = 1 - exp(-burst_rate x TTL); 4 decimals (an assumption, not money)."""
    per_minute = float(traffic.requests_per_day) / 1440.0 / max(1, traffic.parallel)
    rate = 1.0 - math.exp(-per_minute * CACHE_TTL_MINUTES)
    return Decimal(str(round(rate, 4)))


class PromptPricer:
    """Monthly cost of a prompt of T tokens whose first L tokens are static, under one caching model."""

    def __init__(self, model: ModelPrice, traffic: Traffic) -> None:
        self.model = model
        self.traffic = traffic
        self.period = select_period(model, traffic.on)
        card = self.period.standard
        self.cache_available = card.cache_read is not None
        self.write_premium = card.cache_write_5m is not None
        self.min_cacheable = model.min_cacheable_tokens
        self.estimated_hit_rate = estimated_hit_rate(traffic)
        # Automatic caching (no write price published: OpenAI before GPT-5.6, Gemini implicit) happens without
        # the user doing anything; opt-in caching (Anthropic cache_control) is assumed off unless told.
        self.automatic = self.cache_available and not self.write_premium
        if traffic.cache_hit_rate is not None:
            self.hit_rate_now = traffic.cache_hit_rate
        elif self.automatic and self.min_cacheable is not None:
            self.hit_rate_now = self.estimated_hit_rate
        else:
            self.hit_rate_now = ZERO

    @property
    def caching_modelled(self) -> bool:
        return self.cache_available and self.min_cacheable is not None

    def cacheable(self, prefix_tokens: int) -> int:
        if self.min_cacheable is None or prefix_tokens < self.min_cacheable:
            return 0
        if self.model.provider == "openai":
            step_base = max(self.min_cacheable, OPENAI_CACHE_MIN)
            if prefix_tokens < step_base:
                return 0
            return step_base + (prefix_tokens - step_base) // OPENAI_CACHE_STEP * OPENAI_CACHE_STEP
        return prefix_tokens

    def crossed(self, prompt_tokens: int) -> bool:
        return crosses_tier(self.period, prompt_tokens + self.traffic.extra_input_tokens)

    def monthly(self, tokens: int, prefix_tokens: int = 0, hit_rate: Decimal = ZERO) -> Decimal:
        """Monthly input cost of `tokens` prompt tokens per request, the first `prefix_tokens` static."""
        requests = self.traffic.requests_per_month
        crossed = self.crossed(tokens)
        cached = self.cacheable(prefix_tokens) if self.caching_modelled else 0
        if cached == 0 or hit_rate <= 0 or tokens == 0:
            usage = Usage(input_tokens=tokens * requests)
            return price_tier_group(self.model, usage, crossed_tier=crossed, on=self.traffic.on).total_usd
        hits = int((Decimal(requests) * hit_rate).to_integral_value(rounding=ROUND_HALF_EVEN))
        misses = requests - hits
        hit_usage = Usage(input_tokens=tokens, cached_input_tokens=cached).scaled(hits)
        # A miss writes the prefix: at the write price where one is published, else as plain input.
        write = cached if self.write_premium else 0
        miss_usage = Usage(input_tokens=tokens, cache_write_5m_tokens=write).scaled(misses)
        return price_tier_group(
            self.model, hit_usage + miss_usage, crossed_tier=crossed, on=self.traffic.on
        ).total_usd

    def list_cost(self, tokens: int) -> Decimal:
        """tokens x requests x input price: no caching (the issue's 'system-prompt cost')."""
        return self.monthly(tokens)


@dataclass
class SectionCost:
    section: Section
    tokens: int
    share: Decimal
    usd_per_month: Decimal


@dataclass
class PromptAudit:
    file: str
    model: ModelPrice
    traffic: Traffic
    tokens: int
    tokens_exact: bool
    tokens_method: str
    sections: list[SectionCost]
    findings: list[Finding]
    list_usd_per_month: Decimal
    now_usd_per_month: Decimal
    fixed_usd_per_month: Decimal
    cacheability: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def allocate(total: int, parts: list[int]) -> list[int]:
    """Scale separately counted part sizes to sum exactly to `total` (largest remainder)."""
    raw_sum = sum(parts)
    if raw_sum == 0:
        return [0 for _ in parts]
    exact = [Decimal(p) * total / raw_sum for p in parts]
    floors = [int(e) for e in exact]
    left = total - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (exact[i] - floors[i], -i), reverse=True)
    for i in order[:left]:
        floors[i] += 1
    return floors


class _Counter:
    def __init__(self, tokenizer: str) -> None:
        self.tokenizer = tokenizer
        self.exact = True
        self.method = ""

    def __call__(self, text: str) -> int:
        count = count_text_tokens(text, self.tokenizer)
        self.exact = self.exact and count.exact
        self.method = count.method
        return count.tokens


@dataclass
class _Removal:
    start: int
    end: int
    tokens: int
    in_prefix: bool


def audit_prompt_text(text: str, where: str, model: ModelPrice, traffic: Traffic) -> PromptAudit:
    count = _Counter(model.tokenizer)
    total = count(text)
    pricer = PromptPricer(model, traffic)
    sections = split_sections(text)
    section_tokens = allocate(total, [count(s.text) for s in sections])
    section_costs = [
        SectionCost(
            s,
            t,
            (Decimal(t) / Decimal(total)) if total else ZERO,
            pricer.list_cost(t) if t else ZERO,
        )
        for s, t in zip(sections, section_tokens, strict=True)
    ]
    notes: list[str] = []

    dyn = first_dynamic(text)
    prefix_tokens = count(text[: dyn[0]]) if dyn else total
    dynamic_lines = _dynamic_lines(text)
    dynamic_tokens = count("\n".join(dynamic_lines.values())) if dynamic_lines else 0
    hit = pricer.hit_rate_now
    now = pricer.monthly(total, prefix_tokens, hit)

    dynamic_line = line_of(text, dyn[0]) if dyn else 0

    def saving_if_removed(tokens: int, start_line: int) -> tuple[Decimal, bool]:
        in_prefix = dyn is None or start_line < dynamic_line
        new_prefix = prefix_tokens - tokens if in_prefix else prefix_tokens
        return now - pricer.monthly(total - tokens, max(0, new_prefix), hit), in_prefix

    findings: list[Finding] = []
    removals: list[_Removal] = []

    def removal(finding: Finding, tokens: int, start: int, end: int) -> None:
        saving, in_prefix = saving_if_removed(tokens, start)
        finding.tokens = tokens
        finding.usd_per_month = saving
        removals.append(_Removal(start, end, tokens, in_prefix))
        cached_now = pricer.cacheable(prefix_tokens) if pricer.caching_modelled else 0
        if (
            in_prefix
            and cached_now
            and pricer.cacheable(prefix_tokens - tokens) == 0
            and pricer.min_cacheable
        ):
            findings.append(
                Finding(
                    "CA124",
                    "warning",
                    f"removing these {tokens:,} tokens drops the static prefix from {prefix_tokens:,} to "
                    f"{prefix_tokens - tokens:,} tokens, below {model.id}'s minimum cacheable length of "
                    f"{pricer.min_cacheable:,}: caching would stop",
                    "keep the prefix at or above the minimum (move static text up) or accept the loss of caching",
                    file=where,
                    line=start,
                    end_line=end,
                    tokens=tokens,
                    usd_per_month=saving,
                )
            )
        findings.append(finding)

    _redundancy(text, where, sections, count, findings, removal, notes)
    _bloat(where, sections, section_tokens, total, count, findings, removal, saving_if_removed)
    cache_info = _cacheability(
        text, where, model, pricer, total, prefix_tokens, dynamic_tokens, dyn, now, findings, notes
    )
    _cliff(where, model, pricer, total, findings)

    # Cost with every removal and layout fix applied (overlapping spans counted once).
    removed = _merged_tokens(removals)
    removed_prefix = _merged_tokens([r for r in removals if r.in_prefix])
    fixed_total = total - removed
    fixed_hit = hit
    if any(f.rule == "CA123" for f in findings):
        fixed_hit = pricer.estimated_hit_rate
    fixed_prefix = fixed_total - dynamic_tokens if dyn else prefix_tokens - removed_prefix
    fixed = pricer.monthly(fixed_total, max(0, fixed_prefix), fixed_hit)
    if fixed > now:  # a fix set that loses the cache is not a recommendation; report the current cost
        notes.append(f"{where}: applying every fix would cost more than now (the cache minimum); fixed = now")
        fixed = now
    return PromptAudit(
        file=where,
        model=model,
        traffic=traffic,
        tokens=total,
        tokens_exact=count.exact,
        tokens_method=count.method,
        sections=section_costs,
        findings=findings,
        list_usd_per_month=pricer.list_cost(total),
        now_usd_per_month=now,
        fixed_usd_per_month=fixed,
        cacheability=cache_info,
        notes=notes,
    )


def _merged_tokens(removals: list[_Removal]) -> int:
    kept: list[_Removal] = []
    for r in sorted(removals, key=lambda r: (r.start, -r.end)):
        if any(k.start <= r.start and r.end <= k.end for k in kept):
            continue
        kept.append(r)
    return sum(r.tokens for r in kept)


# Every DYNAMIC_PATTERNS match holds one of these (a brace, $, <, a dash in a date or uuid, @, or the words of
# a current-date line): a line without any is skipped without running the six patterns.
_MAYBE_DYNAMIC = re.compile(r"[{$<@-]|(?i:date|today|time)")


def _dynamic_lines(text: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if _MAYBE_DYNAMIC.search(line) and any(p.search(line) for _, p in DYNAMIC_PATTERNS):
            found[number] = line
    return found


def _redundancy(
    text: str,
    where: str,
    sections: list[Section],
    count: _Counter,
    findings: list[Finding],
    removal: Any,
    notes: list[str],
) -> None:
    by_index = {s.index: s for s in sections}
    # 1. Whole paragraphs repeated verbatim (after normalisation).
    seen: dict[str, Any] = {}
    duplicated_lines: set[int] = set()
    for para in paragraphs(sections):
        if by_index[para.section].role == "example":
            continue
        key = normalise(para.text)
        if not key:
            continue
        first = seen.get(key)
        if first is None:
            seen[key] = para
            continue
        tokens = count(para.text)
        if tokens < MIN_DUPLICATE_TOKENS:
            continue
        duplicated_lines.update(range(first.start_line, first.end_line + 1))
        duplicated_lines.update(range(para.start_line, para.end_line + 1))
        if _sandwich(sections, first.section, para.section, count):
            findings.append(_intentional(where, first.start_line, para.start_line, para.end_line, tokens))
            continue
        finding = Finding(
            "CA101",
            "warning",
            f"paragraph at line {para.start_line} repeats the paragraph at line {first.start_line} "
            f"({tokens:,} tokens); the extra copy is paid on every request",
            f"delete the copy at {where}:{para.start_line}",
            file=where,
            line=para.start_line,
            end_line=para.end_line,
            counts_as_waste=True,
            related=[
                {"file": where, "line": first.start_line, "end_line": first.end_line, "role": "first copy"}
            ],
        )
        removal(finding, tokens, para.start_line, para.end_line)

    # 2. Instruction units: exact and near duplicates, conflicts.
    units = [u for u in instruction_units(sections) if u.line not in duplicated_lines]
    if len(units) > MAX_PAIRWISE_UNITS:
        pairs = exact_pairs([u.text for u in units])
        notes.append(
            f"{where}: {len(units):,} instruction units, above the {MAX_PAIRWISE_UNITS:,} that the pairwise "
            "search compares in seconds: near duplicates and conflicts were not searched (exact repeats were)"
        )
    else:
        pairs = similar_pairs([u.text for u in units])
    for pair in pairs:
        a, b = units[pair.i], units[pair.j]
        if pair.conflict_reason is not None:
            findings.append(
                Finding(
                    "CA103",
                    "warning",
                    f"possible conflict ({pair.conflict_reason}): line {a.line} {a.text!r} vs line {b.line} {b.text!r}",
                    "keep one rule, or state the condition under which each applies",
                    file=where,
                    line=b.line,
                    end_line=b.end_line,
                    usd_per_month=ZERO,
                    related=[{"file": where, "line": a.line, "end_line": a.end_line, "role": "other rule"}],
                    extra={"similarity": round(pair.similarity, 3)},
                )
            )
            continue
        smaller = b if count(b.text) <= count(a.text) else a
        other = a if smaller is b else b
        tokens = count(smaller.text)
        if tokens < (MIN_DUPLICATE_TOKENS if pair.exact else MIN_NEAR_DUPLICATE_TOKENS) and not pair.exact:
            continue
        if _sandwich(sections, a.section, b.section, count):
            findings.append(_intentional(where, a.line, b.line, b.end_line, tokens))
            continue
        kind = "repeats" if pair.exact else f"nearly repeats (similarity {pair.similarity:.2f})"
        finding = Finding(
            "CA102",
            "warning" if pair.exact else "info",
            f"line {smaller.line} {kind} line {other.line}: {smaller.text!r}",
            f"delete or merge the instruction at {where}:{smaller.line} (up to this saving)",
            file=where,
            line=smaller.line,
            end_line=smaller.end_line,
            counts_as_waste=True,
            related=[{"file": where, "line": other.line, "end_line": other.end_line, "role": "kept copy"}],
            extra={"similarity": round(pair.similarity, 3)},
        )
        removal(finding, tokens, smaller.line, smaller.end_line)


def _sandwich(sections: list[Section], first: int, second: int, count: _Counter) -> bool:
    """Two copies bracket a long context block: >= 2k tokens of context, or a runtime-context variable."""
    lo, hi = sorted((first, second))
    between = [s for s in sections if lo < s.index < hi]
    if any(s.holds_runtime_context for s in between):
        return True
    context_tokens = sum(count(s.text) for s in between if s.role == "context")
    return context_tokens >= SANDWICH_CONTEXT_TOKENS


def _intentional(where: str, first_line: int, line: int, end_line: int, tokens: int) -> Finding:
    return Finding(
        "CA104",
        "info",
        f"line {line} repeats line {first_line} on the other side of a long context block: an intentional "
        "'sandwich' (OpenAI's GPT-4.1 guide: instructions at both the beginning and end of the context), not counted as waste",
        "none needed; check that both copies still say the same thing",
        file=where,
        line=line,
        end_line=end_line,
        tokens=tokens,
        usd_per_month=ZERO,
        related=[{"file": where, "line": first_line, "role": "first copy"}],
    )


_FORMAT_PROSE = re.compile(
    r"(?i)(respond|reply|answer|output|return)\b[^.\n]{0,40}\bjson\b|\bjson object\b|\bwith (the )?(keys|fields)\b"
)


def _bloat(
    where: str,
    sections: list[Section],
    section_tokens: list[int],
    total: int,
    count: _Counter,
    findings: list[Finding],
    removal: Any,
    price_removal: Any,
) -> None:
    examples = [(s, t) for s, t in zip(sections, section_tokens, strict=True) if s.role == "example"]
    example_tokens = sum(t for _, t in examples)
    n_examples = sum(max(1, _example_count(s)) for s, _ in examples)
    if examples and total:
        share = Decimal(example_tokens) / Decimal(total)
        excess = 0
        if share > EXAMPLE_SHARE_LIMIT:
            excess = example_tokens - int(EXAMPLE_SHARE_LIMIT * total)
        elif n_examples > EXAMPLE_COUNT_LIMIT:
            excess = int(Decimal(example_tokens) * (n_examples - EXAMPLE_COUNT_LIMIT) / n_examples)
        if excess > 0:
            first = examples[0][0]
            last = examples[-1][0]
            finding = Finding(
                "CA111",
                "warning",
                f"{n_examples} example(s) take {example_tokens:,} tokens ({share * 100:.0f}% of the prompt); "
                f"{excess:,} tokens above the budget (40% of the prompt, at most {EXAMPLE_COUNT_LIMIT} examples)",
                "keep the 1-2 most instructive examples and shorten them; confirm quality with an A/B eval",
                file=where,
                line=first.start_line,
                end_line=last.end_line,
                counts_as_waste=True,
                extra={"examples": n_examples, "example_tokens": example_tokens},
            )
            removal(finding, excess, first.start_line, last.end_line)
    for section, tokens in zip(sections, section_tokens, strict=True):
        if section.role in ("format", "instruction") and (
            section.role == "format" or _FORMAT_PROSE.search(section.text)
        ):
            schema_tokens = count("\n".join(_code_lines(section.text)))
            prose = tokens - schema_tokens
            if prose >= FORMAT_PROSE_TOKENS and (
                section.role == "format" or _FORMAT_PROSE.search(section.text)
            ):
                finding = Finding(
                    "CA112",
                    "info",
                    f"section '{section.title}' spends {prose:,} tokens describing the output format in prose",
                    "use structured outputs (response_format json_schema or a strict tool); keep the schema, "
                    "drop the prose",
                    file=where,
                    line=section.start_line,
                    end_line=section.end_line,
                    counts_as_waste=True,
                )
                removal(finding, prose, section.start_line, section.end_line)
        if section.role == "context" and tokens >= BACKGROUND_TOKENS and not section.holds_runtime_context:
            # Priced "up to" but not counted as waste: the share of requests that need it is unknown.
            saving, _ = price_removal(tokens, section.start_line)
            findings.append(
                Finding(
                    "CA113",
                    "info",
                    f"static background '{section.title}' is {tokens:,} tokens sent on every request",
                    "if only some requests need it, fetch it on demand (retrieval or a tool call)",
                    file=where,
                    line=section.start_line,
                    end_line=section.end_line,
                    tokens=tokens,
                    usd_per_month=saving,
                )
            )


def _example_count(section: Section) -> int:
    tags = len(re.findall(r"(?i)<example\b", section.text))
    turns = len(re.findall(r"(?im)^\s*(user|customer|input|q)\s*:", section.text))
    return max(tags, turns)


def _code_lines(text: str) -> list[str]:
    out: list[str] = []
    fence = False
    for line in text.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            fence = not fence
            continue
        if fence or re.match(r'^\s*[{}\[\]]|^\s*"[\w-]+"\s*:', line):
            out.append(line)
    return out


def _cacheability(
    text: str,
    where: str,
    model: ModelPrice,
    pricer: PromptPricer,
    total: int,
    prefix_tokens: int,
    dynamic_tokens: int,
    dyn: tuple[int, str, str] | None,
    now: Decimal,
    findings: list[Finding],
    notes: list[str],
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "static_prefix_tokens": prefix_tokens,
        "min_cacheable_tokens": model.min_cacheable_tokens,
        "min_cacheable_source": model.min_cacheable_source,
        "cache_read_priced": pricer.cache_available,
        "cache_write_premium": pricer.write_premium,
        "automatic_caching": pricer.automatic,
        "hit_rate_assumed": pricer.hit_rate_now,
        "hit_rate_estimated": pricer.estimated_hit_rate,
        "parallel_requests": pricer.traffic.parallel,
        "ttl_minutes": CACHE_TTL_MINUTES,
        "cached_tokens_per_hit": pricer.cacheable(prefix_tokens) if pricer.caching_modelled else 0,
        "first_dynamic": None,
    }
    if not pricer.cache_available:
        notes.append(f"{model.id} has no prompt-cache price in the tables; cacheability not priced")
        return info
    if model.min_cacheable_tokens is None:
        notes.append(
            f"the price tables give no min_cacheable_tokens for {model.id}; cacheability not checked "
            "(add it with a source to the model's table)"
        )
        return info
    minimum = model.min_cacheable_tokens
    h_est = pricer.estimated_hit_rate
    h_cache = pricer.hit_rate_now if pricer.hit_rate_now > 0 else h_est
    if dyn is not None:
        line = line_of(text, dyn[0])
        info["first_dynamic"] = {"line": line, "kind": dyn[1], "text": dyn[2]}
        fixed_prefix = total - dynamic_tokens
        fixed = pricer.monthly(total, fixed_prefix, h_cache)
        current = pricer.monthly(total, prefix_tokens, h_cache)
        early = prefix_tokens < minimum or prefix_tokens < total // 2
        if early and current > fixed:
            findings.append(
                Finding(
                    "CA121",
                    "warning",
                    f"{dyn[1]} {dyn[2]!r} at line {line} ends the static prefix after {prefix_tokens:,} of "
                    f"{total:,} tokens; nothing after it can be cached",
                    "move per-request values (dates, names, template variables) to the end of the prompt or "
                    "into the user message",
                    file=where,
                    line=line,
                    end_line=line,
                    tokens=total - prefix_tokens,
                    usd_per_month=current - fixed,
                    counts_as_waste=True,
                    extra={"hit_rate": h_cache, "static_prefix_after_fix": fixed_prefix},
                )
            )
    best_prefix = total - dynamic_tokens if dyn is not None else prefix_tokens
    if best_prefix < minimum:
        findings.append(
            Finding(
                "CA122",
                "info",
                f"the static part ({best_prefix:,} tokens) is below {model.id}'s minimum cacheable length of "
                f"{minimum:,} tokens: it is never cached",
                "nothing to do unless the prompt grows; padding to the minimum pays only with a high hit rate",
                file=where,
                line=1,
                tokens=best_prefix,
                usd_per_month=ZERO,
            )
        )
    elif pricer.hit_rate_now == 0:
        with_cache = pricer.monthly(total, best_prefix, h_est)
        if with_cache < now:
            findings.append(
                Finding(
                    "CA123",
                    "warning",
                    f"prompt caching of the {best_prefix:,}-token static prefix would save this much a month at an "
                    f"estimated {h_est * 100:.1f}% hit rate, net of cache writes"
                    + (
                        f" ({pricer.traffic.parallel} parallel requests each pay a write)"
                        if pricer.traffic.parallel > 1
                        else ""
                    ),
                    "enable prompt caching (e.g. cache_control on the system prompt)",
                    file=where,
                    line=1,
                    tokens=best_prefix,
                    usd_per_month=now - with_cache,
                    counts_as_waste=True,
                    extra={"hit_rate": h_est},
                )
            )
    return info


def _cliff(where: str, model: ModelPrice, pricer: PromptPricer, total: int, findings: list[Finding]) -> None:
    tier = pricer.period.long_context
    if tier is None:
        return
    threshold = tier.threshold_tokens
    size = total + pricer.traffic.extra_input_tokens
    requests = pricer.traffic.requests_per_month
    on = pricer.traffic.on

    def cost(tokens: int) -> Decimal:
        return price_requests(model, Usage(input_tokens=tokens), requests, on=on).total_usd

    if threshold < size <= threshold + int(threshold * CLIFF_OVER_MARGIN):
        findings.append(
            Finding(
                "CA131",
                "warning",
                f"requests of {size:,} tokens are {size - threshold:,} over {model.id}'s {threshold:,}-token "
                "long-context step: every token is billed at the higher rate (input only priced here)",
                f"trim {size - threshold:,} tokens to stay at or under {threshold:,}",
                file=where,
                line=1,
                tokens=size - threshold,
                usd_per_month=cost(size) - cost(threshold),
                counts_as_waste=True,
            )
        )
    elif threshold - int(threshold * CLIFF_UNDER_MARGIN) <= size <= threshold:
        findings.append(
            Finding(
                "CA131",
                "info",
                f"requests of {size:,} tokens are {threshold - size:,} under {model.id}'s {threshold:,}-token "
                "long-context step; crossing it reprices the whole request",
                "keep headroom: watch prompt growth against the step",
                file=where,
                line=1,
                tokens=threshold - size,
                usd_per_month=cost(threshold + 1) - cost(size),
            )
        )
