"""`costctl estimate`: thin argv layer; the work is in costctl.commands.estimate."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.errors import InputError
from costctl.report import Format

if TYPE_CHECKING:
    import datetime as dt

    from costctl.commands.workload import Workload
    from costctl.pricing.catalog import Catalog


def _read_text_file(path: Path, flag: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{flag}: file not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise InputError(f"{flag}: file is not UTF-8 text", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"{flag}: cannot read file ({exc.strerror})", where=str(path)) from None


def _decimal(value: str | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip().lstrip("$").replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise InputError(f"{flag}: expected an amount like 1500 or 0.01, got {value!r}") from None
    if not number.is_finite() or number < 0:
        raise InputError(f"{flag}: expected a non-negative amount, got {value!r}")
    return number


def _nonneg(value: int | None, flag: str) -> int | None:
    if value is not None and value < 0:
        raise InputError(f"{flag}: must not be negative, got {value}")
    return value


@handle_errors
def estimate(
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Model id or alias; repeat or comma-separate to compare."),
    ] = None,
    input_tokens: Annotated[int | None, typer.Option(help="Prompt tokens, cached ones included.")] = None,
    output_tokens: Annotated[int | None, typer.Option(help="Output tokens, reasoning included.")] = None,
    cached_input_tokens: Annotated[
        int, typer.Option(help="Part of the input read from the prompt cache.")
    ] = 0,
    cache_write_tokens: Annotated[
        int, typer.Option(help="Part of the input written to the cache (5-minute).")
    ] = 0,
    cache_write_1h_tokens: Annotated[
        int, typer.Option(help="Part of the input written to the 1-hour cache.")
    ] = 0,
    reasoning_tokens: Annotated[int, typer.Option(help="Part of the output spent on reasoning.")] = 0,
    batch: Annotated[bool, typer.Option("--batch", help="Price at the batch API rates.")] = False,
    at: Annotated[
        str | None, typer.Option("--at", help="Price in force on this date (YYYY-MM-DD); default today.")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="Prompt text to count and price.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="File holding the prompt text.")] = None,
    system: Annotated[Path | None, typer.Option("--system", help="File holding a system prompt.")] = None,
    request: Annotated[
        Path | None,
        typer.Option("--request", help="OpenAI chat-completions request body (JSON) to count and price."),
    ] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Output cap of the request (worst-case output tokens).")
    ] = None,
    workload: Annotated[
        Path | None, typer.Option("--workload", "-w", help="Workload YAML to project per month.")
    ] = None,
    months: Annotated[
        int | None, typer.Option("--months", help="Project N months of growth, month by month.")
    ] = None,
    compare: Annotated[
        list[str] | None,
        typer.Option("--compare", help="Reprice the whole workload on these models (repeatable)."),
    ] = None,
    what_if: Annotated[
        bool, typer.Option("--what-if", help="Rank the saving levers for the workload.")
    ] = False,
    cap_output: Annotated[
        int | None, typer.Option("--cap-output", help="What-if: cap output at N tokens.")
    ] = None,
    route_to: Annotated[
        str | None, typer.Option("--route-to", help="What-if: route a share to this model.")
    ] = None,
    route_share: Annotated[
        str | None, typer.Option("--route-share", help="What-if: share routed (0..1).")
    ] = None,
    cache_hit_rate: Annotated[
        str | None, typer.Option("--cache-hit-rate", help="What-if: cache hit rate (0..1).")
    ] = None,
    batch_share: Annotated[
        str | None, typer.Option("--batch-share", help="What-if: batch share (0..1).")
    ] = None,
    compress_pct: Annotated[
        str | None, typer.Option("--compress-pct", help="What-if: system prompt cut, percent.")
    ] = None,
    budget: Annotated[
        str | None, typer.Option("--budget", help="Request budget: max worst-case cost in USD.")
    ] = None,
    fallback: Annotated[
        str | None, typer.Option("--fallback", help="Request budget: cheaper model to fall back to.")
    ] = None,
    max_input_tokens: Annotated[int | None, typer.Option(help="Request budget: max input tokens.")] = None,
    max_output_tokens: Annotated[int | None, typer.Option(help="Request budget: max output tokens.")] = None,
    max_total_tokens: Annotated[
        int | None, typer.Option(help="Request budget: max input + output tokens.")
    ] = None,
    limits: Annotated[
        bool, typer.Option("--limits", help="Recommend spend limits (workload or --mau ...).")
    ] = False,
    mau: Annotated[int | None, typer.Option("--mau", help="Limits: monthly active users.")] = None,
    queries_per_user_per_day: Annotated[
        str | None, typer.Option(help="Limits: queries per user per day.")
    ] = None,
    cost_per_query: Annotated[str | None, typer.Option(help="Limits: cost of one query in USD.")] = None,
    max_monthly: Annotated[
        str | None, typer.Option("--max-monthly", help="Gate: fail above this monthly USD.")
    ] = None,
    max_increase: Annotated[
        str | None, typer.Option("--max-increase", help="Gate: fail above this USD increase.")
    ] = None,
    max_increase_pct: Annotated[
        str | None, typer.Option("--max-increase-pct", help="Gate: fail above this % increase.")
    ] = None,
    warn_monthly: Annotated[
        str | None, typer.Option("--warn-monthly", help="Gate: warn above this monthly USD.")
    ] = None,
    warn_increase: Annotated[
        str | None, typer.Option("--warn-increase", help="Gate: warn above this USD increase.")
    ] = None,
    warn_increase_pct: Annotated[
        str | None, typer.Option("--warn-increase-pct", help="Gate: warn above this % increase.")
    ] = None,
    min_increase_usd: Annotated[
        str | None, typer.Option("--min-increase-usd", help="Gate: noise floor for % rules, in USD.")
    ] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Gate: JSON of a previous run.")] = None,
    baseline_ref: Annotated[
        str | None, typer.Option("--baseline-ref", help="Gate: git ref whose workload file is re-estimated.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Gate: write JUnit XML to FILE.")] = None,
    gate_flag: Annotated[
        bool,
        typer.Option(
            "--gate", help="Gate: evaluate the workload's `gate:` rules (implied by any gate flag)."
        ),
    ] = False,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Price a prompt, a request, or a whole workload before sending it; gate CI on projected spend.

    Examples:

      costctl estimate --model gpt-4o-mini --input-tokens 1200 --output-tokens 300

      costctl estimate --text "Explain vector databases." -m gpt-4.1-mini,claude-haiku-4-5 --output-tokens 200

      costctl estimate --request body.json --format json

      costctl estimate --workload workload.yaml --months 12 --compare gpt-4.1-mini

      costctl estimate --workload workload.yaml --what-if --route-to gpt-4o-mini

      costctl estimate --text "Explain transformers architecture." -m gpt-4.1 --max-tokens 500
      --budget 0.001 --fallback gpt-4.1-mini

      costctl estimate --limits --mau 20000 --queries-per-user-per-day 5 --cost-per-query 0.002

      costctl estimate --workload workload.yaml --max-monthly 5000 --baseline base.json --max-increase-pct 10

    A month is 30 days unless the workload sets days_per_month. Request budget: exit 0 allow or fallback,
    1 reject. Gate: exit 0 pass, 1 a fail threshold breached, 2 usage or config error, 3 incomplete
    (a needed price is unpublished and no absolute threshold is already breached).
    """
    from costctl.cli.options import parse_day, split_models

    day = parse_day(at)
    models = split_models(model)
    for flag, value in (
        ("--max-tokens", max_tokens),
        ("--cap-output", cap_output),
        ("--months", months),
        ("--mau", mau),
    ):
        _nonneg(value, flag)
    cat = catalog(pricing, pricing_overlay)
    if workload is not None:
        _workload_mode(cat, workload, day, fmt, output, locals())
        return
    if limits:
        _limits_mode(mau, queries_per_user_per_day, cost_per_query, fmt, output)
        return
    if (
        budget is not None
        or fallback is not None
        or any(v is not None for v in (max_input_tokens, max_output_tokens, max_total_tokens))
    ):
        _budget_mode(cat, models, text, file, system, max_tokens if max_tokens is not None else output_tokens,
                     budget, fallback, max_input_tokens, max_output_tokens, max_total_tokens, day, fmt, output)  # fmt: skip
        return
    from costctl.commands import estimate as cmd
    from costctl.models import Usage

    out_tokens = max_tokens if max_tokens is not None else output_tokens
    if request is not None:
        body = _read_json(request, "--request")
        report = cmd.estimate_request(
            cat, body, on=day, model_names=models, output_tokens=out_tokens, where=str(request), batch=batch
        )
        emit(report, fmt, output)
        return
    if not models:
        raise InputError("--model is required (e.g. --model gpt-4o-mini); see `costctl pricing list`")
    prompt = _prompt(text, file, stdin_allowed=input_tokens is None)
    if prompt is not None:
        if input_tokens is not None:
            raise InputError("give either a prompt (--text/--file/stdin) or --input-tokens, not both")
        system_text = _read_text_file(system, "--system") if system is not None else None
        report = cmd.estimate_text(
            cat, models, prompt, output_tokens=out_tokens or 0, on=day, system=system_text, batch=batch
        )
    else:
        if input_tokens is None:
            raise InputError(
                "nothing to price: give --input-tokens N, --text, --file, --request, --workload, or stdin"
            )
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=out_tokens or 0,
            cached_input_tokens=cached_input_tokens,
            cache_write_5m_tokens=cache_write_tokens,
            cache_write_1h_tokens=cache_write_1h_tokens,
            reasoning_tokens=reasoning_tokens,
        )
        report = cmd.estimate_usage(cat, models, usage, on=day, batch=batch)
    emit(report, fmt, output)


def _prompt(text: str | None, file: Path | None, *, stdin_allowed: bool) -> str | None:
    if text is not None and file is not None:
        raise InputError("give the prompt with --text or --file, not both")
    if text is not None:
        return text
    if file is not None:
        return _read_text_file(file, "--file")
    if stdin_allowed and not sys.stdin.isatty():
        data = sys.stdin.read()
        return data if data else None
    return None


def _read_json(path: Path, flag: str) -> object:
    import json

    raw = _read_text_file(path, flag)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{flag}: not valid JSON (line {exc.lineno}: {exc.msg})", where=str(path)) from None


def _budget_mode(
    cat: Catalog, models: list[str], text: str | None, file: Path | None, system: Path | None,
    max_tokens: int | None, budget: str | None, fallback: str | None, max_input: int | None,
    max_output: int | None, max_total: int | None, day: dt.date, fmt: Format, output: Path | None,
) -> None:  # fmt: skip
    from costctl.commands.budget import BudgetPolicy, budget_report, check_request_budget

    if len(models) != 1:
        raise InputError("a request budget checks one --model (the fallback goes in --fallback)")
    if max_tokens is None:
        raise InputError("a request budget needs --max-tokens N (the worst-case output)")
    prompt = _prompt(text, file, stdin_allowed=True)
    if prompt is None:
        raise InputError("a request budget needs the prompt: --text, --file or stdin")
    policy = BudgetPolicy(
        max_cost_usd=_decimal(budget, "--budget"),
        max_input_tokens=_nonneg(max_input, "--max-input-tokens"),
        max_output_tokens=_nonneg(max_output, "--max-output-tokens"),
        max_total_tokens=_nonneg(max_total, "--max-total-tokens"),
        fallback_model=fallback,
    )
    system_text = _read_text_file(system, "--system") if system is not None else None
    decision = check_request_budget(
        prompt, model=models[0], max_tokens=max_tokens, policy=policy, catalog=cat,
        on=day, system=system_text,
    )  # fmt: skip
    emit(budget_report(decision, policy, on=day), fmt, output)
    if not decision.allowed:
        raise typer.Exit(1)


def _limits_mode(mau: int | None, qpd: str | None, cpq: str | None, fmt: Format, output: Path | None) -> None:
    from costctl.commands.limits import spend_limits, top_down_monthly

    per_day = _decimal(qpd, "--queries-per-user-per-day")
    per_query = _decimal(cpq, "--cost-per-query")
    if mau is None or per_day is None or per_query is None:
        raise InputError(
            "--limits needs --workload FILE, or --mau, --queries-per-user-per-day and --cost-per-query"
        )
    baseline = top_down_monthly(mau, per_day, per_query)
    emit(spend_limits(baseline, users=mau, source="MAU x queries/day x cost/query x 30"), fmt, output)


def _workload_mode(
    cat: Catalog, path: Path, day: dt.date, fmt: Format, output: Path | None, opts: dict[str, Any]
) -> None:
    from costctl.commands.workload import load_workload

    work = load_workload(path)
    gate_flags = {
        k: _decimal(opts[k], "--" + k.replace("_", "-"))
        for k in (
            "max_monthly",
            "max_increase",
            "max_increase_pct",
            "warn_monthly",
            "warn_increase",
            "warn_increase_pct",
        )
    }
    floor = _decimal(opts["min_increase_usd"], "--min-increase-usd")
    gating = (
        any(v is not None for v in gate_flags.values())
        or opts["baseline"] is not None
        or opts["baseline_ref"] is not None
        or opts["gate_flag"]
        or opts["junit"] is not None
    )
    if opts["what_if"]:
        from costctl.commands.whatif import Levers, what_if

        levers = Levers.from_mapping(work.what_if, work.source)
        overrides = {
            "cap_output_tokens": opts["cap_output"],
            "route_to": opts["route_to"],
        }
        for key, flag in (
            ("route_share", "--route-share"),
            ("cache_hit_rate", "--cache-hit-rate"),
            ("batch_share", "--batch-share"),
            ("compress_pct", "--compress-pct"),
        ):
            value = _decimal(opts[key], flag)
            limit = Decimal(100) if key == "compress_pct" else Decimal(1)
            if value is not None and value > limit:
                raise InputError(f"{flag}: must be between 0 and {limit}, got {opts[key]}")
            overrides[key] = value
        from dataclasses import replace

        levers = replace(levers, **{k: v for k, v in overrides.items() if v is not None})
        emit(what_if(cat, work, levers, on=day), fmt, output)
        return
    if opts["limits"]:
        from costctl.commands.limits import spend_limits
        from costctl.commands.workload import project_workload

        projection = project_workload(cat, work, on=day)
        emit(spend_limits(projection.monthly_cost_usd, users=work.users, source=str(path)), fmt, output)
        return
    if gating:
        code = _run_gate(cat, work, path, day, fmt, output, gate_flags, floor, opts)
        raise typer.Exit(code)
    from costctl.commands import estimate as cmd

    report = cmd.estimate_workload(
        cat,
        work,
        on=day,
        months=opts["months"],
        compare=split_models(opts["compare"]),
    )
    emit(report, fmt, output)


def split_models(values: list[str] | None) -> list[str]:
    from costctl.cli.options import split_models as split

    return split(values)


def _run_gate(
    cat: Catalog, work: Workload, path: Path, day: dt.date, fmt: Format, output: Path | None,
    gate_flags: dict[str, Any], floor: Decimal | None, opts: dict[str, Any],
) -> int:  # fmt: skip
    """Evaluate the gate, write every requested output, and return the exit code."""
    import os

    from costctl.cli.common import note, terminal_width, write_atomic
    from costctl.commands import gate
    from costctl.commands.estimate import workload_report
    from costctl.commands.workload import project_workload
    from costctl.render import render

    if opts["baseline"] is not None and opts["baseline_ref"] is not None:
        raise InputError("give --baseline FILE or --baseline-ref REF, not both")
    rules = gate.rules_from_config(work.gate, work.source) if work.gate else []
    if opts["baseline"] is None and opts["baseline_ref"] is None:
        for rule in [r for r in rules if r.metric != "monthly_cost"]:
            note(f"note: rule {rule.name!r} skipped: it needs --baseline FILE or --baseline-ref REF")
            rules.remove(rule)
    rules += gate.rules_from_flags(**gate_flags, min_increase_usd=floor or Decimal(0))
    base = None
    if opts["baseline"] is not None:
        base = gate.read_baseline(opts["baseline"])
    elif opts["baseline_ref"] is not None:
        old = gate.workload_at_ref(path, opts["baseline_ref"])
        if old is None:
            note(f"note: {path.name} does not exist at {opts['baseline_ref']}; baseline is $0")
            base = gate.Baseline(gate.Scoped(Decimal(0), True), {}, f"{opts['baseline_ref']} (no workload)")
        else:
            old_projection = project_workload(cat, old, on=day, strict=False)
            base = gate.baseline_from_projection(old_projection, f"{opts['baseline_ref']}:{path.name}")
    projection = project_workload(cat, work, on=day, strict=False)
    result = gate.evaluate(rules, projection, base)
    report = gate.gate_report(projection, workload_report(projection), result, base)
    text = render(report, fmt, terminal_width() if output is None else None)
    if fmt is Format.MARKDOWN:
        text = gate.comment_body(text)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        md = render(report, Format.MARKDOWN)
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(md + "\n")
        except OSError as exc:
            note(f"note: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror})")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout.flush()
        for line in gate.github_annotations(result, file=str(path)):
            print(line, file=sys.stderr)
    if opts["junit"] is not None:
        write_atomic(opts["junit"], gate.junit_xml(result))
        note(f"wrote {opts['junit']}")
    for line in report.notes:
        note(f"note: {line}")
    if output is not None:
        write_atomic(output, text)
        note(f"wrote {output}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    note(f"gate: {result.status} (exit {int(result.exit_code)})")
    return int(result.exit_code)
