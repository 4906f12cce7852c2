"""The error family and exit codes.

Only subclasses of `CostctlError` are user mistakes: the CLI turns them into one line on stderr and their
`exit_code`. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # a check ran and failed: budget, threshold, audit waste
    USAGE_ERROR = 2  # bad flag, bad file, unknown model
    INCOMPLETE = 3  # a price needed for the answer is not published, so the check cannot be decided
    INTERRUPTED = 130


EXIT_CODES_HELP = (
    "Exit codes: 0 ok · 1 a check failed (budget, threshold, audit) · 2 usage or input error · "
    "3 incomplete result (a needed price is unknown) · 130 interrupted."
)


class CostctlError(Exception):
    """A problem the user can fix; rendered as one line."""

    exit_code: ExitCode = ExitCode.USAGE_ERROR

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.line())

    def line(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(CostctlError):
    """Bad input file, flag value or field."""


class UnknownFormatError(InputError):
    """A log file that no reader recognises (neither canonical, nor a vendor format, nor common names)."""


class StoreWriteError(CostctlError):
    """The attribute database could not be written (disk full, file too large, permissions); the ingest
    was rolled back, so the database is as it was."""


class PricingError(InputError):
    """A price table that fails validation."""


class UnknownModelError(InputError):
    def __init__(self, model: str, known: Iterable[str], *, where: str | None = None) -> None:
        self.model = model
        suggestions = difflib.get_close_matches(model.lower(), list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(
            f"unknown model {model!r}{hint} (see `costctl pricing list`)",
            where=where,
        )
        self.suggestions = suggestions


class MissingPriceError(CostctlError):
    """The model is known but a price the usage needs is not published."""

    exit_code = ExitCode.INCOMPLETE


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
