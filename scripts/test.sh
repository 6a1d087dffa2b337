#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, checks the code (format, lints, dependencies),
# builds the service binaries (the end-to-end tests start them as processes), and runs every test.
# The tests start their own throw-away PostgreSQL and nats-server on free ports; nothing here starts
# or touches scripts/run.sh's instances.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo "test: $* ($(( $(date +%s) - started )) s)"; }

bash scripts/install-deps.sh
bash scripts/install-test-tools.sh
export KINDPAKKET_NATS_SERVER="$PWD/.tools/bin/nats-server"
export KINDPAKKET_SCHEMATHESIS="$PWD/.tools/fuzz/bin/st"

step "format"
cargo fmt --all --check
step "lints"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "dependencies (cargo deny)"
bash scripts/deny.sh

step "build"
cargo build --workspace --bins --quiet
step "tests"
status=0
cargo test --workspace "$@" || status=$?

echo "Testduur: $(( $(date +%s) - started )) s"
exit "$status"
