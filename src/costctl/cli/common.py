"""Options, output and error handling shared by every command.

stdout carries data only; notes and errors go to stderr (stdout is flushed first so pipes and terminals
agree). A `CostctlError` becomes one line `costctl: error: ...` and its exit code; any other exception is
a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from costctl.errors import CostctlError, ExitCode, InputError
from costctl.report import Format, Report

F = TypeVar("F", bound=Callable[..., Any])

try:  # typer >= 0.25 vendors click
    from typer._click.types import ParamType
except ImportError:  # pragma: no cover - older typer on the real click
    from click.types import ParamType  # type: ignore[no-redef, assignment, unused-ignore]  # which one errs depends on typer


class FormatChoice(ParamType):
    """`--format` offering exactly the formats a command renders: its help and its error list, no more."""

    name = "format"

    def __init__(self, formats: tuple[Format, ...]) -> None:
        self.formats = formats

    def get_metavar(self, *args: Any, **kwargs: Any) -> str:
        return "[" + "|".join(f.value for f in self.formats) + "]"

    def convert(self, value: Any, param: Any, ctx: Any) -> str:
        """The format's name; Typer turns it into the `Format` member the annotation asks for."""
        text = str(value.value if isinstance(value, Format) else value).strip().lower()
        for fmt in self.formats:
            if fmt.value == text:
                return fmt.value
        names = ", ".join(f.value for f in self.formats)
        self.fail(f"{value!r} is not one of {names}", param, ctx)


def format_option(*formats: Format) -> Any:
    names = ", ".join(f.value for f in formats)
    return typer.Option("--format", "-f", help=f"Output format: {names}.", click_type=FormatChoice(formats))


TEXT_FORMATS = (Format.TABLE, Format.JSON, Format.CSV, Format.MARKDOWN)
FormatOpt = Annotated[Format, format_option(*TEXT_FORMATS)]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the result to FILE (written only once the result exists)."),
]
PricingDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--pricing", help="Directory of price tables replacing the bundled ones [env: COSTCTL_PRICING]."
    ),
]
OverlayOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--pricing-overlay",
        help="YAML file overriding some models (e.g. negotiated discounts); repeatable "
        "[env: COSTCTL_PRICING_OVERLAY].",
    ),
]


def note(message: str) -> None:
    from costctl.render.text import inert

    sys.stdout.flush()
    print(f"costctl: {inert(message)}", file=sys.stderr)


def fail(error: CostctlError) -> NoReturn:
    from costctl.render.text import inert

    sys.stdout.flush()
    print(f"costctl: error: {inert(error.line())}", file=sys.stderr)
    raise typer.Exit(int(error.exit_code))


def handle_errors(func: F) -> F:
    """Turn user errors into one line and an exit code; Ctrl-C into 130."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CostctlError as exc:
            fail(exc)
        except KeyboardInterrupt:
            sys.stdout.flush()
            print("costctl: interrupted", file=sys.stderr)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return wrapper  # type: ignore[return-value]


def catalog(pricing: Path | None, overlays: list[Path] | None) -> Any:
    from costctl.pricing.catalog import load_catalog

    return load_catalog(pricing, overlays or ())


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file."""
    target = path.expanduser()
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write output: directory {str(directory)!r} does not exist", where=str(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", where=str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        # mkstemp creates 0600; a report is meant to be shared, so give it the user's usual file mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write output: {exc.strerror}", where=str(path)) from None


def terminal_width() -> int | None:
    """The width tables fit: `COLUMNS` when set, else the terminal's; None when stdout is not a terminal
    (a pipe or a file gets every column at full width)."""
    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def emit(
    report: Report,
    fmt: Format,
    output: Path | None = None,
    *,
    transform: Callable[[str], str] | None = None,
    exit_on_verdict: bool = True,
) -> None:
    """Render and deliver a report: notes to stderr, data to stdout or to `output`; then exit with the
    report's verdict (`report.exit_code`) when it is not 0."""
    from costctl.render import render

    text = render(report, fmt, terminal_width() if output is None else None)
    if transform is not None:
        text = transform(text)
    # deliver first: when writing `-o` fails, its error is then the only line on stderr
    if output is not None:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    for line in report.notes:
        note(f"note: {line}")
    if output is not None:
        note(f"wrote {output}")
    if exit_on_verdict and report.exit_code:
        raise typer.Exit(report.exit_code)
