#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs the Python packages
# the wire tests use (into the current Python; idempotent), builds once, runs
# the Rust tests, the Python wire tests (boto3 and the anthropic SDK) against
# the built binary, the AWS SDK for JavaScript v3 wire tests when Node.js is
# installed, and the editor tests (VS Code extension under Node, Neovim plugin
# headless) when Node.js and Neovim are installed (.ci/run installs Neovim).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  -r tests/python/requirements.txt

cargo test --all-targets

export BEDROCK_HOST_BIN="$PWD/target/debug/bedrock-host"
python3 -m pytest -q tests/python

if command -v node >/dev/null && command -v npm >/dev/null; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error && node --test)
else
  echo "JavaScript wire tests skipped: they need node and npm" >&2
fi

if command -v node >/dev/null && command -v npm >/dev/null && command -v nvim >/dev/null; then
  editors/test.sh
else
  echo "editor tests skipped: they need node, npm and nvim (apt-get install -y neovim)" >&2
fi
