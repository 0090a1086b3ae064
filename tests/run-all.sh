#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs the Python packages
# the wire tests use (into the current Python; idempotent), builds once, runs
# the Rust tests, then the boto3 tests against the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f tests/python/requirements.txt ]; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tests/python/requirements.txt
fi

cargo test --all-targets

if [ -d tests/python ]; then
  BEDROCK_HOST_BIN="$PWD/target/debug/bedrock-host" python3 -m pytest -q tests/python
fi
