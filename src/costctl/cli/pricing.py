"""`costctl pricing ...`: inspect and validate the price tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.errors import ExitCode
from costctl.report import Format

app = typer.Typer(help="List, show, validate and check the price tables.", no_args_is_help=True)

AtOpt = Annotated[str | None, typer.Option("--at", help="Prices in force on this date (YYYY-MM-DD).")]


@app.command("list")
@handle_errors
def list_(
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Only prices from this source: costctl, genai-prices, litellm or overlay."),
    ] = None,
    at: AtOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """List every priced model with its current rates (USD per 1M tokens) and where each price comes from.

    Our hand-checked tables (source costctl) come first; the pinned tables generated from genai-prices and
    LiteLLM follow for every model we do not curate.

    Example: costctl pricing list --provider anthropic --format markdown
    """
    from costctl.cli.options import parse_day
    from costctl.commands.pricing import list_models

    cat = catalog(pricing, pricing_overlay)
    emit(list_models(cat, on=parse_day(at), provider=provider, source=source), fmt, output)


@app.command("show")
@handle_errors
def show(
    model: Annotated[str, typer.Argument(help="Model id or alias.")],
    at: AtOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Show one model: aliases, limits, every price period, source and checked date.

    Example: costctl pricing show gpt-4o-mini-2024-07-18
    """
    from costctl.cli.options import parse_day
    from costctl.commands.pricing import show_model

    emit(show_model(catalog(pricing, pricing_overlay), model, on=parse_day(at)), fmt, output)


@app.command("validate")
@handle_errors
def validate(
    directory: Annotated[
        Path | None, typer.Argument(help="Directory of price tables (default: bundled).")
    ] = None,
    pricing_overlay: OverlayOpt = None,
    fmt: FormatOpt = Format.TABLE,
) -> None:
    """Validate price tables: schema, numbers, periods, unique ids and aliases. Exit 2 on the first error.

    Example: costctl pricing validate ./my-prices
    """
    from costctl.commands.pricing import validate_tables
    from costctl.pricing.loader import default_pricing_dir

    root = directory or default_pricing_dir()
    emit(validate_tables(catalog(root, pricing_overlay), root), fmt)


@app.command("check")
@handle_errors
def check(
    against: Annotated[
        Path,
        typer.Option(
            "--against",
            help="LiteLLM model_prices_and_context_window.json, a genai-prices data.json or its package "
            "export ({providers: [...]}).",
        ),
    ],
    source: Annotated[
        str | None, typer.Option(help="Only differences of prices from this source (e.g. costctl).")
    ] = None,
    at: AtOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """List every price of ours that differs from a peer dataset and what explains it; exit 1 when a
    difference has no explanation (a curated model without a `verified` entry).

    Example: costctl pricing check --against model_prices_and_context_window.json
    """
    from costctl.cli.options import parse_day
    from costctl.commands.pricing import check_against

    report = check_against(catalog(pricing, pricing_overlay), against, on=parse_day(at), only_source=source)
    emit(report, fmt, output)
    if report.data["unexplained"]:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


@app.command("import")
@handle_errors
def import_(
    from_: Annotated[
        Path,
        typer.Option(
            "--from", help="LiteLLM model_prices_and_context_window.json or a genai-prices data file."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the overlay YAML here (default: stdout).")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="Only models of this provider.")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only these models (repeatable, comma list).")
    ] = None,
    pricing: PricingDirOpt = None,
) -> None:
    """Write an overlay table from LiteLLM's price map or a genai-prices data file: a private deployment's
    prices, or a newer price than the bundled one. Use it with --pricing-overlay FILE.

    Example: costctl pricing import --from model_prices_and_context_window.json -m gpt-4o -o newer.yaml
    """
    import datetime as dt
    import sys

    import yaml

    from costctl.cli.common import note, write_atomic
    from costctl.cli.options import split_models
    from costctl.commands.pricing import import_prices

    table, report = import_prices(
        catalog(pricing, None),
        from_,
        today=dt.datetime.now(dt.timezone.utc).date(),
        provider=provider,
        models=split_models(model) or None,
    )
    text = "# Written by costctl pricing import; use with --pricing-overlay.\n" + yaml.safe_dump(
        table, sort_keys=False, allow_unicode=True, width=110
    )
    for line in report.notes:
        note(f"note: {line}")
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
