#!/usr/bin/env bash
# Re-records the replay suite's histories (test/replay/histories/*.json) from real runs on the
# local services: the runs of retail.test.ts, failures.test.ts and recorded-runs.test.ts, each
# checked for machine paths and secrets before it is written. Histories in sub-folders (runs from
# before a patched change) are kept as they are. See docs/replay.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/services.sh start
eval "$(bash scripts/services.sh env)"
export FERRY_PG_DATABASE="${FERRY_PG_DATABASE:-test}"
FERRY_RECORD_HISTORIES=1 node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/integration/retail.test.ts test/integration/failures.test.ts test/integration/recorded-runs.test.ts
ls -l test/replay/histories/*.json >&2
