"""`costctl audit prompt|logs`: thin argv layer; the work is in costctl.commands.audit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import (
    TEXT_FORMATS,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    format_option,
    handle_errors,
    note,
)
from costctl.errors import InputError
from costctl.report import Format, Report
from costctl.values import parse_usd

app = typer.Typer(
    help="Price system-prompt bloat and output-length waste, finding by finding ($/month).",
    no_args_is_help=True,
)

AuditFormatOpt = Annotated[Format, format_option(*TEXT_FORMATS, Format.SARIF)]
FailOverOpt = Annotated[
    str | None,
    typer.Option("--fail-over", help="Exit 1 when the monthly waste found exceeds this many USD (CI gate)."),
]


def _share(value: float | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    if not 0 <= value <= 1:
        raise InputError(f"{flag}: expected a share between 0 and 1, got {value}")
    return Decimal(str(value))


def _deliver(report: Report, fmt: Format, output: Path | None, limit: Decimal | None) -> None:
    """Deliver the audit, then judge `--fail-over` (exit 1 over the limit, 3 undecidable)."""
    from costctl.commands.audit import judge_fail_over
    from costctl.render.values import format_usd

    judge_fail_over(report, limit)
    emit(report, fmt, output, exit_on_verdict=False)
    verdict = report.data.get("fail_over")
    if verdict and verdict["status"] == "fail":
        note(
            f"audit: monthly waste {format_usd(verdict['waste_usd'])} exceeds --fail-over {format_usd(verdict['limit_usd'])}"
        )
    elif verdict and verdict["status"] == "incomplete":
        note("audit: some requests could not be priced, so --fail-over cannot be decided")
    if report.exit_code:
        raise typer.Exit(report.exit_code)


@app.command("prompt")
@handle_errors
def prompt(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Prompt files (markdown or text), one prompt each.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model the prompt is sent to.")] = None,
    requests_per_day: Annotated[
        int | None, typer.Option("--requests-per-day", "-r", help="Requests a day that carry this prompt.")
    ] = None,
    days: Annotated[int, typer.Option("--days", help="Days in a month.")] = 30,
    workload: Annotated[
        Path | None, typer.Option("--workload", help="Workload YAML giving model and traffic per component.")
    ] = None,
    parallel: Annotated[
        int,
        typer.Option("--parallel", help="Requests that arrive together on a cold cache (each pays a write)."),
    ] = 1,
    cache_hit_rate: Annotated[
        float | None,
        typer.Option("--cache-hit-rate", help="Observed prompt-cache hit rate (0-1); default: estimated."),
    ] = None,
    extra_input_tokens: Annotated[
        int,
        typer.Option(
            "--extra-input-tokens", help="Per-request tokens sent after the prompt (for price steps)."
        ),
    ] = 0,
    at: Annotated[str | None, typer.Option("--at", help="Prices in force on this date (YYYY-MM-DD).")] = None,
    fmt: AuditFormatOpt = Format.TABLE,
    output: OutputOpt = None,
    fail_over: FailOverOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Audit system-prompt files: sections, duplicates, conflicts, bloat, cacheability, price steps, in $/month.

    Examples:

      costctl audit prompt examples/prompts/support-bot.md --model gpt-4o --requests-per-day 50000

      costctl audit prompt prompts/*.md -m claude-sonnet-4-5 -r 20000 --format sarif -o audit.sarif

      costctl audit prompt --workload workload.yaml --fail-over 100
    """
    from costctl.cli.options import parse_day
    from costctl.commands import audit as cmd

    limit = parse_usd(fail_over, "--fail-over") if fail_over is not None else None
    if parallel < 1:
        raise InputError(f"--parallel must be at least 1, got {parallel}")
    if extra_input_tokens < 0:
        raise InputError(f"--extra-input-tokens must not be negative, got {extra_input_tokens}")
    traffic = {
        "parallel": parallel,
        "cache_hit_rate": _share(cache_hit_rate, "--cache-hit-rate"),
        "extra_input_tokens": extra_input_tokens,
        "on": parse_day(at),
    }
    cat = catalog(pricing, pricing_overlay)
    if workload is not None:
        if files or model or requests_per_day is not None:
            raise InputError("give --workload, or prompt FILES with --model and --requests-per-day, not both")
        try:
            from costctl.commands.workload import load_workload  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise InputError(
                "--workload needs the workload loader (costctl.commands.workload), which this build does not "
                "include; use FILES --model M --requests-per-day N"
            ) from None
        inputs = cmd.prompt_inputs_from_workload(load_workload(workload), **traffic)
    else:
        if not files:
            raise InputError("give one or more prompt FILES (or --workload FILE)")
        if not model:
            raise InputError("--model is required (e.g. --model gpt-4o); see `costctl pricing list`")
        if requests_per_day is None:
            raise InputError("--requests-per-day is required (requests a day that carry this prompt)")
        cat.get(model, where="--model")
        inputs = cmd.prompt_inputs_from_files(files, model, requests_per_day, days, **traffic)
    report = cmd.audit_prompts(cat, inputs)
    _deliver(report, fmt, output, limit)


# The subcommand below lives in its own module; importing it registers it on `app`.
from costctl.cli import audit_logs  # noqa: E402, F401
