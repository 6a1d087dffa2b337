#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds the service binaries (the end-to-end
# tests start them as processes), and runs every test. The tests start their own throw-away
# PostgreSQL and nats-server on free ports; nothing here starts or touches scripts/run.sh's instances.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

bash scripts/install-deps.sh
export KINDPAKKET_NATS_SERVER="$PWD/.tools/bin/nats-server"

cargo build --workspace --bins
status=0
cargo test --workspace "$@" || status=$?

echo "Testduur: $(( $(date +%s) - started )) s"
exit "$status"
