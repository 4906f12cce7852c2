"""Rollups: an engine-agnostic definition (`RollupSpec`), the `Engine` protocol, and the DuckDB engine.

Engines aggregate token counts only; pricing happens in `costctl.commands.attribute` with the one formula.
"""
