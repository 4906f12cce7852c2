"""The CLI's outer guard: every way a run can end becomes one line on stderr and a documented exit code.

Commands turn their own `CostctlError`s into one line (cli/common.py `handle_errors`). What is left
reaches this root group:
- click's own usage errors (`--input-tokens 1.5`, `--top 0`, an unknown option), which click prints as a
  four-line usage block; here they are one line `costctl: error: ...` and exit 2;
- the environment failing under a correct command: a full disk, or a DuckDB database that another
  costctl process holds (its raw message names a PID and a lock). These say what happened in one line.
Anything else is a bug and keeps its traceback.

The root group also sets the Decimal context for the run (costctl/values.py) before any command runs.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

from costctl.errors import ExitCode

try:  # typer >= 0.25 vendors click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

_NO_ARGS = getattr(click_exceptions, "NoArgsIsHelpError", ())


def _say(message: str) -> None:
    from costctl.render.text import inert

    sys.stdout.flush()
    print(f"costctl: error: {inert(message)}", file=sys.stderr)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def environment_error(exc: BaseException) -> str | None:
    """One line for a failure of the machine rather than of costctl or the input, else None."""
    for link in _chain(exc):
        text = str(link)
        if isinstance(link, OSError) and link.errno == errno.ENOSPC:
            where = f"{link.filename}: " if link.filename else ""
            return f"{where}no space left on the device; nothing was half-written (free some space and rerun)"
        if type(link).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
            continue
        if "No space left on device" in text or "disk is full" in text.lower():
            return (
                "no space left on the device while writing the database; the last complete ingest is "
                "intact (free some space and rerun)"
            )
        if "Could not set lock on file" in text or "Conflicting lock is held" in text:
            match = re.search(r'lock on file "([^"]+)"', text)
            where = f"{match.group(1)}: " if match else ""
            return (
                f"{where}the database is in use by another costctl process (an ingest?); "
                "retry when it has finished"
            )
    return None


class CostctlGroup(TyperGroup):
    """The root command group: click usage errors and environment failures as one line each."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        from costctl.values import use_money_context

        use_money_context()
        code: int
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except _NO_ARGS as exc:
            exc.show()
            code = int(ExitCode.USAGE_ERROR)
        except click_exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx is not None else "costctl"
            _say(f"{exc.format_message()} (see '{command} --help')")
            code = int(ExitCode.USAGE_ERROR)
        except click_exceptions.ClickException as exc:
            _say(exc.format_message())
            code = exc.exit_code
        except typer.Abort:
            sys.stdout.flush()
            print("costctl: interrupted", file=sys.stderr)
            code = int(ExitCode.INTERRUPTED)
        except Exception as exc:
            message = environment_error(exc)
            if message is None:
                raise
            _say(message)
            code = int(ExitCode.USAGE_ERROR)
        if not standalone_mode:
            return code
        sys.exit(code)
