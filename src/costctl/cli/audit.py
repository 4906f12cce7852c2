"""`costctl audit ...` (see its issue; subcommands are added as they land)."""

from __future__ import annotations

import typer

app = typer.Typer(help="audit: not yet available in this build.", no_args_is_help=True)
