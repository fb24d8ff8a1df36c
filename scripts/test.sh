#!/usr/bin/env bash
# The test command (`npm test`, and what .ci/run calls). On a fresh machine it installs the npm
# packages, builds the Temporal CLI and MinIO once (cached in ~/.cache/ferry/bin), starts them on
# loopback unless already running, runs type-check, lint, unit, integration and replay tests, and
# stops the services it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/lib.sh
ensure_npm_packages

echo "== type-check" >&2
npx tsc --noEmit
echo "== lint" >&2
npx eslint .
echo "== unit tests (in a non-UTC time zone: the worker's TZ must never change the data)" >&2
TZ="${FERRY_TEST_TZ:-America/Sao_Paulo}" bash scripts/run-tests.sh test/unit

# Start what is not running yet, and remember it, so only that is stopped afterwards.
ours=()
port_open "${TEMPORAL_PORT:-7233}" || ours+=(temporal)
port_open "${MINIO_PORT:-9000}" || ours+=(minio)
stop_ours() {
  for svc in "${ours[@]}"; do
    if [ -f ".ferry/run/$svc.pid" ]; then
      kill "$(cat ".ferry/run/$svc.pid")" 2>/dev/null || true
      rm -f ".ferry/run/$svc.pid"
    fi
  done
}
trap stop_ours EXIT
echo "== services" >&2
bash scripts/services.sh start
eval "$(bash scripts/services.sh env)"
export FERRY_PG_DATABASE="${FERRY_PG_DATABASE:-test}"

echo "== integration and replay tests" >&2
rm -rf .ferry/test-staging .ferry/test-files  # what earlier test runs staged
bash scripts/run-tests.sh test/integration test/replay
