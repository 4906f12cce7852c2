"""`costctl report`: the monthly HTML cost report (lands with its issue)."""

from __future__ import annotations

from costctl.cli.common import handle_errors
from costctl.errors import InputError


@handle_errors
def report() -> None:
    """Build the monthly cost report from the attribute database (not yet available in this build)."""
    raise InputError("`costctl report` is not available in this build yet")
