"""Docs that cannot drift: every command and subcommand is in the README, and so are the set-up commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from costctl.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths() -> list[str]:
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(cmd: Any, prefix: str) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(root, "")
    return paths


def test_every_command_is_documented_in_the_readme():
    missing = [p for p in command_paths() if f"costctl {p}" not in README]
    assert not missing, f"README does not show: {missing}"


def test_every_command_has_help_with_an_example():
    root = typer.main.get_command(app)
    for path in command_paths():
        cmd: Any = root
        for part in path.split():
            cmd = cmd.commands[part]
        assert cmd.help and "costctl" in cmd.help, f"`costctl {path}` --help has no example"


def test_readme_shows_setup_and_exit_codes():
    for needle in ("make demo", "make test", "make lint", "make bench", "| 130 |"):
        assert needle in README
