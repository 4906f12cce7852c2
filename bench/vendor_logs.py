#!/usr/bin/env python3
"""Bench data: vendor log files shaped like real ones, of a chosen size, with their true token totals.

    python bench/vendor_logs.py claude-code --mb 50 --out /tmp/cc      # /tmp/cc/projects/<project>/<session>.jsonl
    python bench/vendor_logs.py openai-batch --mb 50 --out /tmp/ob     # /tmp/ob/batch_output_NNN.jsonl
    python bench/vendor_logs.py litellm --mb 50 --out /tmp/ll          # /tmp/ll/spend_logs_NNN.jsonl

Each run also writes `expected.json` beside the data (outside `projects/`): the number of billable requests and
their token sums per model, counted while generating, so a reader's totals can be checked against the truth.

Claude Code sessions follow the shape of real transcripts (compact JSON, one object per line):
- every response is streamed as one line per content block (thinking, text, tool_use); the lines share
  `message.id` and `requestId` and repeat the usage, and only the last line has the final output count;
- user lines carry the prompts and the tool results (the bulk of the bytes), with `toolUseResult` copies;
- progress (hook) lines, system lines, file-history snapshots, summaries and queue operations in between;
- subagents write their own files (`<session>/subagents/agent-<id>.jsonl`, `isSidechain: true`, `agentId`) on
  a cheaper model; main sessions use several models;
- usage in Anthropic's convention: `input_tokens` excludes the cache reads and writes, and the writes are split
  into 5-minute and 1-hour TTLs;
- now and then an API error turn (`isApiErrorMessage`, model `<synthetic>`, zero usage) that is not billable.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

MB = 1_000_000
FORMATS = ("claude-code", "openai-batch", "litellm")
START = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)

_WORDS = (
    "the a to of and in is it that for on with as this be are or by file function return value error test "
    "module import class def self config path data request response token model cache user server client "
    "update fix check build run change line output input result list dict string number index query table "
    "schema handler router session message stream block tool call read write open close parse format json"
).split()

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class _Text:
    """Cheap pseudo-text: slices of a fixed pool of random words (generating 500 MB word by word is slow)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = " ".join(rng.choice(_WORDS) for _ in range(400_000))
        self.code = "\n".join(
            "    " * rng.randint(0, 3) + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 12)))
            for _ in range(20_000)
        )

    def words(self, chars: int) -> str:
        start = self.rng.randrange(0, len(self.pool) - chars - 1)
        return self.pool[start : start + chars]

    def lines(self, chars: int) -> str:
        start = self.rng.randrange(0, len(self.code) - chars - 1)
        return self.code[start : start + chars]


class _Totals:
    def __init__(self) -> None:
        self.by_model: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.files = 0
        self.bytes = 0
        self.lines = 0

    def add(self, model: str, **tokens: int) -> None:
        bucket = self.by_model[model]
        bucket["requests"] += 1
        for key, value in tokens.items():
            bucket[key] += value

    def write(self, out: Path, fmt: str) -> dict[str, Any]:
        totals: dict[str, int] = defaultdict(int)
        for bucket in self.by_model.values():
            for key, value in bucket.items():
                totals[key] += value
        doc = {
            "format": fmt,
            "files": self.files,
            "bytes": self.bytes,
            "lines": self.lines,
            "totals": dict(totals),
            "by_model": {m: dict(v) for m, v in sorted(self.by_model.items())},
        }
        (out / "expected.json").write_text(json.dumps(doc, indent=2) + "\n")
        return doc


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _b58(rng: random.Random, n: int) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------- Claude Code

_MAIN_MODELS = (
    ("claude-opus-4-6", 0.55),
    ("claude-sonnet-4-5-20250929", 0.35),
    ("claude-opus-4-5-20251101", 0.10),
)
_AGENT_MODELS = (("claude-sonnet-4-5-20250929", 0.6), ("claude-haiku-4-5-20251001", 0.4))
_PROJECTS = (
    "spotter",
    "billing-api",
    "web-frontend",
    "infra",
    "data-pipeline",
    "mobile-app",
    "docs-site",
    "cli",
)
_TOOLS = ("Bash", "Read", "Edit", "Grep", "Glob", "Write", "TodoWrite", "Task")


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for name, weight in choices:
        x -= weight
        if x <= 0:
            return name
    return choices[-1][0]


class _Session:
    """One transcript file being written: the fields every line repeats, and the running clock."""

    def __init__(
        self, rng: random.Random, text: _Text, totals: _Totals, *, project: str, when: datetime
    ) -> None:
        self.rng, self.text, self.totals = rng, text, totals
        self.session_id = _uuid(rng)
        self.cwd = f"/srv/dev/projects/{project}"
        self.branch = rng.choice(("main", "master", "feature/cache", "fix/retry"))
        self.slug = "-".join(rng.choice(_WORDS) for _ in range(3))
        self.when = when
        self.parent: str | None = None
        self.out: list[str] = []
        self.context = rng.randint(8_000, 20_000)  # cached prefix, grows during the session

    def base(self, sidechain: bool, agent_id: str | None) -> dict[str, Any]:
        line: dict[str, Any] = {"parentUuid": self.parent, "isSidechain": sidechain}
        if agent_id:
            line["agentId"] = agent_id
        line.update(
            userType="external",
            cwd=self.cwd,
            sessionId=self.session_id,
            version="2.1.38",
            gitBranch=self.branch,
            slug=self.slug,
        )
        return line

    def tick(self, seconds: float) -> str:
        self.when += timedelta(seconds=seconds)
        return _iso(self.when)

    def emit(self, line: dict[str, Any]) -> None:
        uid = line.setdefault("uuid", _uuid(self.rng))
        self.parent = uid
        self.out.append(_dumps(line))

    def user(self, sidechain: bool, agent_id: str | None, *, prompt: bool) -> None:
        rng, line = self.rng, self.base(sidechain, agent_id)
        line["type"] = "user"
        if prompt:
            line["message"] = {"role": "user", "content": self.text.words(rng.randint(40, 600))}
            line.update(thinkingMetadata={"maxThinkingTokens": 31999}, todos=[], permissionMode="default")
        else:
            size = int(rng.paretovariate(1.3) * 700)
            body = self.text.lines(min(size, 40_000))
            tool_id = "toolu_01" + _b58(rng, 22)
            line["message"] = {
                "role": "user",
                "content": [
                    {"tool_use_id": tool_id, "type": "tool_result", "content": body, "is_error": False}
                ],
            }
            line["toolUseResult"] = {"stdout": body, "stderr": "", "interrupted": False, "isImage": False}
            line["sourceToolAssistantUUID"] = self.parent
        line["timestamp"] = self.tick(rng.uniform(0.5, 40))
        self.emit(line)

    def progress(self, sidechain: bool, agent_id: str | None) -> None:
        line = self.base(sidechain, agent_id)
        tool = "toolu_01" + _b58(self.rng, 22)
        line.update(
            type="progress",
            data={
                "type": "hook_progress",
                "hookEvent": "PostToolUse",
                "hookName": "PostToolUse:Bash",
                "command": "~/.claude/hooks/notify.sh",
            },
            parentToolUseID=tool,
            toolUseID=tool,
            timestamp=self.tick(0.05),
        )
        self.emit(line)

    def system(self, sidechain: bool, agent_id: str | None) -> None:
        line = self.base(sidechain, agent_id)
        line.update(
            type="system",
            subtype="local_command",
            content="<command-name>/mcp</command-name>\n<command-message>mcp</command-message>",
            level="info",
            timestamp=self.tick(1),
            isMeta=False,
        )
        self.emit(line)

    def response(self, model: str, sidechain: bool, agent_id: str | None) -> None:
        """One API response streamed over 1-5 lines; the usage repeats, the final output count is on the last."""
        rng = self.rng
        blocks = ["thinking"] if rng.random() < 0.4 else []
        blocks += ["text"] * rng.randint(0, 2)
        blocks += ["tool_use"] * (rng.randint(1, 2) if rng.random() < 0.75 else 0)
        blocks = blocks or ["text"]
        output = rng.randint(20, 2500)
        write = rng.randint(0, 4000) if rng.random() < 0.7 else 0
        write_1h = write if rng.random() < 0.5 else 0
        read = self.context
        self.context += write
        fresh = rng.randint(1, 12)
        msg_id = "msg_01" + _b58(rng, 22)
        request_id = "req_011C" + _b58(rng, 20)
        early = rng.randint(1, 30)
        for index, kind in enumerate(blocks):
            last = index == len(blocks) - 1
            if kind == "thinking":
                content = {
                    "type": "thinking",
                    "thinking": self.text.words(rng.randint(100, 1500)),
                    "signature": _b58(rng, 300),
                }
            elif kind == "text":
                content = {"type": "text", "text": self.text.words(rng.randint(20, 1200))}
            else:
                content = {
                    "type": "tool_use",
                    "id": "toolu_01" + _b58(rng, 22),
                    "name": rng.choice(_TOOLS),
                    "input": {
                        "command": self.text.words(rng.randint(10, 200)),
                        "description": self.text.words(40),
                    },
                }
            line = self.base(sidechain, agent_id)
            line["message"] = {
                "model": model,
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "content": [content],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": fresh,
                    "cache_creation_input_tokens": write,
                    "cache_read_input_tokens": read,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": write - write_1h,
                        "ephemeral_1h_input_tokens": write_1h,
                    },
                    "output_tokens": output if last else min(early, output),
                    "service_tier": "standard",
                    "inference_geo": "not_available",
                },
            }
            line.update(requestId=request_id, type="assistant", timestamp=self.tick(rng.uniform(0.2, 8)))
            self.emit(line)
        self.totals.add(
            model,
            input_tokens=fresh,
            output_tokens=output,
            cache_creation_input_tokens=write,
            cache_read_input_tokens=read,
        )

    def api_error(self, sidechain: bool, agent_id: str | None) -> None:
        line = self.base(sidechain, agent_id)
        line["message"] = {
            "id": _uuid(self.rng),
            "model": "<synthetic>",
            "role": "assistant",
            "stop_reason": "stop_sequence",
            "stop_sequence": "",
            "type": "message",
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "server_tool_use": {"web_search_requests": 0},
            },
            "content": [{"type": "text", "text": "API Error: 529 Overloaded. Retrying."}],
        }
        line.update(type="assistant", timestamp=self.tick(2), isApiErrorMessage=True)
        self.emit(line)

    def turns(self, count: int, model: str, *, sidechain: bool = False, agent_id: str | None = None) -> None:
        rng = self.rng
        for _ in range(count):
            self.user(sidechain, agent_id, prompt=True)
            for _step in range(rng.randint(1, 6)):
                if rng.random() < 0.01:
                    self.api_error(sidechain, agent_id)
                self.response(model, sidechain, agent_id)
                if rng.random() < 0.5:
                    self.progress(sidechain, agent_id)
                self.user(sidechain, agent_id, prompt=False)
            if rng.random() < 0.1:
                self.system(sidechain, agent_id)


def claude_code(out: Path, mb: float, seed: int = 7) -> dict[str, Any]:
    """A `projects/` folder as Claude Code writes it under its config directory (CLAUDE_CONFIG_DIR)."""
    rng = random.Random(seed)
    text = _Text(rng)
    totals = _Totals()
    root = out / "projects"
    target = int(mb * MB)
    day = 0
    while totals.bytes < target:
        project = rng.choice(_PROJECTS)
        folder = root / f"-home-dev-projects-{project}"
        when = START + timedelta(days=day % 60, hours=rng.uniform(0, 12))
        day += 1
        session = _Session(rng, text, totals, project=project, when=when)
        session.emit(
            {
                "type": "file-history-snapshot",
                "messageId": _uuid(rng),
                "snapshot": {"messageId": _uuid(rng), "trackedFileBackups": {}, "timestamp": _iso(when)},
                "isSnapshotUpdate": False,
            }
        )
        session.progress(False, None)
        model = _pick(rng, _MAIN_MODELS)
        session.turns(rng.randint(1, 6), model)
        if rng.random() < 0.3:
            session.emit({"type": "summary", "summary": session.text.words(60), "leafUuid": session.parent})
        files = [(folder / f"{session.session_id}.jsonl", session.out)]
        for _agent in range(rng.randint(0, 2) if rng.random() < 0.4 else 0):
            agent_id = "a" + "".join(rng.choice("0123456789abcdef") for _ in range(6))
            sub = _Session(rng, text, totals, project=project, when=session.when)
            sub.session_id = session.session_id
            sub.turns(rng.randint(1, 4), _pick(rng, _AGENT_MODELS), sidechain=True, agent_id=agent_id)
            files.append((folder / session.session_id / "subagents" / f"agent-{agent_id}.jsonl", sub.out))
        for path, lines in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            data = ("\n".join(lines) + "\n").encode("utf-8")
            path.write_bytes(data)
            totals.files += 1
            totals.bytes += len(data)
            totals.lines += len(lines)
    return totals.write(out, "claude-code")


# ---------------------------------------------------------------- OpenAI batch output

_OPENAI_MODELS = (("gpt-4o-mini", 0.5), ("gpt-4.1-mini", 0.3), ("gpt-4o", 0.2))
FILE_MB = 50  # flat formats are split into files of about this size, as exports usually are


def _flat(out: Path, mb: float, prefix: str, make_line: Any, seed: int, fmt: str) -> dict[str, Any]:
    rng = random.Random(seed)
    text = _Text(rng)
    totals = _Totals()
    target = int(mb * MB)
    out.mkdir(parents=True, exist_ok=True)
    index = 0
    while totals.bytes < target:
        lines: list[str] = []
        size = 0
        limit = min(FILE_MB * MB, target - totals.bytes)
        while size < limit:
            line = make_line(rng, text, totals, totals.lines + len(lines))
            lines.append(line)
            size += len(line) + 1
        index += 1
        path = out / f"{prefix}_{index:03d}.jsonl"
        data = ("\n".join(lines) + "\n").encode("utf-8")
        path.write_bytes(data)
        totals.files += 1
        totals.bytes += len(data)
        totals.lines += len(lines)
    return totals.write(out, fmt)


def _batch_line(rng: random.Random, text: _Text, totals: _Totals, n: int) -> str:
    model = _pick(rng, _OPENAI_MODELS)
    custom = f"request-{n + 1}"
    if rng.random() < 0.01:  # a failed request: no usage, billed nothing
        return _dumps(
            {
                "id": f"batch_req_{_b58(rng, 24)}",
                "custom_id": custom,
                "response": {
                    "status_code": 429,
                    "request_id": f"req_{_b58(rng, 24)}",
                    "body": {"error": {"message": "Rate limit reached", "type": "rate_limit_error"}},
                },
                "error": None,
            }
        )
    prompt = rng.randint(50, 6000)
    cached = (prompt // 128) * 128 if rng.random() < 0.3 and prompt > 1024 else 0
    completion = rng.randint(5, 1500)
    totals.add(model, input_tokens=prompt, cached_input_tokens=cached, output_tokens=completion)
    body = {
        "id": f"chatcmpl-{_uuid(rng)}",
        "object": "chat.completion",
        "created": int((START + timedelta(seconds=n * 13)).timestamp()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": text.words(rng.randint(20, 1500)),
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop" if rng.random() < 0.95 else "length",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_" + _b58(rng, 10),
    }
    return _dumps(
        {
            "id": f"batch_req_{_b58(rng, 24)}",
            "custom_id": custom,
            "response": {"status_code": 200, "request_id": f"req_{_b58(rng, 24)}", "body": body},
            "error": None,
        }
    )


def openai_batch(out: Path, mb: float, seed: int = 11) -> dict[str, Any]:
    return _flat(out, mb, "batch_output", _batch_line, seed, "openai-batch")


# ---------------------------------------------------------------- LiteLLM spend logs

_LITELLM_MODELS = (("gpt-4o", 0.4), ("claude-sonnet-4-5", 0.3), ("gpt-4o-mini", 0.3))


def _litellm_line(rng: random.Random, text: _Text, totals: _Totals, n: int) -> str:
    model = _pick(rng, _LITELLM_MODELS)
    provider = "anthropic" if model.startswith("claude") else "openai"
    prompt = rng.randint(50, 8000)
    cached = (prompt // 128) * 128 if rng.random() < 0.3 and prompt > 1024 else 0
    completion = rng.randint(5, 1500)
    totals.add(model, input_tokens=prompt, cached_input_tokens=cached, output_tokens=completion)
    start = START + timedelta(seconds=n * 7.3)
    end = start + timedelta(milliseconds=rng.randint(200, 9000))
    usage = {
        "completion_tokens": completion,
        "prompt_tokens": prompt,
        "total_tokens": prompt + completion,
        "completion_tokens_details": None,
        "prompt_tokens_details": {"cached_tokens": cached} if cached else None,
    }
    team = rng.choice(("search", "support", "growth", "platform"))
    meta = {
        "applied_guardrails": [],
        "attempted_fallbacks": None,
        "usage_object": usage,
        "model_map_information": {
            "model_map_key": model,
            "model_map_value": {
                "key": model,
                "max_tokens": 16384,
                "litellm_provider": provider,
                "mode": "chat",
            },
        },
        "additional_usage_values": {"completion_tokens_details": None, "prompt_tokens_details": None},
        "user_api_key": _b58(rng, 40),
        "user_api_key_alias": f"{team}-key",
        "user_api_key_team_id": f"team-{team}",
        "user_api_key_team_alias": team,
        "user_api_key_user_id": f"dev{rng.randint(1, 40)}",
        "spend_logs_metadata": {"feature": rng.choice(("chat", "summarise", "classify", "extract"))},
        "requester_ip_address": None,
        "status": "success",
    }
    messages = [
        {"role": "system", "content": text.words(rng.randint(50, 400))},
        {"role": "user", "content": text.words(rng.randint(50, 2000))},
    ]
    record = {
        "request_id": f"chatcmpl-{_uuid(rng)}",
        "session_id": _uuid(rng),
        "call_type": "acompletion",
        "api_key": _b58(rng, 64),
        "cache_hit": "None",
        "startTime": start.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "endTime": end.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "completionStartTime": end.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "model": model,
        "user": f"dev{rng.randint(1, 40)}",
        "team_id": f"team-{team}",
        "organization_id": "",
        "metadata": json.dumps(meta),
        "cache_key": "Cache OFF",
        "spend": round((prompt * 2.5 + completion * 10) / 1e6, 8),
        "total_tokens": prompt + completion,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "request_tags": json.dumps([f"feature:{meta['spend_logs_metadata']['feature']}"]),
        "end_user": f"customer-{rng.randint(1, 500)}",
        "api_base": "https://api.openai.com" if provider == "openai" else "https://api.anthropic.com",
        "model_group": model,
        "model_id": _b58(rng, 16),
        "requester_ip_address": None,
        "custom_llm_provider": provider,
        "messages": json.dumps(messages),
        "response": json.dumps(
            {
                "choices": [
                    {"finish_reason": "stop", "message": {"content": text.words(rng.randint(20, 1200))}}
                ]
            }
        ),
        "proxy_server_request": "{}",
        "status": "success",
    }
    return _dumps(record)


def litellm(out: Path, mb: float, seed: int = 13) -> dict[str, Any]:
    return _flat(out, mb, "spend_logs", _litellm_line, seed, "litellm")


GENERATORS = {"claude-code": claude_code, "openai-batch": openai_batch, "litellm": litellm}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("--mb", type=float, default=500.0, help="size to write, in MB (default 500)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    kwargs = {"seed": args.seed} if args.seed is not None else {}
    doc = GENERATORS[args.format](args.out, args.mb, **kwargs)
    print(
        f"{args.format}: {doc['files']} files, {doc['lines']} lines, {doc['bytes'] / MB:.1f} MB in {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
