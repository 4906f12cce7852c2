"""The `costctl` entry point: registers the commands; each lives in its own thin module."""

from __future__ import annotations

from typing import Annotated

import typer

from costctl import __version__
from costctl.errors import EXIT_CODES_HELP

app = typer.Typer(
    name="costctl",
    help="What your LLM API usage will cost, did cost, and why — offline and exact.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"costctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """costctl: LLM API cost estimation, attribution, audit and break-even."""


def _register() -> None:
    from costctl.cli import attribute, audit, breakeven, estimate, pricing, report

    app.command("estimate", help=estimate.estimate.__doc__)(estimate.estimate)
    app.add_typer(pricing.app, name="pricing")
    app.add_typer(audit.app, name="audit")
    app.add_typer(attribute.app, name="attribute")
    app.add_typer(breakeven.app, name="breakeven")
    app.command("report", help=report.report.__doc__)(report.report)


_register()


def main() -> None:
    app()
