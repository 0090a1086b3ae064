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
    python3 -m zipfile -l "$log/ext.vsix" >"$log/vsix.txt" &&
    grep -q 'extension/out/src/extension.js' "$log/vsix.txt" &&
    grep -q 'extension/node_modules/vscode-jsonrpc/lib/node/main.js' "$log/vsix.txt" &&
    grep -q 'extension/node_modules/markdown-it/dist/markdown-it.min.js' "$log/vsix.txt" &&
    grep -q 'extension/media/chat.js' "$log/vsix.txt" &&
    ! grep -q 'extension/e2e/' "$log/vsix.txt"; then
    echo "ok - vsce packages a .vsix with the extension, its chat view, vscode-jsonrpc and markdown-it"
    passed=$((passed + 1))
  else
    echo "not ok - vsce package" && tail -20 "$log/vsce.log"
    failed=$((failed + 1))
  fi
  # Inside real VS Code: code-server 4.100.3 (Node 20) in Debian's Chromium, the .vsix installed
  # (editors/vscode/e2e). Needs chromium, ripgrep and build tools (.ci/run installs them).
  e2e="$here/vscode/e2e"
  chromium_bin="${BEDROCK_E2E_CHROMIUM:-/usr/bin/chromium}"
  if [[ ! -x "$chromium_bin" ]] || ! command -v rg >/dev/null || [[ "$(node -p 'process.versions.node.split(".")[0]')" != 20 ]] ||
    [[ ! -f "$log/ext.vsix" ]]; then
    echo "VS Code end-to-end tests skipped: they need Node 20, $chromium_bin and rg (apt-get install -y chromium ripgrep)"
  elif ! timeout 900 "$e2e/install.sh" >"$log/e2e-install.log" 2>&1; then
    echo "not ok - VS Code e2e: installing code-server failed" && tail -30 "$log/e2e-install.log"
    failed=$((failed + 1))
  else
    (cd "$e2e" && BEDROCK_VSIX="$log/ext.vsix" timeout 1200 node --test --test-concurrency=1 e2e.test.mjs) >"$log/e2e.log" 2>&1
    e2e_status=$?
    grep -E '^(not )?ok ' "$log/e2e.log" | sed 's/^/e2e: /' || true
    e2e_pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log/e2e.log")
    e2e_fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log/e2e.log")
    e2e_cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$log/e2e.log")
    passed=$((passed + ${e2e_pass:-0}))
    failed=$((failed + ${e2e_fail:-0} + ${e2e_cancelled:-0}))
    if [[ $e2e_status -ne 0 && ${e2e_fail:-0} -eq 0 && ${e2e_cancelled:-0} -eq 0 ]]; then
      failed=$((failed + 1))
    fi
    [[ $e2e_status -eq 0 ]] || sed -n '/^not ok/,/^  \.\.\./p' "$log/e2e.log" | head -80
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

echo "== Neovim plugin, completion source: nvim --headless"
if command -v nvim >/dev/null; then
  (cd "$here/neovim" && timeout 300 nvim --headless -u NONE -i NONE -c "luafile tests/completion.lua") >"$log/nvim-completion.log" 2>&1
  completion_status=$?
  grep -E '^(not )?ok ' "$log/nvim-completion.log" || true
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/nvim-completion.log" | tail -1)
  if [[ -n "$summary" ]]; then
    passed=$((passed + $(echo "$summary" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$summary" | cut -d' ' -f3)))
  fi
  if [[ $completion_status -ne 0 && ( -z "$summary" || "$summary" == *", 0 failed" ) ]]; then
    echo "nvim exited with $completion_status:" && tail -20 "$log/nvim-completion.log"
    failed=$((failed + 1))
  fi
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
