"""costctl's own cache folder, shared by the catalog pickle, the decoded BPE ranks and `tokens fetch`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`COSTCTL_CACHE_DIR`, else `$XDG_CACHE_HOME/costctl`, else ~/.cache/costctl."""
    base = os.environ.get("COSTCTL_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "costctl"


def caching_disabled() -> bool:
    """`COSTCTL_NO_CACHE=1` turns the pickled caches off (never the BPE files `tokens fetch` installs)."""
    return os.environ.get("COSTCTL_NO_CACHE") == "1"
