"""The progress bar of a long ingest, on stderr (stdout stays data)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PROGRESS_MIN_BYTES = 20_000_000


class Progress:
    """A rich progress bar on stderr over the files' bytes, advancing within each file as DuckDB (or the vendor
    reader) gets through it. Shown for large inputs on a terminal, or always with `--progress`."""

    def __init__(self, paths: list[Path], *, force: bool | None = None) -> None:
        self.sizes = [p.stat().st_size if p.is_file() else 0 for p in paths]
        self.index = 0
        self.bar: Any = None
        show = force if force is not None else sum(self.sizes) >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True, force_terminal=bool(force) or None),
                transient=True,
            )
            self.task = self.bar.add_task("ingest", total=max(sum(self.sizes), 1))
            self.bar.start()

    def start(self, path: Path, index: int) -> None:
        self.index = index
        if self.bar is not None:
            self.bar.update(self.task, description=f"reading {path.name}", completed=sum(self.sizes[:index]))

    def within(self, fraction: float) -> None:
        if self.bar is not None:
            done = sum(self.sizes[: self.index]) + int(fraction * self.sizes[self.index])
            self.bar.update(self.task, completed=done)

    def done(self, stats: Any) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=sum(self.sizes[: self.index + 1]))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
