#!/usr/bin/env bash
# Runs the retail example end to end on a fresh machine (`npm run example`): installs the npm
# packages, builds and starts the Temporal dev server and MinIO if needed, starts the demo API and a
# worker, seeds PostgreSQL and S3, runs config/pipelines/retail.yaml and prints the run report.
# Temporal and MinIO keep running afterwards (Temporal UI: http://127.0.0.1:8233);
# `node bin/ferry.js dev stop` stops them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/lib.sh
ensure_npm_packages

echo "== services" >&2
bash scripts/services.sh start
eval "$(bash scripts/services.sh env)"

export DEMO_API_PORT="${DEMO_API_PORT:-8787}"
if port_open "$DEMO_API_PORT"; then
  echo "port $DEMO_API_PORT is in use: stop what listens there or set DEMO_API_PORT" >&2
  exit 1
fi
# A fresh random token per run: the demo API checks it, and the tests prove it never reaches history.
export DEMO_API_TOKEN="${DEMO_API_TOKEN:-demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}"
export DEMO_API_URL="http://127.0.0.1:$DEMO_API_PORT"

mkdir -p .ferry/logs
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

node --import tsx examples/retail/api.ts > .ferry/logs/demo-api.log 2>&1 &
pids+=($!)
node bin/ferry.js worker > .ferry/logs/worker.log 2>&1 &
pids+=($!)

for _ in $(seq 1 300); do
  if port_open "$DEMO_API_PORT" && grep -q 'ferry worker on task queue' .ferry/logs/worker.log; then break; fi
  if ! kill -0 "${pids[1]}" 2>/dev/null; then echo "the worker exited:" >&2; cat .ferry/logs/worker.log >&2; exit 1; fi
  sleep 0.2
done
grep -q 'ferry worker on task queue' .ferry/logs/worker.log || { echo "the worker did not start within 60 s; see .ferry/logs/worker.log" >&2; exit 1; }

echo "== seeding PostgreSQL (schema retail) and S3 (s3://ferry-demo/raw/sales.csv)" >&2
node --import tsx examples/retail/seed.ts

echo "== ferry validate config/pipelines/retail.yaml" >&2
node bin/ferry.js validate config/pipelines/retail.yaml
echo "== ferry run config/pipelines/retail.yaml --wait" >&2
node bin/ferry.js run config/pipelines/retail.yaml --wait

cat >&2 <<'MSG'
Look at the results:
  psql -h 127.0.0.1 -U postgres -c 'SELECT * FROM retail.sales_enriched ORDER BY sale_id'
  eval "$(bash scripts/services.sh env)"; node bin/ferry.js runs
MSG
