"""The validated price catalog: lookup by id or alias, did-you-mean for unknown names."""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from costctl import __version__
from costctl import models as models_module
from costctl.cache import cache_dir, caching_disabled
from costctl.errors import PricingError, UnknownModelError
from costctl.models import ModelPrice
from costctl.pricing import loader as loader_module
from costctl.pricing.loader import (
    ENV_OVERLAY,
    default_overlays,
    default_pricing_dir,
    load_models,
    table_files,
)

# Snapshot suffixes that name the same priced model: -2024-07-18, -20250514, @20240620, -v1:0 (Bedrock).
_DATE_SUFFIX = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|@latest|-v\d+:\d+|:\d+)$")


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelPrice, ...]
    _index: dict[str, ModelPrice]

    @classmethod
    def from_models(cls, models: Iterable[ModelPrice]) -> Catalog:
        index: dict[str, ModelPrice] = {}
        kept = tuple(models)
        for model in kept:
            for name in (model.id, *model.aliases):
                key = name.lower()
                other = index.get(key)
                if other is not None and other is not model:
                    raise PricingError(
                        f"name {name!r} of model {model.id!r} is already used by model {other.id!r} "
                        f"({other.source_file}); ids and aliases must be unique",
                        where=model.source_file,
                    )
                index[key] = model
        return cls(models=kept, _index=index)

    def __iter__(self) -> Iterator[ModelPrice]:
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)

    @property
    def names(self) -> list[str]:
        return sorted(self._index)

    def find(self, name: str) -> ModelPrice | None:
        """Exact id/alias (case-insensitive) first, then without a provider prefix, then without a
        snapshot suffix. Never substring matching: that is how `o1` in an agent id buys legacy prices."""
        candidates = [name.strip().lower()]
        if "/" in candidates[0]:
            candidates.append(candidates[0].rsplit("/", 1)[1])
        if candidates[-1].startswith(("us.", "eu.", "apac.", "global.")) and "anthropic." in candidates[-1]:
            candidates.append(candidates[-1].split(".", 1)[1])
        if candidates[-1].startswith("anthropic."):
            candidates.append(candidates[-1].removeprefix("anthropic."))
        for cand in list(candidates):
            stripped = _DATE_SUFFIX.sub("", cand)
            if stripped != cand:
                candidates.append(stripped)
        for cand in candidates:
            model = self._index.get(cand)
            if model is not None:
                return model
        return None

    def get(self, name: str, *, where: str | None = None) -> ModelPrice:
        model = self.find(name)
        if model is None:
            raise UnknownModelError(name, self.names, where=where)
        return model


def _cache_file(tables: list[Path], overlays: list[Path]) -> Path | None:
    """Where a parsed catalog for exactly these inputs is cached, or None if disabled.

    The key covers every input of the answer: costctl's version, the code that defines and parses what is
    pickled, and the bytes of every table and overlay in order (a hash of the content, not a size and a
    modification time, so an edit within the same clock tick still misses). Reading and hashing the YAML
    costs well under a millisecond; parsing it is what the cache saves."""
    if caching_disabled():
        return None
    digest = hashlib.sha256(f"{__version__}|{sys.version_info[:2]}".encode())
    code = [Path(models_module.__file__ or ""), Path(loader_module.__file__ or ""), Path(__file__)]
    for role, paths in (("code", code), ("table", tables), ("overlay", overlays)):
        for path in paths:
            digest.update(f"|{role}|{path.resolve()}|".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return cache_dir() / f"catalog-{digest.hexdigest()[:32]}.pickle"


def check_overlay_paths(paths: list[Path]) -> None:
    """Every overlay the user named must be a readable file, cache or no cache: a missing overlay would
    otherwise give list prices instead of the negotiated ones, silently."""
    for path in paths:
        where = str(path)
        try:
            if path.is_dir():
                raise PricingError("pricing overlay is a folder; expected a YAML file", where=where)
            if not path.exists():
                if path.is_symlink():
                    raise PricingError("pricing overlay is a broken symlink or a symlink loop", where=where)
                raise PricingError(
                    f"pricing overlay not found (from --pricing-overlay or ${ENV_OVERLAY})", where=where
                )
            with path.open("rb"):
                pass
        except OSError as exc:  # a symlink loop, no permission
            raise PricingError(f"cannot read pricing overlay ({exc.strerror or exc})", where=where) from None


def load_catalog(directory: Path | str | None = None, overlays: Iterable[Path | str] = ()) -> Catalog:
    """Load and validate the price tables (bundled, `$COSTCTL_PRICING`, or `directory`), then overlays.

    Parsing and validating the YAML costs ~100 ms, more than the rest of an estimate, so the validated
    catalog is cached (pickle, keyed by the exact files, sizes and mtimes, and the costctl version) under
    ~/.cache/costctl; any edit to a table invalidates it. The cache never changes an answer: what the
    user named (the directory, each overlay) is validated before it is consulted, and its key is the
    content of every input (`_cache_file`). COSTCTL_NO_CACHE=1 disables the cache.
    """
    root = Path(directory) if directory is not None else default_pricing_dir()
    overlay_paths = [Path(p) for p in overlays] or default_overlays()
    check_overlay_paths(overlay_paths)
    tables = table_files(root)
    try:
        cache = _cache_file(tables, overlay_paths)
    except OSError:
        cache = None
    if cache is not None and cache.is_file():
        try:
            with cache.open("rb") as handle:
                cached = pickle.load(handle)  # noqa: S301 - our own file, keyed by the inputs
            if isinstance(cached, Catalog):
                return cached
        except Exception:  # a stale or corrupt cache is rebuilt, never fatal
            pass
    catalog = Catalog.from_models(load_models(root, overlay_paths))
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as handle:
                pickle.dump(catalog, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, cache)
        except OSError:
            pass  # a read-only home must not stop an estimate
    return catalog
