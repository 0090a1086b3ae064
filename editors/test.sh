#!/usr/bin/env bash
# Tests of the editor integrations against the real bedrock-host binary with --emulator:
# the VS Code extension's protocol client and tools (node --test) and the Neovim plugin
# (nvim --headless). Needs node >= 20 with npm, and nvim >= 0.7.
#   BEDROCK_HOST_BIN  the host binary (default: <repo>/target/debug/bedrock-host)
# Prints "N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export BEDROCK_HOST_BIN="$(realpath "${BEDROCK_HOST_BIN:-$here/../target/debug/bedrock-host}")"
passed=0
failed=0
log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

if [[ ! -x "$BEDROCK_HOST_BIN" ]]; then
  echo "bedrock-host not found at $BEDROCK_HOST_BIN: run cargo build or set BEDROCK_HOST_BIN" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

echo "== VS Code extension: npm ci, tsc, node --test"
if (cd "$here/vscode" && npm ci --no-audit --no-fund >"$log/npm-ci.log" 2>&1 && npm run --silent build >"$log/tsc.log" 2>&1); then
  (cd "$here/vscode" && node --test out/test/*.test.js) >"$log/node.log" 2>&1
  node_status=$?
  grep -E '^(not )?ok ' "$log/node.log" | grep -v '^ok [0-9]* - /' || true
  node_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log/node.log")
  node_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log/node.log")
  node_cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$log/node.log")
  passed=$((passed + ${node_pass:-0}))
  failed=$((failed + ${node_fail:-0} + ${node_cancelled:-0}))
  if [[ $node_status -ne 0 && ${node_fail:-0} -eq 0 && ${node_cancelled:-0} -eq 0 ]]; then
    failed=$((failed + 1))
  fi
  [[ $node_status -eq 0 ]] || sed -n '/^not ok/,/^  \.\.\./p' "$log/node.log"
  # The .vsix a user installs: it must hold the compiled extension and its runtime dependency.
  if (cd "$here/vscode" && npx vsce package --allow-missing-repository --skip-license --out "$log/ext.vsix") \
      >"$log/vsce.log" 2>&1 &&
    unzip -l "$log/ext.vsix" >"$log/vsix.txt" &&
    grep -q 'extension/out/src/extension.js' "$log/vsix.txt" &&
    grep -q 'extension/node_modules/vscode-jsonrpc/lib/node/main.js' "$log/vsix.txt"; then
    echo "ok - vsce packages a .vsix with the extension and vscode-jsonrpc"
    passed=$((passed + 1))
  else
    echo "not ok - vsce package" && tail -20 "$log/vsce.log"
    failed=$((failed + 1))
  fi
else
  echo "npm ci or tsc failed:" && cat "$log/npm-ci.log" "$log/tsc.log" 2>/dev/null | tail -40
  failed=$((failed + 1))
fi

echo "== Neovim plugin: nvim --headless ($(nvim --version 2>/dev/null | head -1))"
if command -v nvim >/dev/null; then
  (cd "$here/neovim" && timeout 600 nvim --headless -u NONE -i NONE -c "luafile tests/run.lua") >"$log/nvim.log" 2>"$log/nvim.err"
  nvim_status=$?
  grep -E '^(not )?ok |^    ' "$log/nvim.log" || true
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/nvim.log" | tail -1)
  if [[ -n "$summary" ]]; then
    passed=$((passed + $(echo "$summary" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$summary" | cut -d' ' -f3)))
  fi
  if [[ $nvim_status -ne 0 && ( -z "$summary" || "$summary" == *", 0 failed" ) ]]; then
    echo "nvim exited with $nvim_status:" && tail -20 "$log/nvim.log" "$log/nvim.err"
    failed=$((failed + 1))
  fi
else
  echo "nvim not found: install Neovim 0.7+ (apt-get install -y neovim)"
  failed=$((failed + 1))
fi

# The Neovim plugin as the user sees it: Neovim in tmux, keys sent, the screen read back.
echo "== Neovim plugin on screen: tmux send-keys / capture-pane (tests/screen.sh)"
if command -v tmux >/dev/null && command -v nvim >/dev/null; then
  (cd "$here/neovim" && timeout 600 tests/screen.sh) >"$log/screen.log" 2>&1
  screen_status=$?
  grep -E '^(not )?ok |^    ' "$log/screen.log" || true
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/screen.log" | tail -1)
  if [[ -n "$summary" ]]; then
    passed=$((passed + $(echo "$summary" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$summary" | cut -d' ' -f3)))
  fi
  if [[ $screen_status -ne 0 && ( -z "$summary" || "$summary" == *", 0 failed" ) ]]; then
    echo "screen.sh exited with $screen_status:" && tail -20 "$log/screen.log"
    failed=$((failed + 1))
  fi
else
  echo "skipped: tmux not found (apt-get install -y tmux)"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
