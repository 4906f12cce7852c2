"""Request logs -> canonical rows -> DuckDB store -> rollups. Never prices anything itself."""
