#!/usr/bin/env bash
# `make demo`: the whole product on the bundled samples, ending with the monthly HTML report at out/report.html.
# Each step says what it does on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
OUT=out
step() { printf '\n== %s\n' "$*" >&2; }
mkdir -p "$OUT"
rm -f "$OUT/demo.duckdb" "$OUT/audit.json"   # a fresh database each run: the demo is repeatable

step "Price the example prompt side by side (300 output tokens)"
$BIN/costctl estimate --file examples/prompt.txt --output-tokens 300 \
  -m gpt-4o-mini,gpt-4.1-mini,gpt-5-mini,claude-haiku-4-5,gemini-2.5-flash,gpt-4o

step "Estimate a whole workload, then rank the what-if levers"
$BIN/costctl estimate --workload examples/workload.yaml
$BIN/costctl estimate --workload examples/workload.yaml --what-if

step "Ingest the sample logs into $OUT/demo.duckdb"
$BIN/costctl attribute ingest sample_logs/app_requests.jsonl --db "$OUT/demo.duckdb"
$BIN/costctl attribute ingest sample_logs/search_service.csv --mapping sample_logs/search_service.mapping.yaml \
  --db "$OUT/demo.duckdb"
$BIN/costctl attribute ingest sample_logs/vendor/litellm_spend_logs.jsonl --db "$OUT/demo.duckdb"
$BIN/costctl attribute ingest sample_logs/vendor/openai_batch_output.jsonl \
  --batch-input sample_logs/vendor/openai_batch_input.jsonl --db "$OUT/demo.duckdb"

step "Roll up October by feature and model (priced with the one formula)"
$BIN/costctl attribute report --db "$OUT/demo.duckdb" --by feature,model --since 2026-10-01 --until 2026-10-31 --top 8 \
  --workload sample_logs/workload.yaml

AUDIT=()
step "Audit the sample prompts (system-prompt cost, duplicates, cacheability)"
$BIN/costctl audit prompt examples/prompts/*.md --model gpt-4o --requests-per-day 50000
$BIN/costctl audit prompt examples/prompts/*.md --model gpt-4o --requests-per-day 50000 -f json -o "$OUT/audit.json"
AUDIT=(--audit "$OUT/audit.json")

step "Audit what the logs show (output caps, retries, system-prompt variants)"
$BIN/costctl audit logs --db "$OUT/demo.duckdb"

step "One break-even: RAG vs fine-tune vs the whole knowledge base in the prompt"
$BIN/costctl breakeven --scenario examples/breakeven/rag-support-assistant.yaml

step "The monthly report for 2026-10"
WORKLOAD=(--workload sample_logs/workload.yaml)
# The sample month is over its $25 budget on purpose, so both runs exit 1 (a check failed), as in CI.
over_budget() { "$@" || { [ $? -eq 1 ] && printf '(exit 1: over budget, as the report says)\n' >&2; }; }
over_budget $BIN/costctl report --db "$OUT/demo.duckdb" --month 2026-10 -f markdown --total-budget 25 \
  --shared-cost vectordb=12
over_budget $BIN/costctl report --db "$OUT/demo.duckdb" --month 2026-10 -o "$OUT/report.html" --total-budget 25 \
  --shared-cost vectordb=12 "${AUDIT[@]}" "${WORKLOAD[@]}"

printf '\nThe report is at %s (open it in any browser; it works offline)\n' "$(pwd)/$OUT/report.html"
