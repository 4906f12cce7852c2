"""Deterministic canonical request rows generated inside DuckDB (shared by tests/test_spark_*.py and
bench/bench_spark.py).

Built to exercise everything that decides a price, over three months (Feb-Apr 2026):
- gpt-4o-mini with batch rows; o3-mini whose batch rows have no published batch price (unpriced);
- claude-sonnet-4-6 and gemini-2.5-pro with prompts on both sides of their 200k long-context tier, and
  claude-sonnet-4-6's tier ending with its 2026-03-13 price period (the windows join must honour dates);
- gpt-5.4, priced only from 2026-03-05 (earlier rows unpriced);
- an unknown model; gateway cache hits; rows counting as several requests (usage-export tag);
- reported costs on some rows; tags for `--where tag=value`; NULL users and features.
Pseudo-randomness is `hash(i * 1000 + salt)` (hash(i, salt) correlates salts), so the same `rows` always gives the same table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODELS = ("gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-pro", "gpt-5.4", "o3-mini", "acme-llm-7")
PROVIDERS = ("openai", "anthropic", "google", "openai", "openai", "acme")

_H = "hash(i * 1000 + {salt})"

GENERATE_SQL = f"""
INSERT INTO requests (ts, request_id, provider, model, input_tokens, cached_input_tokens, cache_write_5m_tokens,
  cache_write_1h_tokens, output_tokens, reasoning_tokens, reported_cost_usd, user_id, feature, team, environment,
  prompt_version, status, finish_reason, gateway_cache_hit, is_batch, tags, source_format, source_file, source_line)
SELECT
  TIMESTAMP '2026-02-01 00:00:00' + to_seconds(CAST({_H.format(salt=1)} % (89 * 86400) AS BIGINT)) AS ts,
  'req-' || i,
  list_element($providers, m),
  list_element($models, m),
  input_tokens,
  cached,
  CASE WHEN m = 2 THEN (input_tokens - cached) // 10 ELSE 0 END,
  CASE WHEN m = 2 AND {_H.format(salt=2)} % 5 = 0 THEN (input_tokens - cached) // 20 ELSE 0 END,
  output_tokens,
  CASE WHEN m IN (4, 5) THEN output_tokens // 3 ELSE 0 END,
  CASE WHEN {_H.format(salt=3)} % 4 = 0 THEN CAST({_H.format(salt=4)} % 1000000 AS DECIMAL(38, 12)) / 1000000 END,
  CASE WHEN {_H.format(salt=5)} % 20 = 0 THEN NULL ELSE 'u' || ({_H.format(salt=5)} % 97) END,
  CASE WHEN {_H.format(salt=6)} % 25 = 0 THEN NULL
       ELSE list_element(['chat', 'search', 'summarise', 'agent', 'embed-ünï'], CAST({_H.format(salt=6)} % 5 AS INT) + 1) END,
  list_element(['core', 'growth', 'platform'], CAST({_H.format(salt=7)} % 3 AS INT) + 1),
  CASE WHEN {_H.format(salt=8)} % 10 = 0 THEN 'staging' ELSE 'prod' END,
  CASE WHEN ts_day < 45 THEN 'v1' ELSE 'v2' END,
  'ok',
  'stop',
  {_H.format(salt=9)} % 40 = 0,
  {_H.format(salt=10)} % 6 = 0,
  CASE WHEN {_H.format(salt=11)} % 50 = 0 THEN '{{"aggregated_requests": 5, "tenant": "acme.io"}}'
       WHEN {_H.format(salt=11)} % 7 = 0 THEN '{{"tenant": "acme.io"}}' END,
  'synthetic',
  'synthetic.jsonl',
  i + 1
FROM (
  SELECT i, m, input_tokens, output_tokens, ts_day,
    CASE WHEN {_H.format(salt=12)} % 3 = 0 THEN input_tokens // 4 ELSE 0 END AS cached
  FROM (
    SELECT i,
      CAST({_H.format(salt=13)} % 6 AS INT) + 1 AS m,
      CAST({_H.format(salt=1)} % (89 * 86400) AS BIGINT) // 86400 AS ts_day,
      CASE WHEN CAST({_H.format(salt=13)} % 6 AS INT) + 1 IN (2, 3, 4) AND {_H.format(salt=14)} % 4 = 0
           THEN 150000 + CAST({_H.format(salt=15)} % 150000 AS BIGINT)
           ELSE 50 + CAST({_H.format(salt=15)} % 6000 AS BIGINT) END AS input_tokens,
      5 + CAST({_H.format(salt=16)} % 3000 AS BIGINT) AS output_tokens
    FROM range($rows) t(i)
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
