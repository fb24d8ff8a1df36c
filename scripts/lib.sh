# Shared by scripts/example.sh and scripts/test.sh (sourced, not run).

# Installs the npm packages when node_modules is missing or older than the lock file.
# npm install rather than npm ci: the registry mirror here lacks the other platforms' optional
# binaries (duckdb, swc), which npm ci insists on finding in the lock file.
ensure_npm_packages() {
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "== installing npm packages" >&2
    npm install --no-audit --no-fund
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1; }
