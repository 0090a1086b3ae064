#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs the Python packages
# the wire tests use (into the current Python; idempotent), builds once, runs
# the Rust tests, the Python tests against the built binary (boto3, the
# anthropic SDK, pygls and the third-party Bedrock clients), the Node tests
# (the AWS SDK for JavaScript v3, and vscode-languageclient's protocol stack),
# Neovim's vim.lsp client, and the editor tests (VS Code extension under Node,
# Neovim plugin headless) when Node.js and Neovim are installed (.ci/run
# installs Neovim).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  -r tests/python/requirements.txt

cargo test --all-targets

export BEDROCK_HOST_BIN="$PWD/target/debug/bedrock-host"
python3 -m pytest -q tests/python

# Under Node: the AWS SDK for JavaScript v3 against the emulator, and vscode-languageclient 9's
# protocol stack against the host. Then Neovim's own vim.lsp client (tests/python holds pygls).
if command -v node >/dev/null && command -v npm >/dev/null; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error && node --test)
else
  echo "Node tests skipped: they need node and npm" >&2
fi
if command -v nvim >/dev/null; then
  timeout 300 nvim --headless -u NONE -i NONE -c 'luafile tests/nvim/lsp_client.lua'
  timeout 300 nvim --headless -u NONE -i NONE -c 'luafile tests/nvim/lsp_completion.lua'
else
  echo "stock-client test under Neovim skipped: it needs nvim (apt-get install -y neovim)" >&2
fi

if command -v node >/dev/null && command -v npm >/dev/null && command -v nvim >/dev/null; then
  editors/test.sh
else
  echo "editor tests skipped: they need node, npm and nvim (apt-get install -y neovim)" >&2
fi
