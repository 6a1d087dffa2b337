#!/usr/bin/env bash
# Installs the tools the test suite needs besides PostgreSQL and nats-server, pinned, into .tools/:
#   - schemathesis from PyPI (tests/tests/e2e/fuzz.rs runs it against every OpenAPI document);
#   - kubernetes-validate from PyPI (tests/tests/e2e/deployment.rs validates the rendered Helm chart
#     offline against the Kubernetes API's schemas with it; its jsonschema checks the CloudNativePG
#     Cluster against deploy/helm/schemas/);
#   - helm-python-sdk from PyPI into .tools/helm (Helm v4's own engine as a library, no helm binary and
#     no cluster): deploy/helm/render.py lints and renders deploy/helm/kindpakket with it;
#   - cargo-deny from crates.io (scripts/deny.sh checks licences, bans, sources and advisories);
#   - Chromium and its chromedriver from Debian's packages, into /usr/bin (tests/src/browser.rs drives
#     the pages headless through them), when missing;
#   - pdftotext (poppler-utils) from Debian's packages: tests/tests/e2e/pages_overleg.rs reads the
#     text of the quarterly report's PDF with it.
# Idempotent and quiet when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION="4.32.5"
if ! .tools/fuzz/bin/st --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "install-test-tools: installing schemathesis $SCHEMATHESIS_VERSION from PyPI into .tools/fuzz"
  rm -rf .tools/fuzz
  python3 -m venv .tools/fuzz
  .tools/fuzz/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

KUBERNETES_VALIDATE_VERSION="1.37.0"
if ! .tools/kubernetes-validate/bin/kubernetes-validate --version 2>/dev/null | grep -q "$KUBERNETES_VALIDATE_VERSION"; then
  echo "install-test-tools: installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION from PyPI into .tools/kubernetes-validate"
  rm -rf .tools/kubernetes-validate
  python3 -m venv .tools/kubernetes-validate
  .tools/kubernetes-validate/bin/pip install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

HELM_PYTHON_SDK_VERSION="0.2.2"
if [ ! -d ".tools/helm/helm_python_sdk-$HELM_PYTHON_SDK_VERSION.dist-info" ]; then
  echo "install-test-tools: installing helm-python-sdk $HELM_PYTHON_SDK_VERSION from PyPI into .tools/helm"
  rm -rf .tools/helm
  # No dependencies (it binds libhelm_c.so, in the wheel, with ctypes); run with PYTHONPATH=.tools/helm.
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target .tools/helm \
    "helm-python-sdk==$HELM_PYTHON_SDK_VERSION"
fi

CARGO_DENY_VERSION="0.20.2"
if ! .tools/cargo-deny/bin/cargo-deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  echo "install-test-tools: building cargo-deny $CARGO_DENY_VERSION from crates.io into .tools/cargo-deny (a few minutes, once)"
  cargo install --quiet --locked "cargo-deny@$CARGO_DENY_VERSION" --root .tools/cargo-deny
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-tools: chromium and chromium-driver are missing; run this script as root (or install them yourself)" >&2
    exit 1
  fi
  echo "install-test-tools: installing chromium and chromium-driver from Debian's packages"
  # The package lists are refreshed only when the install fails without it.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

if [ ! -x /usr/bin/pdftotext ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-tools: pdftotext (poppler-utils) is missing; run this script as root (or install it yourself)" >&2
    exit 1
  fi
  echo "install-test-tools: installing poppler-utils (pdftotext) from Debian's packages"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  fi
fi
