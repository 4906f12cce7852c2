"""Rollups: an engine-agnostic definition (`RollupSpec`), the `Engine` protocol, and the DuckDB engine.

Engines aggregate token counts and price the groups from the rates table of `costctl.cost.rates` (the one
formula's definitions rendered as SQL); `costctl.commands.priced_rollup` turns the groups into rows.
"""
