#!/usr/bin/env python3
"""Generate the bundled sample logs: a small product's LLM traffic for 2026-09 (lighter) and 2026-10.

Deterministic (fixed seed, no clock): running it again writes byte-identical files. Stories in the data:
- features chat, autocomplete, agent, summarize (canonical JSONL) and search (a CSV export from another
  service, read with search_service.mapping.yaml), owned by teams core, growth, platform and search;
- summarize's prompt moves from v1 to v2 on 2026-10-15 (a longer system prompt: more input tokens);
- a retry storm: search on 2026-10-09 14:00-15:00 UTC, hundreds of 429s and retried calls;
- a cost spike: agent on 2026-10-22/23 runs claude-sonnet-4-5 with prompts past its 200k long-context tier;
- summarize runs nightly batches (is_batch); some on gpt-5.4-mini, which has no published batch price
  (unpriced, with the reason); a few requests use an in-house model the price tables do not know;
- search answers some queries from the gateway cache (no provider call);
- vendor formats in their real shapes under vendor/: OpenAI Batch API input/output files and LiteLLM
  proxy spend logs (read by the vendor adapters).

Usage: python sample_logs/generate.py [OUTDIR]   (default: the directory of this script)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import sys
from pathlib import Path

SEED = 2026
USERS = [f"u{n:03d}" for n in range(1, 61)]
TEAMS = {
    "chat": "core",
    "autocomplete": "core",
    "agent": "platform",
    "summarize": "growth",
    "search": "search",
}
START = {9: dt.date(2026, 9, 1), 10: dt.date(2026, 10, 1)}
DAYS = {9: 30, 10: 31}


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class Gen:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.n = 0

    def rid(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:07d}"

    def when(self, day: dt.date, hour_lo: int = 7, hour_hi: int = 23) -> dt.datetime:
        r = self.rng
        return dt.datetime(
            day.year,
            day.month,
            day.day,
            r.randint(hour_lo, hour_hi - 1),
            r.randint(0, 59),
            r.randint(0, 59),
            r.randint(0, 999) * 1000,
        )

    def user(self) -> str:
        # a few heavy users, a long tail
        return self.rng.choice(USERS[:8] * 6 + USERS)


def canonical_rows(g: Gen) -> list[dict[str, object]]:
    r = g.rng
    rows: list[dict[str, object]] = []

    def add(
        ts: dt.datetime, feature: str, model: str, provider: str, inp: int, out: int, **kw: object
    ) -> None:
        spv = str(kw.pop("spv", "v1"))
        row: dict[str, object] = {
            "ts": _iso(ts),
            "request_id": kw.pop("request_id", None) or g.rid("req_"),
            "provider": provider,
            "model": model,
            "input_tokens": inp,
            "cached_input_tokens": kw.pop("cached", 0),
            "output_tokens": out,
            "reasoning_tokens": kw.pop("reasoning", 0),
            "user_id": kw.pop("user", None) or g.user(),
            "feature": feature,
            "team": TEAMS[feature],
            "environment": "prod",
            "prompt_version": kw.pop("prompt_version", "v1"),
            "max_tokens": kw.pop("max_tokens", 1024),
            "finish_reason": kw.pop("finish_reason", "stop"),
            "latency_ms": kw.pop("latency_ms", round(r.uniform(300, 4000), 1)),
            "status": kw.pop("status", "ok"),
            "is_batch": kw.pop("is_batch", False),
            "system_prompt_hash": _h(feature + spv),
        }
        if "cache_write" in kw:
            row["cache_write_5m_tokens"] = kw.pop("cache_write")
        row.update(kw)
        rows.append(row)

    for month in (9, 10):
        scale = 0.6 if month == 9 else 1.0
        for d in range(DAYS[month]):
            day = START[month] + dt.timedelta(days=d)
            weekend = day.weekday() >= 5
            k = scale * (0.6 if weekend else 1.0)
            for _ in range(int(40 * k)):  # chat: gpt-4o-mini, cached system prompt
                inp = r.randint(900, 3500)
                add(
                    g.when(day),
                    "chat",
                    "gpt-4o-mini-2024-07-18",
                    "openai",
                    inp,
                    r.randint(80, 600),
                    cached=min(inp, 768) if r.random() < 0.7 else 0,
                )
            for _ in range(int(40 * k)):  # autocomplete: tiny, haiku
                inp = r.randint(150, 600)
                add(
                    g.when(day),
                    "autocomplete",
                    "claude-haiku-4-5-20251001",
                    "anthropic",
                    inp,
                    r.randint(5, 40),
                    max_tokens=64,
                )
            for _ in range(int(8 * k)):  # agent: o3 with reasoning, claude-sonnet-4-5 with cache
                if r.random() < 0.5:
                    out = r.randint(800, 4000)
                    add(
                        g.when(day),
                        "agent",
                        "o3-2025-04-16",
                        "openai",
                        r.randint(8000, 30000),
                        out,
                        reasoning=int(out * 0.7),
                        max_tokens=8192,
                    )
                else:
                    inp = r.randint(20000, 90000)
                    add(
                        g.when(day),
                        "agent",
                        "claude-sonnet-4-5-20250929",
                        "anthropic",
                        inp,
                        r.randint(500, 3000),
                        cached=int(inp * 0.6),
                        cache_write=int(inp * 0.1),
                        max_tokens=8192,
                    )
            v2 = day >= dt.date(2026, 10, 15)
            for _ in range(int(12 * k)):  # summarize: prompt v1 -> v2 mid-October
                inp = r.randint(2500, 6000) + (1800 if v2 else 0)
                add(
                    g.when(day),
                    "summarize",
                    "gpt-4.1-mini",
                    "openai",
                    inp,
                    r.randint(200, 700),
                    prompt_version="v2" if v2 else "v1",
                    spv="v2" if v2 else "v1",
                    max_tokens=800,
                )
            for _ in range(int(20 * scale)):  # nightly batch summaries
                batch_model = "gpt-5.4-mini" if (month == 10 and d % 7 == 3) else "gpt-4o-mini"
                add(
                    g.when(day, 1, 4),
                    "summarize",
                    batch_model,
                    "openai",
                    r.randint(3000, 7000),
                    r.randint(200, 600),
                    is_batch=True,
                    prompt_version="v2" if v2 else "v1",
                    user="batch-job",
                )
            if d % 5 == 0:  # an in-house model the price tables do not know
                add(
                    g.when(day),
                    "chat",
                    "acme-internal-7b",
                    "self-hosted",
                    r.randint(500, 2000),
                    r.randint(50, 300),
                )
        if month == 10:  # the cost spike: long agent sessions past the 200k tier
            for day in (dt.date(2026, 10, 22), dt.date(2026, 10, 23)):
                for _ in range(25):
                    inp = r.randint(210000, 400000)
                    add(
                        g.when(day),
                        "agent",
                        "claude-sonnet-4-5-20250929",
                        "anthropic",
                        inp,
                        r.randint(2000, 8000),
                        cached=int(inp * 0.5),
                        max_tokens=16384,
                        user=r.choice(USERS[:3]),
                    )
    rows.sort(key=lambda x: (str(x["ts"]), str(x["request_id"])))
    return rows


def search_rows(g: Gen) -> list[dict[str, object]]:
    """Another service's export: its own column names, epoch-millisecond times, a billed cost column."""
    r = g.rng
    out: list[dict[str, object]] = []

    def add(
        ts: dt.datetime,
        status: str,
        inp: int,
        outp: int,
        cached: int = 0,
        hit: bool = False,
        user: str | None = None,
    ) -> None:
        billed = (inp - cached) * 0.15 / 1e6 + cached * 0.075 / 1e6 + outp * 0.60 / 1e6
        if hit:
            billed = 0.0
        elif r.random() < 0.03:  # a gateway with a stale price table
            billed *= 1.25
        out.append(
            {
                "time_ms": int(ts.replace(tzinfo=dt.timezone.utc).timestamp() * 1000),
                "req": g.rid("srch_"),
                "llm": "gpt-4o-mini",
                "prompt_tokens": inp,
                "completion_tokens": outp,
                "cached_prompt_tokens": cached,
                "route": "search",
                "customer_id": user or g.user(),
                "squad": "search",
                "env": "prod",
                "prompt_rev": "s3",
                "latency": round(r.uniform(200, 2500), 1),
                "http_status": status,
                "cache_hit": "true" if hit else "false",
                "billed_usd": f"{billed:.8f}" if status == "ok" else "0",
            }
        )

    for month in (9, 10):
        for d in range(DAYS[month]):
            day = START[month] + dt.timedelta(days=d)
            for _ in range(int(30 * (0.6 if month == 9 else 1.0))):
                hit = r.random() < 0.15
                inp = r.randint(1200, 4000)
                add(
                    g.when(day),
                    "ok",
                    inp,
                    r.randint(100, 400),
                    cached=min(inp, 1024) if r.random() < 0.5 else 0,
                    hit=hit,
                )
    storm = dt.datetime(2026, 10, 9, 14, 0, 0)
    for i in range(420):  # the retry storm: 429s with no usage, then billed retries
        ts = storm + dt.timedelta(seconds=i * 8 + r.randint(0, 7))
        if i % 3:
            add(ts, "429", 0, 0, user=r.choice(USERS[:5]))
        else:
            add(ts, "ok", r.randint(1500, 3000), r.randint(100, 300), user=r.choice(USERS[:5]))
    out.sort(key=lambda x: (int(x["time_ms"]), str(x["req"])))  # type: ignore[call-overload]
    return out


def openai_batch(g: Gen) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """OpenAI Batch API files (docs/log-formats.md): input lines and output lines, out of order."""
    r = g.rng
    inputs, outputs = [], []
    for d in range(0, 31, 2):
        day = dt.date(2026, 10, 1) + dt.timedelta(days=d)
        for _ in range(12):
            user = g.user()
            cid = f"translate:{user}:{g.rid('')}"
            system = "You translate product reviews into English. Keep the tone."
            inputs.append(
                {
                    "custom_id": cid,
                    "method": "POST",
                    "url": "/v1/chat/completions",
                    "body": {
                        "model": "gpt-4o-mini",
                        "max_tokens": 600,
                        "messages": [
                            {"role": "system", "content": system},
                            {"role": "user", "content": f"Review #{g.n}"},
                        ],
                    },
                }
            )
            created = int(
                dt.datetime.combine(day, dt.time(3, r.randint(0, 59)))
                .replace(tzinfo=dt.timezone.utc)
                .timestamp()
            )
            prompt = r.randint(300, 1500)
            completion = r.randint(100, 600)
            outputs.append(
                {
                    "id": f"batch_req_{g.rid('')}",
                    "custom_id": cid,
                    "response": {
                        "status_code": 200,
                        "request_id": f"req_{hashlib.md5(cid.encode()).hexdigest()}",
                        "body": {
                            "id": f"chatcmpl-{hashlib.md5((cid + 'x').encode()).hexdigest()[:24]}",
                            "object": "chat.completion",
                            "created": created,
                            "model": "gpt-4o-mini-2024-07-18",
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {
                                        "role": "assistant",
                                        "content": "Translated text.",
                                        "refusal": None,
                                    },
                                    "logprobs": None,
                                    "finish_reason": "length" if completion >= 590 else "stop",
                                }
                            ],
                            "usage": {
                                "prompt_tokens": prompt,
                                "completion_tokens": completion,
                                "total_tokens": prompt + completion,
                                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                                "completion_tokens_details": {
                                    "reasoning_tokens": 0,
                                    "audio_tokens": 0,
                                    "accepted_prediction_tokens": 0,
                                    "rejected_prediction_tokens": 0,
                                },
                            },
                            "service_tier": "default",
                            "system_fingerprint": "fp_34a54ae93c",
                        },
                    },
                    "error": None,
                }
            )
    r.shuffle(outputs)  # output order != input order: join on custom_id
    return inputs, outputs


def litellm_spend_logs(g: Gen) -> list[dict[str, object]]:
    """LiteLLM proxy `LiteLLM_SpendLogs` rows as exported (docs/log-formats.md): metadata is a JSON
    string, cache_hit a string, request_tags a JSON list in a string, Anthropic via the chat route."""
    r = g.rng
    rows = []
    for d in range(31):
        day = dt.date(2026, 10, 1) + dt.timedelta(days=d)
        for _ in range(10):
            start = g.when(day)
            duration = r.randint(400, 5000)
            prompt = r.randint(1000, 6000)
            cache_read = prompt // 2 if r.random() < 0.5 else 0
            completion = r.randint(100, 900)
            user = g.user()
            usage = {
                "completion_tokens": completion,
                "prompt_tokens": prompt,
                "total_tokens": prompt + completion,
                "prompt_tokens_details": {"cached_tokens": cache_read},
                "cache_read_input_tokens": cache_read,
                "cache_creation_input_tokens": 0,
            }
            spend = (prompt - cache_read) * 1.0 / 1e6 + cache_read * 0.1 / 1e6 + completion * 5.0 / 1e6
            metadata = {
                "usage_object": usage,
                "user_api_key_alias": "support-bot",
                "user_api_key_team_alias": "support",
                "spend_logs_metadata": {"feature": "support-reply", "prompt_version": "r7"},
                "additional_usage_values": {},
            }
            rows.append(
                {
                    "request_id": "chatcmpl-" + hashlib.md5(g.rid("").encode()).hexdigest(),
                    "call_type": "acompletion",
                    "api_key": hashlib.sha256(b"sk-support").hexdigest(),
                    "spend": round(spend, 8),
                    "total_tokens": prompt + completion,
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "startTime": (start).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "endTime": (start + dt.timedelta(milliseconds=duration)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "request_duration_ms": duration,
                    "model": "claude-haiku-4-5",
                    "model_id": "deployment-haiku-1",
                    "model_group": "support-default",
                    "custom_llm_provider": "anthropic",
                    "api_base": "https://api.anthropic.com/v1/messages",
                    "user": "support-service",
                    "metadata": json.dumps(metadata),
                    "cache_hit": "None",
                    "cache_key": "Cache OFF",
                    "request_tags": json.dumps(["feature:support-reply", "env:prod"]),
                    "team_id": "team-support",
                    "end_user": user,
                    "session_id": hashlib.md5(user.encode()).hexdigest()[:12],
                    "status": "success",
                }
            )
    return rows


MAPPING_YAML = """\
# Column mapping for search_service.csv (costctl attribute ingest --mapping this-file).
# canonical column: source column
files: search_service*.csv
columns:
  ts: time_ms
  request_id: req
  model: llm
  input_tokens: prompt_tokens
  output_tokens: completion_tokens
  cached_input_tokens: cached_prompt_tokens
  feature: route
  user_id: customer_id
  team: squad
  environment: env
  prompt_version: prompt_rev
  latency_ms: latency
  status: http_status
  gateway_cache_hit: cache_hit
  reported_cost_usd: billed_usd
"""


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")


def main(outdir: Path) -> None:
    g = Gen()
    vendor = outdir / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    write_jsonl(outdir / "app_requests.jsonl", canonical_rows(g))
    rows = search_rows(g)
    with (outdir / "search_service.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    (outdir / "search_service.mapping.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    inputs, outputs = openai_batch(g)
    write_jsonl(vendor / "openai_batch_input.jsonl", inputs)
    write_jsonl(vendor / "openai_batch_output.jsonl", outputs)
    write_jsonl(vendor / "litellm_spend_logs.jsonl", litellm_spend_logs(g))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
