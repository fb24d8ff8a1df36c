#!/usr/bin/env bash
# Local services for Ferry, started without Docker (see DESIGN.md, "Real services, started by the
# project itself"):
#   - Temporal dev server (the Temporal CLI, built from its Go module)
#   - MinIO as the S3 store (built from its Go module)
#   - PostgreSQL is expected to be running already on 127.0.0.1:5432 (trust auth); only checked.
#
# Usage: scripts/services.sh install|start|stop|status|env
#   install  build the binaries into ${FERRY_BIN_DIR:-$HOME/.cache/ferry/bin} if missing
#   start    install, then start Temporal and MinIO unless their ports already accept connections
#   stop     stop the services this script started (those with a pid file in .ferry/run)
#   status   one line per service
#   env      print `export` lines for clients (eval "$(scripts/services.sh env)")
#
# Overrides: FERRY_BIN_DIR, TEMPORAL_PORT, TEMPORAL_UI_PORT, MINIO_PORT, MINIO_CONSOLE_PORT,
# MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, PGHOST, PGPORT, FERRY_SKIP_POSTGRES_CHECK=1.
# Messages go to stderr; only `env` writes to stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"

BIN="${FERRY_BIN_DIR:-$HOME/.cache/ferry/bin}"
HOST=127.0.0.1
TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
TEMPORAL_UI_PORT="${TEMPORAL_UI_PORT:-8233}"
MINIO_PORT="${MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${MINIO_CONSOLE_PORT:-9001}"
MINIO_USER="${MINIO_ROOT_USER:-ferry}"
MINIO_PASSWORD="${MINIO_ROOT_PASSWORD:-ferry-secret}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"

TEMPORAL_MODULE="github.com/temporalio/cli/cmd/temporal@v1.5.1"
MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

STATE_DIR="$ROOT/.ferry"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
WAIT_SECONDS=60

log() { printf '%s\n' "$*" >&2; }
die() { printf 'services.sh: error: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on $1:$2 (pure bash, no nc needed).
port_open() {
  local host="$1" port="$2"
  timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" >/dev/null 2>&1
}

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# Prints the pid recorded for service $1 if that process is still alive and still runs the
# service's binary (guards against a recycled pid); returns 1 otherwise.
our_pid() {
  local name="$1" file pid
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 1
  pid="$(cat "$file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$name"; then
    return 1
  fi
  printf '%s' "$pid"
}

# ---------------------------------------------------------------------------------------------
# install
# ---------------------------------------------------------------------------------------------

# build_one <binary name> <module@version>
build_one() {
  local name="$1" module="$2" out rc
  if [[ -x "$BIN/$name" ]]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH; it is needed once to build $name ($module)"
  log "$name: building $module into $BIN (this takes several minutes on first run; later runs reuse it)"
  out="$(mktemp "${TMPDIR:-/tmp}/ferry-build-$name.XXXXXX")"
  rc=0
  GOTOOLCHAIN=local GOBIN="$BIN" go install "$module" >"$out" 2>&1 </dev/null || rc=$?
  if [[ $rc -ne 0 ]]; then
    cat "$out" >&2
    if grep -qE 'sum\.golang|verifying module|checksum database|SECURITY ERROR' "$out"; then
      log "$name: the Go checksum database could not be used; retrying once with GONOSUMDB for the temporalio and minio modules"
      rc=0
      GOTOOLCHAIN=local GOBIN="$BIN" \
        GONOSUMDB='github.com/temporalio/*,github.com/minio/*' \
        go install "$module" >"$out" 2>&1 </dev/null || rc=$?
      if [[ $rc -ne 0 ]]; then
        cat "$out" >&2
      fi
    fi
  fi
  rm -f "$out"
  [[ $rc -eq 0 && -x "$BIN/$name" ]] || die "$name: build failed (go install $module); see the output above"
  log "$name: built $BIN/$name"
}

cmd_install() {
  mkdir -p "$BIN"
  # One builder at a time per machine; the second invocation waits, then finds the binaries.
  exec 9>"$BIN/.install.lock"
  if ! flock -n 9; then
    log "install: another 'services.sh install' holds $BIN/.install.lock; waiting for it"
    flock 9
  fi
  # Sequentially: two concurrent `go install`s can stall on the module download lock.
  build_one temporal "$TEMPORAL_MODULE"
  build_one minio "$MINIO_MODULE"
  flock -u 9
  exec 9>&-
}

# ---------------------------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------------------------

# spawn <name> <command...>: background, detached from this shell, log + pid file.
spawn() {
  local name="$1"; shift
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  local logf="$LOG_DIR/$name.log"
  printf '\n--- %s: starting %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >>"$logf"
  if command -v setsid >/dev/null 2>&1; then
    nohup setsid "$@" >>"$logf" 2>&1 </dev/null &
  else
    nohup "$@" >>"$logf" 2>&1 </dev/null &
  fi
  printf '%s\n' "$!" >"$(pid_file "$name")"
}

# Last lines of the current run's log (the log is appended to; each start writes a "--- " marker).
log_tail() {
  awk '/^--- [0-9TZ:-]+: starting /{n=0} {buf[n++]=$0} END{s=(n>30)?n-30:0; for(i=s;i<n;i++) print buf[i]}' \
    "$LOG_DIR/$1.log" >&2 || true
}

# wait_until <name> <description> <command...>: poll for up to WAIT_SECONDS; fail early if the
# process we started has exited.
wait_until() {
  local name="$1" what="$2"; shift 2
  local deadline=$((SECONDS + WAIT_SECONDS)) pid
  pid="$(cat "$(pid_file "$name")" 2>/dev/null || true)"
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "$name: exited before $what; last lines of $LOG_DIR/$name.log:"
      log_tail "$name"
      rm -f "$(pid_file "$name")"
      die "$name did not start"
    fi
    if ((SECONDS >= deadline)); then
      log "$name: not ready ($what) after ${WAIT_SECONDS}s; last lines of $LOG_DIR/$name.log:"
      log_tail "$name"
      die "$name did not become ready"
    fi
    sleep 0.5
  done
}

temporal_ready() {
  "$BIN/temporal" operator namespace describe --namespace default \
    --address "$HOST:$TEMPORAL_PORT" --command-timeout 5s
}

minio_ready() {
  curl -sf --max-time 3 "http://$HOST:$MINIO_PORT/minio/health/ready"
}

# Ferry's search attributes (src/search-attributes.ts): `ferry runs` and the Temporal UI filter on
# them. Registering one that exists with the same type changes nothing, so this runs at every start.
register_search_attributes() {
  "$BIN/temporal" operator search-attribute create --namespace default \
    --address "$HOST:$TEMPORAL_PORT" --command-timeout 10s \
    --name FerryPipeline --type Keyword --name FerryRunDate --type Keyword \
    --name FerryTrigger --type Keyword --name FerryGate --type Keyword >/dev/null \
    || die "temporal: could not register the search attributes FerryPipeline, FerryRunDate, FerryTrigger, FerryGate"
}

start_temporal() {
  if port_open "$HOST" "$TEMPORAL_PORT"; then
    log "temporal: already running on $HOST:$TEMPORAL_PORT"
    register_search_attributes
    return 0
  fi
  mkdir -p "$STATE_DIR"
  spawn temporal "$BIN/temporal" server start-dev --ip "$HOST" --port "$TEMPORAL_PORT" \
    --ui-port "$TEMPORAL_UI_PORT" --db-filename "$STATE_DIR/temporal.db" --log-level warn
  wait_until temporal "port $TEMPORAL_PORT accepts connections" port_open "$HOST" "$TEMPORAL_PORT"
  wait_until temporal "namespace 'default' is served" temporal_ready
  register_search_attributes
  log "temporal: started on $HOST:$TEMPORAL_PORT (UI http://$HOST:$TEMPORAL_UI_PORT)"
}

start_minio() {
  if port_open "$HOST" "$MINIO_PORT"; then
    log "minio: already running on $HOST:$MINIO_PORT"
    return 0
  fi
  mkdir -p "$STATE_DIR/minio"
  MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" \
    spawn minio "$BIN/minio" server "$STATE_DIR/minio" --address "$HOST:$MINIO_PORT" \
    --console-address "$HOST:$MINIO_CONSOLE_PORT"
  wait_until minio "port $MINIO_PORT accepts connections" port_open "$HOST" "$MINIO_PORT"
  wait_until minio "health/ready answers" minio_ready
  log "minio: started on $HOST:$MINIO_PORT (console http://$HOST:$MINIO_CONSOLE_PORT, user $MINIO_USER)"
}

postgres_reachable() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 5
  else
    port_open "$PG_HOST" "$PG_PORT"
  fi
}

check_postgres() {
  if [[ "${FERRY_SKIP_POSTGRES_CHECK:-}" == 1 ]]; then
    return 0
  fi
  if postgres_reachable; then
    log "postgres: reachable on $PG_HOST:$PG_PORT"
    return 0
  fi
  log "services.sh: error: PostgreSQL is not reachable on $PG_HOST:$PG_PORT."
  log "  Ferry expects a running PostgreSQL there (trust auth); this script does not start it."
  log "  Start it (e.g. 'service postgresql start', or 'docker compose up -d postgres' on a machine"
  log "  with Docker), or set PGHOST/PGPORT; FERRY_SKIP_POSTGRES_CHECK=1 skips this check."
  return 1
}

cmd_start() {
  cmd_install
  start_temporal
  start_minio
  check_postgres || exit 1
}

# ---------------------------------------------------------------------------------------------
# stop / status / env
# ---------------------------------------------------------------------------------------------

stop_one() {
  local name="$1" file pid
  file="$(pid_file "$name")"
  [[ -f "$file" ]] || return 0
  if pid="$(our_pid "$name")"; then
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: still running after 10s; sending SIGKILL to $pid"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "$name: stopped (pid $pid)"
  else
    log "$name: not running (stale pid file removed)"
  fi
  rm -f "$file"
}

cmd_stop() {
  local any=0 name
  for name in temporal minio; do
    if [[ -f "$(pid_file "$name")" ]]; then
      any=1
      stop_one "$name"
    fi
  done
  ((any)) || log "nothing to stop: no service was started by this script"
}

status_one() {
  local name="$1" port="$2" pid who
  if pid="$(our_pid "$name")"; then
    who="started by services.sh, pid $pid"
  else
    who="not started by services.sh"
  fi
  if port_open "$HOST" "$port"; then
    log "$name: running on $HOST:$port ($who)"
  else
    log "$name: not running on $HOST:$port${pid:+ (pid $pid alive but port closed)}"
  fi
}

cmd_status() {
  status_one temporal "$TEMPORAL_PORT"
  status_one minio "$MINIO_PORT"
  if postgres_reachable >/dev/null 2>&1; then
    log "postgres: running on $PG_HOST:$PG_PORT (external, not managed by services.sh)"
  else
    log "postgres: not reachable on $PG_HOST:$PG_PORT (external, not managed by services.sh)"
  fi
}

cmd_env() {
  printf 'export TEMPORAL_ADDRESS=%q\n' "$HOST:$TEMPORAL_PORT"
  printf 'export S3_ENDPOINT=%q\n' "http://$HOST:$MINIO_PORT"
  printf 'export AWS_ACCESS_KEY_ID=%q\n' "$MINIO_USER"
  printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "$MINIO_PASSWORD"
  printf 'export AWS_REGION=%q\n' "us-east-1"
}

usage() {
  log "usage: $(basename "$0") install|start|stop|status|env"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
