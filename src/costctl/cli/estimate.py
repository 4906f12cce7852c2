"""`costctl estimate`: thin argv layer; the work is in costctl.commands.estimate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import FormatOpt, OutputOpt, OverlayOpt, PricingDirOpt, catalog, emit, handle_errors
from costctl.errors import InputError
from costctl.report import Format


def _read_text_file(path: Path, flag: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{flag}: file not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise InputError(f"{flag}: file is not UTF-8 text", where=str(path)) from None
    except OSError as exc:
        raise InputError(f"{flag}: cannot read file ({exc.strerror})", where=str(path)) from None


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
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Price a usage or a prompt before sending it.

    Examples:

      costctl estimate --model gpt-4o-mini --input-tokens 1200 --output-tokens 300

      costctl estimate --text "Explain vector databases." -m gpt-4.1-mini,claude-haiku-4-5 --output-tokens 200

      echo "hello" | costctl estimate -m gpt-4o --format json
    """
    from costctl.cli.options import parse_day, split_models
    from costctl.commands import estimate as cmd
    from costctl.models import Usage

    models = split_models(model)
    if not models:
        raise InputError("--model is required (e.g. --model gpt-4o-mini); see `costctl pricing list`")
    day = parse_day(at)
    cat = catalog(pricing, pricing_overlay)
    prompt: str | None = None
    if text is not None and file is not None:
        raise InputError("give the prompt with --text or --file, not both")
    if text is not None:
        prompt = text
    elif file is not None:
        prompt = _read_text_file(file, "--file")
    elif input_tokens is None and not sys.stdin.isatty():
        prompt = sys.stdin.read()
    if prompt is not None:
        if input_tokens is not None:
            raise InputError("give either a prompt (--text/--file/stdin) or --input-tokens, not both")
        system_text = _read_text_file(system, "--system") if system is not None else None
        report = cmd.estimate_text(
            cat, models, prompt, output_tokens=output_tokens or 0, on=day, system=system_text, batch=batch
        )
    else:
        if input_tokens is None:
            raise InputError("nothing to price: give --input-tokens N, --text, --file, or a prompt on stdin")
        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens or 0,
            cached_input_tokens=cached_input_tokens,
            cache_write_5m_tokens=cache_write_tokens,
            cache_write_1h_tokens=cache_write_1h_tokens,
            reasoning_tokens=reasoning_tokens,
        )
        report = cmd.estimate_usage(cat, models, usage, on=day, batch=batch)
    emit(report, fmt, output)
