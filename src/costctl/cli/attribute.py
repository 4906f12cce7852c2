"""`costctl attribute ...` (see its issue; subcommands are added as they land)."""

from __future__ import annotations

import typer

app = typer.Typer(help="attribute: not yet available in this build.", no_args_is_help=True)
