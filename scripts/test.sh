#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test.
# Used by .ci/run and by developers on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

# Python client tests: grpcio and friends in a local virtualenv.
log "python test dependencies"
PY=${PYTHON:-python3}
# (Re)create the venv when missing or unusable (e.g. the checkout moved).
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  rm -rf .venv
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

# The console's browser test drives Debian's Chromium (never a downloaded one).
log "chromium for the console browser test"
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
/usr/bin/chromium --version

log "format and lint"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

log "rust tests"
cargo test --locked --all-targets

log "python client tests"
# `cargo test` above built target/debug/proofline for the integration tests.
PROOFLINE_BIN="$PWD/target/debug/proofline" .venv/bin/python -m pytest -q tests/python
