"""Deterministic canonical request rows generated inside DuckDB (shared by tests/test_spark_*.py and
bench/bench_spark.py).

Built to exercise everything that decides a price, over three months (Feb-Apr 2026):
- gpt-4o-mini with batch rows; deepseek-reasoner whose batch rows have no published batch price (unpriced);
- claude-sonnet-4-6 and gemini-2.5-pro with prompts on both sides of their 200k long-context tier, and
  claude-sonnet-4-6's tier ending with its 2026-03-13 price period (the windows join must honour dates);
- gpt-5.4, priced only from 2026-03-05 (earlier rows unpriced);
- an unknown model; gateway cache hits; rows counting as several requests (usage-export tag, whole or
  fractional, which both engines round alike);
- reported costs on some rows; tags for `--where tag=value`; NULL users and features.
Pseudo-randomness is `hash(i * 1000 + salt)` (hash(i, salt) correlates salts), so the same `rows` always gives the same table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODELS = ("gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-pro", "gpt-5.4", "deepseek-reasoner", "acme-llm-7")
PROVIDERS = ("openai", "anthropic", "google", "openai", "deepseek", "acme")

GENERATE_SQL = """
INSERT INTO requests (ts, request_id, provider, model, input_tokens, cached_input_tokens, cache_write_5m_tokens,
  cache_write_1h_tokens, output_tokens, reasoning_tokens, reported_cost_usd, user_id, feature, team, environment,
  prompt_version, status, finish_reason, gateway_cache_hit, is_batch, tags, source_format, source_file, source_line)
SELECT
  TIMESTAMP '2026-02-01 00:00:00' + to_seconds(CAST(h1 % (89 * 86400) AS BIGINT)) AS ts,
  'req-' || i,
  list_element($providers, m),
  list_element($models, m),
  input_tokens,
  cached,
  CASE WHEN m = 2 THEN (input_tokens - cached) // 10 ELSE 0 END,
  CASE WHEN m = 2 AND h2 % 5 = 0 THEN (input_tokens - cached) // 20 ELSE 0 END,
  output_tokens,
  CASE WHEN m IN (4, 5) THEN output_tokens // 3 ELSE 0 END,
  CASE WHEN h3 % 4 = 0 THEN CAST(h4 % 1000000 AS DECIMAL(38, 12)) / 1000000 END,
  CASE WHEN h5 % 20 = 0 THEN NULL ELSE 'u' || (h5 % 97) END,
  CASE WHEN h6 % 25 = 0 THEN NULL
       ELSE list_element(['chat', 'search', 'summarise', 'agent', 'embed-ünï'], CAST(h6 % 5 AS INT) + 1) END,
  list_element(['core', 'growth', 'platform'], CAST(h7 % 3 AS INT) + 1),
  CASE WHEN h8 % 10 = 0 THEN 'staging' ELSE 'prod' END,
  CASE WHEN ts_day < 45 THEN 'v1' ELSE 'v2' END,
  'ok',
  'stop',
  h9 % 40 = 0,
  h10 % 6 = 0,
  CASE WHEN h11 % 97 = 0 THEN '{"aggregated_requests": 2.5}'
       WHEN h11 % 50 = 0 THEN '{"aggregated_requests": 5, "tenant": "acme.io"}'
       WHEN h11 % 7 = 0 THEN '{"tenant": "acme.io"}' END,
  'synthetic',
  'synthetic.jsonl',
  i + 1
FROM (
  SELECT *,
    CASE WHEN h12 % 3 = 0 THEN input_tokens // 4 ELSE 0 END AS cached
  FROM (
    SELECT *,
      CAST(h13 % 6 AS INT) + 1 AS m,
      CAST(h1 % (89 * 86400) AS BIGINT) // 86400 AS ts_day,
      CASE WHEN CAST(h13 % 6 AS INT) + 1 IN (2, 3, 4) AND h14 % 4 = 0
           THEN 150000 + CAST(h15 % 150000 AS BIGINT)
           ELSE 50 + CAST(h15 % 6000 AS BIGINT) END AS input_tokens,
      5 + CAST(h16 % 3000 AS BIGINT) AS output_tokens
    FROM (
      SELECT i,
        hash(i * 1000 + 1) AS h1,
        hash(i * 1000 + 2) AS h2,
        hash(i * 1000 + 3) AS h3,
        hash(i * 1000 + 4) AS h4,
        hash(i * 1000 + 5) AS h5,
        hash(i * 1000 + 6) AS h6,
        hash(i * 1000 + 7) AS h7,
        hash(i * 1000 + 8) AS h8,
        hash(i * 1000 + 9) AS h9,
        hash(i * 1000 + 10) AS h10,
        hash(i * 1000 + 11) AS h11,
        hash(i * 1000 + 12) AS h12,
        hash(i * 1000 + 13) AS h13,
        hash(i * 1000 + 14) AS h14,
        hash(i * 1000 + 15) AS h15,
        hash(i * 1000 + 16) AS h16
      FROM range($rows) t(i)
    )
  )
)
"""


def generate_store(db: Path, rows: int) -> Any:
    """Create an attribute store at `db` holding `rows` synthetic requests; returns the open connection."""
    from costctl.logs.store import connect

    con = connect(db, write=True)
    con.execute(GENERATE_SQL, {"rows": rows, "models": list(MODELS), "providers": list(PROVIDERS)})
    return con


def export_jsonl(con: Any, path: Path) -> None:
    """The canonical table as JSONL, one object per line with every column (nulls written as null)."""
    con.execute("COPY (SELECT * FROM requests ORDER BY source_line) TO ? (FORMAT json)", [str(path)])
