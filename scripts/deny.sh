#!/usr/bin/env bash
# Checks every dependency with cargo-deny against deny.toml: licences, banned crates and sources
# always; security advisories against the RustSec advisory database when this machine can fetch it
# (it lives on GitHub). A machine that cannot reach it says so loudly instead of passing silently.
# KINDPAKKET_ADVISORY_DB may name a local clone of github.com/rustsec/advisory-db to check against.
set -euo pipefail
cd "$(dirname "$0")/.."
deny="${CARGO_DENY:-.tools/cargo-deny/bin/cargo-deny}"

"$deny" --log-level error check bans licenses sources

if [ -n "${KINDPAKKET_ADVISORY_DB:-}" ]; then
  # cargo-deny keeps a database under db-path in a folder named after its URL; the local clone takes
  # that place in a throw-away db-path, and the check runs offline.
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/dbs"
  ln -s "$(realpath "$KINDPAKKET_ADVISORY_DB")" "$work/dbs/advisory-db-3157b0e258782691"
  sed "s#^db-urls = .*#&\ndb-path = \"$work/dbs\"#" deny.toml > "$work/deny.toml"
  echo "deny: advisories from $KINDPAKKET_ADVISORY_DB ($(git -C "$KINDPAKKET_ADVISORY_DB" log -1 --format=%cs 2>/dev/null || echo 'date unknown'))"
  "$deny" --log-level error --offline --config "$work/deny.toml" check advisories
elif timeout 90 "$deny" --log-level error fetch db >/dev/null 2>&1; then
  "$deny" --log-level error check advisories
else
  echo "deny: WARNING: the RustSec advisory database (github.com/rustsec/advisory-db) cannot be" >&2
  echo "deny: fetched from this machine; security advisories were NOT checked. Run scripts/deny.sh" >&2
  echo "deny: where GitHub is reachable, or set KINDPAKKET_ADVISORY_DB to a local clone." >&2
fi
