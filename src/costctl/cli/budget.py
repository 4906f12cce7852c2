"""`costctl budget check|record|status`: thin argv layer over costctl.commands.guard (library: costctl.budget)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.report import Format

app = typer.Typer(
    help="Request budgets across requests: reserve the worst case before a call, record the actual cost after, "
    "caps per user / feature / team / key / tag per day or month, on a shared ledger.",
    no_args_is_help=True,
)

LedgerOpt = Annotated[
    str,
    typer.Option(
        "--ledger",
        help="The budget ledger: a SQLite file (created on first use) or a postgresql:// URL "
        "(needs psycopg: `pip install '.[postgres]'` in a checkout).",
    ),
]
PolicyOpt = Annotated[
    Path, typer.Option("--policy", help="Budget policy YAML (per_request, caps, reservation).")
]
DEFAULT_LEDGER = "costctl-budget.sqlite"


@app.command("check")
@handle_errors
def check(
    policy: PolicyOpt,
    model: Annotated[str, typer.Option("--model", "-m", help="The model the request asks for.")],
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", help="The request's output cap (its worst case).")
    ],
    ledger: LedgerOpt = DEFAULT_LEDGER,
    text: Annotated[str | None, typer.Option("--text", help="The prompt text.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the prompt from a file.")] = None,
    system: Annotated[str | None, typer.Option("--system", help="System prompt text.")] = None,
    input_tokens: Annotated[
        int | None, typer.Option("--input-tokens", help="Input tokens already counted (instead of a prompt).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="End user id (per-user caps).")] = None,
    feature: Annotated[
        str | None, typer.Option("--feature", help="Product feature (per-feature caps).")
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="Owning team (per-team caps).")] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="API key name or hash (per-key caps); never the secret.")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="KEY=VALUE for tag:KEY caps; repeatable.")
    ] = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Check one request against the policy and reserve its worst case in the ledger. Exit 0 when allowed
    (the model to call is `model_used`, the fallback on a downgrade), 1 when rejected.

    The reservation is real: settle it with `costctl budget record REQUEST_ID --usage FILE`, or it expires
    after the policy's reservation.ttl_seconds.

    Example:

      costctl budget check --policy budget.yaml --model gpt-4.1 --max-tokens 800 --user 42 --text "Summarise ..."
    """
    from costctl.budget.guard import GuardRequest
    from costctl.budget.ledger import open_ledger
    from costctl.budget.policy import load_policy
    from costctl.cli.estimate import _prompt
    from costctl.commands.guard import open_guard, parse_tags, run_check

    guard_policy = load_policy(policy)
    prompt = _prompt(text, file, stdin_allowed=input_tokens is None)
    request = GuardRequest(
        model=model,
        max_tokens=max_tokens,
        prompt=prompt,
        system=system,
        input_tokens=input_tokens,
        user=user,
        feature=feature,
        team=team,
        api_key=api_key,
        tags=parse_tags(tag),
    )
    with open_ledger(ledger) as store:
        report = run_check(open_guard(guard_policy, store, catalog(pricing, pricing_overlay)), request)
    emit(report, fmt, output)  # exit 1 on reject


@app.command("record")
@handle_errors
def record(
    request_id: Annotated[str, typer.Argument(help="The request_id `budget check` printed.")],
    usage: Annotated[
        Path, typer.Option("--usage", help="JSON file: the provider's usage object, or the whole response.")
    ],
    policy: PolicyOpt,
    ledger: LedgerOpt = DEFAULT_LEDGER,
    provider: Annotated[
        str | None, typer.Option("--provider", help="openai, anthropic or gemini (default: detected).")
    ] = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Replace a reservation with the actual cost of the call's usage (OpenAI, Anthropic or Gemini shape).

    Example:

      costctl budget record 3f2a... --usage response.json --policy budget.yaml
    """
    from costctl.budget.ledger import open_ledger
    from costctl.budget.policy import load_policy
    from costctl.cli.estimate_modes import read_json
    from costctl.commands.guard import open_guard, record_report

    guard_policy = load_policy(policy)
    raw = read_json(usage, "--usage")
    with open_ledger(ledger, create=False) as store:
        recorded = open_guard(guard_policy, store, catalog(pricing, pricing_overlay)).record(
            request_id, raw, provider=provider
        )
    emit(record_report(recorded), fmt, output)


@app.command("status")
@handle_errors
def status(
    ledger: LedgerOpt = DEFAULT_LEDGER,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Budget policy YAML (adds soft limits and unused caps).")
    ] = None,
    requests: Annotated[
        int,
        typer.Option(
            "--requests", min=0, help="Also list the N latest settled requests: estimate vs actual."
        ),
    ] = 0,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Each cap of the current day and month: hard limit, spent, reserved, remaining, used, projected spend at
    the period's end (linear), and the guard's accuracy (worst case reserved vs actual, per model).

    Example:

      costctl budget status --ledger costctl-budget.sqlite --policy budget.yaml --format json

      costctl budget status --requests 20      # the 20 latest settled requests, estimate vs actual
    """
    from costctl.budget.guard import utc_now
    from costctl.budget.ledger import open_ledger
    from costctl.budget.policy import load_policy
    from costctl.commands.guard import StatusRequest, status_report

    guard_policy = load_policy(policy) if policy is not None else None
    with open_ledger(ledger, create=False) as store:
        report = status_report(
            store, StatusRequest(policy=guard_policy, now=utc_now(), recent_requests=requests)
        )
    emit(report, fmt, output)
