#!/usr/bin/env bash
# Runs the node:test files under the given folders (Node 20 does not expand globs itself).
# TZ is passed through: `TZ=America/Sao_Paulo bash scripts/run-tests.sh test/unit` must pass too
# (every table engine runs in UTC whatever the worker's zone).
set -euo pipefail
shopt -s globstar nullglob
files=()
for dir in "$@"; do files+=("$dir"/**/*.test.ts); done
if [ ${#files[@]} -eq 0 ]; then echo "no test files under $*" >&2; exit 1; fi
if [ -n "${TZ:-}" ]; then echo "(TZ=$TZ)" >&2; fi
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
