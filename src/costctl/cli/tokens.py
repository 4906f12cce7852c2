"""`costctl tokens ...`: install and inspect the tiktoken encodings behind exact token counts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.report import Format

app = typer.Typer(
    help="Count tokens of a raw text; install and inspect the tiktoken encodings behind exact counts.",
    no_args_is_help=True,
)

EncodingOpt = Annotated[
    list[str] | None,
    typer.Option("--encoding", "-e", help="Only this encoding (repeatable). Default: all that costctl uses."),
]


def _names(encodings: list[str] | None) -> list[str]:
    from costctl.tokens.counting import BPE_URLS

    return list(encodings) if encodings else sorted(BPE_URLS)


@app.command("fetch")
@handle_errors
def fetch(
    encodings: EncodingOpt = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Copy from this folder (tiktoken cache names or <encoding>.tiktoken) instead of downloading.",
        ),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option("--mirror", help="Download <encoding>.tiktoken from this base URL instead of OpenAI's."),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Where to write. Default: TIKTOKEN_CACHE_DIR when set, else ~/.cache/costctl/tiktoken.",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Network timeout in seconds.")] = 30.0,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Download (or copy) the BPE files once, checked against tiktoken's sha256 pins.

    costctl never goes to the network by itself; this is the one step that does.

    Example: costctl tokens fetch --from /mnt/share/tiktoken-cache
    """
    from costctl.tokens.fetch import default_destination
    from costctl.tokens.fetch import fetch as run_fetch

    report = run_fetch(
        _names(encodings), dest=dest or default_destination(), source=source, mirror=mirror, timeout=timeout
    )
    emit(report, fmt, output)


@app.command("status")
@handle_errors
def status(encodings: EncodingOpt = None, fmt: FormatOpt = Format.TABLE, output: OutputOpt = None) -> None:
    """Show where each encoding is loaded from, or that it is missing (token counts then approximate).

    Example: costctl tokens status --format json
    """
    from costctl.tokens.fetch import status as run_status

    emit(run_status(_names(encodings)), fmt, output)


@app.command("count")
@handle_errors
def count(
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="Count with this model's tokenizer; repeat or comma-separate."),
    ] = None,
    encodings: Annotated[
        list[str] | None,
        typer.Option("--encoding", "-e", help="Count with this encoding (o200k_base, cl100k_base, ...)."),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", "-t", help="The text to count.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="File holding the text.")] = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Count the tokens of a raw text (no chat framing): what an embeddings request bills.

    Examples:

      costctl tokens count -m text-embedding-3-small --text "tiktoken is great!"

      costctl tokens count --encoding o200k_base --file prompt.txt
    """
    import sys

    from costctl.cli.options import split_models
    from costctl.commands.tokens import count_report
    from costctl.errors import InputError
    from costctl.inputs import read_text

    if text is not None and file is not None:
        raise InputError("give the text with --text or --file, not both")
    if text is None and file is not None:
        text = read_text(file, "--file: file")
    if text is None:
        if sys.stdin.isatty():
            raise InputError("nothing to count: give --text, --file, or pipe the text on stdin")
        text = sys.stdin.read()
    models = split_models(model)
    cat = catalog(pricing, pricing_overlay) if models else None
    emit(count_report(text, catalog=cat, models=models, encodings=split_models(encodings)), fmt, output)
