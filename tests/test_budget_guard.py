"""BudgetGuard semantics: the seed scenarios, usage shapes, expiry, warnings, the policy file, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budget_support import check_accounting, reset_postgres
from conftest import REAL_LOGS, invoke, needs_real_logs

from costctl.budget import BudgetGuard, GuardRequest, open_ledger
from costctl.budget.ledger import Ledger
from costctl.budget.policy import Cap, GuardPolicy, load_policy
from costctl.budget.request import BudgetPolicy
from costctl.budget.usage import usage_from_provider
from costctl.cost.price import price_usage
from costctl.errors import InputError
from costctl.models import Usage
from costctl.pricing.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_POLICY = ROOT / "examples" / "budget" / "policy.yaml"
NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.timezone.utc)
PROMPT = "Summarise the attached contract in five bullet points."


class Clock:
    def __init__(self, at: dt.datetime = NOW) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture(scope="module")
def catalog() -> Any:
    return load_catalog()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "sqlite":
        spec = str(tmp_path / "ledger.sqlite")
    else:
        spec = str(request.getfixturevalue("pg_url"))
        reset_postgres(spec)
    with open_ledger(spec) as opened:
        yield opened
    with open_ledger(spec) as again:
        check_accounting(again)


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(tmp_path / "ledger.sqlite") as opened:
        yield opened


def seed_policy(**reservation: Any) -> GuardPolicy:
    return GuardPolicy(
        per_request=BudgetPolicy(max_cost_usd=Decimal("0.01"), fallback_model="gpt-4.1-mini"),
        caps=(
            Cap("user-daily", "user", "day", hard_usd=Decimal("0.03")),
            Cap("global-monthly", "global", "month", hard_usd=Decimal(500), soft_usd=Decimal(400)),
        ),
        **reservation,
    )


def test_seed_scenarios_allowed_downgraded_blocked_then_user_cap(ledger: Ledger, catalog: Any) -> None:
    guard = BudgetGuard(seed_policy(), ledger, catalog=catalog, clock=Clock())
    allowed = guard.check(GuardRequest(model="gpt-4.1", max_tokens=800, prompt=PROMPT, user="7"))
    assert (allowed.decision, allowed.model_used) == ("allow", "gpt-4.1")
    # worst case = counted prompt + 800 output tokens, priced by the one formula
    worst = price_usage(
        catalog.get("gpt-4.1"),
        Usage(input_tokens=allowed.candidates[0].input_tokens, output_tokens=800),
        on=NOW.date(),
    ).total_usd
    assert allowed.reserved_usd == worst
    guard.record(allowed, {"prompt_tokens": allowed.candidates[0].input_tokens, "completion_tokens": 120})

    downgraded = guard.check(GuardRequest(model="gpt-4.1", max_tokens=4000, prompt=PROMPT, user="7"))
    assert (downgraded.decision, downgraded.model_used) == ("fallback", "gpt-4.1-mini")
    assert "exceeds the budget $0.01" in downgraded.reasons()[0]
    guard.record(downgraded, {"prompt_tokens": 12, "completion_tokens": 900})

    blocked = guard.check(GuardRequest(model="o1", max_tokens=40000, prompt=PROMPT, user="7"))
    assert (blocked.decision, blocked.model_used, blocked.reserved_usd) == ("reject", None, 0)
    with pytest.raises(InputError, match="rejected"):
        guard.record(blocked, {"prompt_tokens": 1, "completion_tokens": 1})

    # user 42: each allowed request spends ~$0.0064 of a $0.03 daily cap; the cap trips, first by falling back
    decisions = []
    for _ in range(12):
        d = guard.check(GuardRequest(model="gpt-4.1", max_tokens=800, prompt=PROMPT, user="42"))
        decisions.append(d.decision)
        if d.allowed:
            guard.record(d, {"prompt_tokens": d.candidates[-1].input_tokens, "completion_tokens": 800})
    assert decisions[:4] == ["allow"] * 4
    assert "fallback" in decisions and decisions[-1] == "reject"
    first_fallback = decisions.index("fallback")
    assert "cap user-daily (user=42" in " ".join(guard.check(GuardRequest(
        model="gpt-4.1", max_tokens=800, prompt=PROMPT, user="42")).reasons())  # fmt: skip
    spent = {b.key_value: b for b in ledger.buckets() if b.cap == "user-daily"}
    assert spent["42"].spent_pusd + spent["42"].reserved_pusd <= spent["42"].hard_pusd  # never past the cap
    assert first_fallback >= 4
    # another user is not affected by user 42's cap
    assert (
        guard.check(GuardRequest(model="gpt-4.1", max_tokens=800, prompt=PROMPT, user="8")).decision
        == "allow"
    )


def test_warnings_at_50_75_90_and_soft_limit(sqlite_ledger: Ledger, catalog: Any) -> None:
    policy = GuardPolicy(
        caps=(Cap("team-monthly", "team", "month", hard_usd=Decimal("0.02"), soft_usd=Decimal("0.012")),)
    )
    guard = BudgetGuard(policy, sqlite_ledger, catalog=catalog, clock=Clock())
    seen = []
    for _ in range(9):  # $0.002 each
        d = guard.check(GuardRequest(model="gpt-4.1-mini", max_tokens=1000, input_tokens=1000, team="search"))
        seen.append((d.caps[0].warn_level_pct, d.caps[0].soft_exceeded, d.warnings))
    assert [s[0] for s in seen] == [None, None, None, None, 50, 50, 50, 75, 90]
    assert [s[1] for s in seen] == [False] * 6 + [True] * 3
    assert "over the soft limit $0.012" in seen[6][2][-1]
    assert "90.0 % of the hard limit" in seen[8][2][0]


def test_caps_apply_by_key_value_tag_and_period(sqlite_ledger: Ledger, catalog: Any) -> None:
    clock = Clock()
    policy = GuardPolicy(
        caps=(
            Cap("search-only", "feature", "day", hard_usd=Decimal("0.004"), value="search"),
            Cap("tenant", "tag:tenant", "month", hard_usd=Decimal(1)),
            Cap("key", "api_key", "month", hard_usd=Decimal(1)),
        )
    )
    guard = BudgetGuard(policy, sqlite_ledger, catalog=catalog, clock=clock)

    def check(**keys: Any) -> Any:
        return guard.check(GuardRequest(model="gpt-4.1-mini", max_tokens=1000, input_tokens=1000, **keys))

    d = check(feature="search", tags={"tenant": "acme"}, api_key="key-1")
    assert sorted(s.cap for s in d.caps) == ["key", "search-only", "tenant"]
    assert check(feature="chat").caps == ()  # the capped value only
    assert check(feature="search").allowed
    assert not check(feature="search").allowed  # $0.004 used today
    clock.at = NOW + dt.timedelta(days=1)  # a new UTC day is a new bucket
    assert check(feature="search").allowed


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (  # OpenAI Chat Completions: inclusive already
            {
                "prompt_tokens": 1200,
                "completion_tokens": 300,
                "prompt_tokens_details": {"cached_tokens": 1000},
                "completion_tokens_details": {"reasoning_tokens": 100},
            },  # fmt: skip
            Usage(input_tokens=1200, output_tokens=300, cached_input_tokens=1000, reasoning_tokens=100),
        ),
        (  # OpenAI Responses API
            {
                "input_tokens": 1200,
                "output_tokens": 300,
                "total_tokens": 1500,
                "input_tokens_details": {"cached_tokens": 1000},
                "output_tokens_details": {"reasoning_tokens": 0},
            },  # fmt: skip
            Usage(input_tokens=1200, output_tokens=300, cached_input_tokens=1000),
        ),
        (  # Anthropic: input excludes cache reads and writes
            {
                "input_tokens": 200,
                "output_tokens": 300,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 50,
            },  # fmt: skip
            Usage(input_tokens=1250, output_tokens=300, cached_input_tokens=1000, cache_write_5m_tokens=50),
        ),
        (  # Gemini REST usageMetadata: thoughts are output, not in candidates
            {
                "promptTokenCount": 1200,
                "candidatesTokenCount": 200,
                "thoughtsTokenCount": 100,
                "cachedContentTokenCount": 1000,
                "totalTokenCount": 1500,
            },  # fmt: skip
            Usage(input_tokens=1200, output_tokens=300, cached_input_tokens=1000, reasoning_tokens=100),
        ),
        (  # Gemini Python SDK (snake case), inside a whole response
            {
                "usage_metadata": {
                    "prompt_token_count": 10,
                    "candidates_token_count": 5,
                    "tool_use_prompt_token_count": 2,
                }
            },
            Usage(input_tokens=12, output_tokens=5),
        ),
    ],
)
def test_usage_shapes(usage: dict[str, Any], expected: Usage) -> None:
    assert usage_from_provider(usage) == expected


def test_usage_sdk_objects_and_errors() -> None:
    class Pydantic:  # what the OpenAI / Anthropic SDKs return
        def model_dump(self) -> dict[str, Any]:
            return {"input_tokens": 5, "output_tokens": 7}

    assert usage_from_provider(Pydantic()) == Usage(input_tokens=5, output_tokens=7)
    with pytest.raises(InputError, match="not an OpenAI, Anthropic or Gemini usage"):
        usage_from_provider({"tokens": 3})
    with pytest.raises(InputError, match="negative"):
        usage_from_provider({"prompt_tokens": -1, "completion_tokens": 1})


def test_record_prices_actual_usage_and_only_once(ledger: Ledger, catalog: Any) -> None:
    guard = BudgetGuard(seed_policy(), ledger, catalog=catalog, clock=Clock())
    d = guard.check(GuardRequest(model="claude-sonnet-4-5", max_tokens=200, input_tokens=2000, user="1"))
    assert d.decision == "allow"
    usage = {"input_tokens": 100, "output_tokens": 150, "cache_read_input_tokens": 1900}
    recorded = guard.record(d, usage)
    normalised = Usage(input_tokens=2000, output_tokens=150, cached_input_tokens=1900)
    assert (
        recorded.actual_usd
        == price_usage(catalog.get("claude-sonnet-4-5"), normalised, on=NOW.date()).total_usd
    )
    assert recorded.actual_usd < recorded.reserved_usd and not recorded.late
    with pytest.raises(InputError, match="only once"):
        guard.record(d, usage)
    row = ledger.row(d.request_id)
    assert row is not None and row["state"] == "settled" and Decimal(row["actual_usd"]) == recorded.actual_usd


@pytest.mark.parametrize("on_expiry", ["charge", "release"])
def test_expiry_then_late_record(ledger: Ledger, catalog: Any, on_expiry: str) -> None:
    clock = Clock()
    guard = BudgetGuard(
        seed_policy(reservation_ttl_seconds=60, on_expiry=on_expiry), ledger, catalog=catalog, clock=clock
    )
    d = guard.check(GuardRequest(model="gpt-4.1-mini", max_tokens=1000, input_tokens=1000, user="9"))
    clock.at = NOW + dt.timedelta(seconds=61)
    assert guard.expire() == 1
    user = next(b for b in ledger.buckets() if b.cap == "user-daily")
    assert user.reserved_pusd == 0
    assert user.spent_pusd == (2_000_000_000 if on_expiry == "charge" else 0)  # $0.002 worst case
    late = guard.record(d, {"prompt_tokens": 1000, "completion_tokens": 10})
    assert late.late
    user = next(b for b in ledger.buckets() if b.cap == "user-daily")
    assert user.spent_pusd == 416_000_000  # the actual cost replaces the charge: $0.0004 + $0.000016


def test_policy_file_loads_and_errors_name_file_and_line(tmp_path: Path) -> None:
    policy = load_policy(EXAMPLE_POLICY)
    assert [c.name for c in policy.caps] == ["user-daily", "global-monthly"]
    assert policy.per_request.fallback_model == "gpt-4.1-mini" and policy.reservation_ttl_seconds == 600
    bad = tmp_path / "bad.yaml"
    cases = {
        "caps:\n  - name: a\n    key: user\n    period: day\n    hard_usd: lots\n": (5, "expected a number"),
        "caps:\n  - name: a\n    key: usr\n    period: day\n    hard_usd: 1\n": (3, "did you mean 'user'"),
        "caps:\n  - name: a\n    key: user\n    period: week\n    hard_usd: 1\n": (4, "period"),
        "per_request:\n  max_cost: 1\n": (2, "unknown field"),
        "caps: []\nreservation:\n  on_expiry: keep\n": (3, "on_expiry"),
        "limits: 1\n": (1, "unknown field"),
        "caps:\n  - name: a\n    key: user\n    period: day\n": (2, "needs hard_usd or soft_usd"),
        "caps:\n  - [oops\n": (3, "malformed budget policy"),  # where the parser gives up
    }
    for text, (line, needle) in cases.items():
        bad.write_text(text)
        with pytest.raises(InputError) as info:
            load_policy(bad)
        assert info.value.where == f"{bad}:{line}", (text, info.value.line())
        assert needle in info.value.message, (text, info.value.line())


def test_cli_check_exit_codes_and_status(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.sqlite")
    base = [
        "budget",
        "check",
        "--policy",
        str(EXAMPLE_POLICY),
        "--ledger",
        ledger,
        "--user",
        "42",
        "-f",
        "json",
    ]
    ok = invoke(*base, "--model", "gpt-4.1", "--max-tokens", "800", "--text", PROMPT)
    assert ok.exit_code == 0 and ok.json()["decision"] == "allow"
    down = invoke(*base, "--model", "gpt-4.1", "--max-tokens", "4000", "--text", PROMPT)
    assert down.exit_code == 0 and down.json()["model_used"] == "gpt-4.1-mini"
    blocked = invoke(*base, "--model", "o1", "--max-tokens", "40000", "--text", PROMPT)
    assert blocked.exit_code == 1 and blocked.json()["decision"] == "reject"
    assert "exceeds the budget" in blocked.stderr
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps({"usage": {"prompt_tokens": 18, "completion_tokens": 100}}))
    rec = invoke("budget", "record", ok.json()["request_id"], "--usage", str(usage), "--policy", str(EXAMPLE_POLICY),
                 "--ledger", ledger, "-f", "json")  # fmt: skip
    assert rec.exit_code == 0, rec.stderr
    assert Decimal(rec.json()["actual_usd"]) == Decimal("0.000836")  # 18 x $2 + 100 x $8 per Mtok
    again = invoke("budget", "record", ok.json()["request_id"], "--usage", str(usage), "--policy",
                   str(EXAMPLE_POLICY), "--ledger", ledger)  # fmt: skip
    assert again.exit_code == 2 and "only once" in again.stderr and "Traceback" not in again.stderr
    for fmt in ("table", "json", "csv", "markdown"):
        status = invoke("budget", "status", "--ledger", ledger, "--policy", str(EXAMPLE_POLICY), "-f", fmt)
        assert status.exit_code == 0, status.stderr
        assert "user-daily" in status.stdout
    data = invoke("budget", "status", "--ledger", ledger, "-f", "json").json()
    user = next(c for c in data["caps"] if c["cap"] == "user-daily")
    assert Decimal(user["spent_usd"]) == Decimal("0.000836") and Decimal(user["reserved_usd"]) > 0
    assert data["accuracy"][0]["model"] == "gpt-4.1" and data["requests_this_month"]["rejected"] == 1
    recent = invoke("budget", "status", "--ledger", ledger, "--requests", "5", "-f", "json").json()[
        "recent_requests"
    ]
    assert [r["request_id"] for r in recent] == [ok.json()["request_id"]]  # the one settled request
    assert Decimal(recent[0]["reserved_usd"]) == Decimal(ok.json()["reserved_usd"])
    assert Decimal(recent[0]["actual_usd"]) == Decimal("0.000836") and recent[0]["key"] == "42 / - / -"
    missing = invoke("budget", "status", "--ledger", str(tmp_path / "none.sqlite"))
    assert missing.exit_code == 2 and "no budget ledger" in missing.stderr
    bad_model = invoke(*base, "--model", "gpt-4.2", "--max-tokens", "10", "--text", "x")
    assert bad_model.exit_code == 2 and "did you mean" in bad_model.stderr


def test_example_gateway_plays_the_readme_scenarios(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "gateway.py"), "--ledger", str(tmp_path / "gw.sqlite")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    verbs = [line.split()[0] for line in res.stdout.splitlines()[:-1]]
    assert verbs[:3] == ["allowed", "downgraded", "blocked"]
    user_42 = verbs[3:]
    assert user_42[0] == "allowed" and "downgraded" in user_42 and user_42[-1] == "blocked"
    assert "cap user-daily (user=42" in res.stdout.splitlines()[-2]
    status = invoke("budget", "status", "--ledger", str(tmp_path / "gw.sqlite"), "-f", "json")
    assert status.exit_code == 0 and status.json()["requests_this_month"]["settled"] == len(verbs) - 2


def test_random_sequences_keep_every_counter_equal_to_its_rows(ledger: Ledger, catalog: Any) -> None:
    """Checks, records (on time, late, twice), expiries and clock jumps across day and month ends, in a random
    order: after every step each bucket equals what its rows add up to, and no hard limit is crossed."""
    import random

    rng = random.Random(18)
    clock = Clock(dt.datetime(2026, 3, 31, 23, 50, tzinfo=dt.timezone.utc))
    policy = GuardPolicy(
        per_request=BudgetPolicy(max_cost_usd=Decimal("0.004"), fallback_model="gpt-4.1-nano"),
        caps=(
            Cap("user-daily", "user", "day", hard_usd=Decimal("0.01")),
            Cap("team-monthly", "team", "month", hard_usd=Decimal("0.03"), soft_usd=Decimal("0.02")),
            Cap("global-monthly", "global", "month", hard_usd=Decimal("0.05")),
        ),
        reservation_ttl_seconds=120,
        on_expiry=rng.choice(["charge", "release"]),
    )
    guard = BudgetGuard(policy, ledger, catalog=catalog, clock=clock)
    open_decisions: list[Any] = []
    for _ in range(150):
        step = rng.random()
        if step < 0.55:
            d = guard.check(
                GuardRequest(
                    model=rng.choice(["gpt-4.1-mini", "gpt-4.1"]),
                    max_tokens=rng.randint(10, 2500),
                    input_tokens=rng.randint(0, 3000),
                    user=rng.choice(["a", "b", None]),
                    team=rng.choice(["x", "y"]),
                )  # fmt: skip
            )
            if d.allowed:
                open_decisions.append(d)
        elif step < 0.85 and open_decisions:
            d = open_decisions.pop(rng.randrange(len(open_decisions)))
            out = rng.randint(0, d.candidates[-1].output_tokens)
            guard.record(d, {"prompt_tokens": d.candidates[-1].input_tokens, "completion_tokens": out})
            with pytest.raises(InputError):
                guard.record(d, {"prompt_tokens": 1, "completion_tokens": 1})
        else:
            clock.at += dt.timedelta(seconds=rng.choice([30, 90, 200, 3600]))
            guard.expire()
        check_accounting(ledger)
    assert clock.at.month == 4  # the run crossed a day and a month end


def test_a_repeated_request_id_is_one_error_line(ledger: Ledger, catalog: Any) -> None:
    guard = BudgetGuard(seed_policy(), ledger, catalog=catalog, clock=Clock())
    request = GuardRequest(model="gpt-4.1-mini", max_tokens=10, input_tokens=10, user="1", request_id="req-1")
    assert guard.check(request).allowed
    with pytest.raises(InputError, match="in the ledger already"):
        guard.check(request)


@needs_real_logs
def test_record_reads_real_provider_usage_objects() -> None:
    """Usage objects as providers really send them (Claude Code's Anthropic messages, a Groq/OpenAI batch)."""
    seen = {"anthropic": 0, "openai": 0}
    for path in sorted((REAL_LOGS / "claude-code").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            usage = (
                (record.get("message") or {}).get("usage")
                if isinstance(record.get("message"), dict)
                else None
            )
            if not isinstance(usage, dict):
                continue
            got = usage_from_provider(usage)
            expected_input = (
                usage["input_tokens"]
                + usage.get("cache_read_input_tokens", 0)
                + usage.get("cache_creation_input_tokens", 0)
            )
            assert (got.input_tokens, got.output_tokens) == (expected_input, usage["output_tokens"])
            assert got.cached_input_tokens == usage.get("cache_read_input_tokens", 0)
            seen["anthropic"] += 1
    for line in (
        (REAL_LOGS / "openai-batch" / "groq_batch_output.jsonl").read_text(encoding="utf-8").splitlines()
    ):
        body = json.loads(line)["response"]["body"]
        got = usage_from_provider(body)  # the whole response: its usage is found inside
        assert (got.input_tokens, got.output_tokens) == (
            body["usage"]["prompt_tokens"],
            body["usage"]["completion_tokens"],
        )
        seen["openai"] += 1
    assert seen["anthropic"] > 10 and seen["openai"] > 1, seen
