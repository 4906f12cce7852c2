"""The `costctl` entry point: registers the commands; each lives in its own thin module.

Typer turns every registered function into a click command on each run, evaluating all their type hints
(~190 ms for the whole CLI). `main` therefore builds an app holding only the command the user typed, so
`costctl estimate ...` pays for `estimate` alone; `costctl --help` builds them all.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from costctl import __version__
from costctl.errors import EXIT_CODES_HELP

HELP = "What your LLM API usage will cost, did cost, and why — offline and exact.\n\n" + EXIT_CODES_HELP

# name -> (module, attribute, kind): "command" is a function, "group" a typer.Typer
COMMANDS: dict[str, tuple[str, str, str]] = {
    "estimate": ("costctl.cli.estimate", "estimate", "command"),
    "audit": ("costctl.cli.audit", "app", "group"),
    "attribute": ("costctl.cli.attribute", "app", "group"),
    "breakeven": ("costctl.cli.breakeven", "app", "group"),
    "report": ("costctl.cli.report", "report", "command"),
    "pricing": ("costctl.cli.pricing", "app", "group"),
    "tokens": ("costctl.cli.tokens", "app", "group"),
    "budget": ("costctl.cli.budget", "app", "group"),
}


def _version(value: bool) -> None:
    if value:
        print(f"costctl {__version__}")
        raise typer.Exit(0)


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """costctl: LLM API cost estimation, attribution, audit and break-even."""


def build_app(only: str | None = None) -> typer.Typer:
    """The CLI with every command, or with just `only` (same behaviour for that command, less start-up)."""
    from costctl.cli.guard import CostctlGroup

    root = typer.Typer(
        name="costctl",
        cls=CostctlGroup,
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    root.callback()(_root)
    for name, (module_name, attr, kind) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module_name), attr)
        if kind == "command":
            root.command(name, help=target.__doc__)(target)
        else:
            root.add_typer(target, name=name)
    return root


_FULL: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """`costctl.cli.app.app`: the full CLI, built on first use (tests and `--help`)."""
    global _FULL
    if name != "app":
        raise AttributeError(name)
    if _FULL is None:
        _FULL = build_app()
    return _FULL


def _first_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
        if arg in ("--help", "--version"):
            return None
    return None


def main() -> None:
    only = _first_command(sys.argv[1:])
    cli = build_app(only)
    cli(prog_name="costctl")
