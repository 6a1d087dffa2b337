#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds the service binaries (the end-to-end
# tests start them as processes), and runs every test. The tests start their own throw-away
# PostgreSQL and nats-server on free ports; nothing here starts or touches scripts/run.sh's instances.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

bash scripts/install-deps.sh
export KINDPAKKET_NATS_SERVER="$PWD/.tools/bin/nats-server"

# schemathesis, pinned, from PyPI into .tools/fuzz: tests/tests/fuzz.rs runs it against every
# service's OpenAPI document.
SCHEMATHESIS_VERSION="4.32.5"
if ! .tools/fuzz/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "test: installing schemathesis $SCHEMATHESIS_VERSION from PyPI into .tools/fuzz"
  rm -rf .tools/fuzz
  python3 -m venv .tools/fuzz
  .tools/fuzz/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
export KINDPAKKET_SCHEMATHESIS="$PWD/.tools/fuzz/bin/st"

cargo build --workspace --bins
status=0
cargo test --workspace "$@" || status=$?

echo "Testduur: $(( $(date +%s) - started )) s"
exit "$status"
