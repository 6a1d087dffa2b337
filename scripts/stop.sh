#!/usr/bin/env bash
# Stops what scripts/run.sh started: the services, nats-server and PostgreSQL. --purge also deletes .data/.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$PWD/.data"

stop_pidfile() {
  local pidfile=$1
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

for pidfile in "$DATA"/pids/*.pid; do
  [ -e "$pidfile" ] && stop_pidfile "$pidfile"
done
stop_pidfile "$DATA/nats/nats.pid"
if [ -f "$DATA/postgres/PG_VERSION" ]; then
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DATA/postgres" -m fast stop >/dev/null 2>&1 || true
  else
    "$PG_BIN/pg_ctl" -D "$DATA/postgres" -m fast stop >/dev/null 2>&1 || true
  fi
fi
if [ "${1:-}" = "--purge" ]; then
  rm -rf "$DATA"
  echo "Gestopt; .data/ is verwijderd."
else
  echo "Gestopt. De gegevens staan nog in .data/ (scripts/stop.sh --purge verwijdert ze)."
fi
