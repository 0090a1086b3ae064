#!/usr/bin/env bash
# Screen tests of bedrock.nvim: Neovim runs in a real terminal (tmux, 120x40) against the
# real bedrock-host with --emulator; keys go in with `tmux send-keys`, and what the user
# sees is read back with `tmux capture-pane -p`. Each wait is bounded.
#   BEDROCK_HOST_BIN  the host binary (default: <repo>/target/debug/bedrock-host)
# Prints one "ok - …" / "not ok - …" line per test and "N passed, M failed" last.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$(cd "$here/.." && pwd)"
host="$(realpath "${BEDROCK_HOST_BIN:-$here/../../../target/debug/bedrock-host}")"
if ! command -v tmux >/dev/null || ! command -v nvim >/dev/null; then
  echo "tmux and nvim are needed (apt-get install -y tmux neovim)"
  echo "0 passed, 1 failed"
  exit 1
fi
if [[ ! -x "$host" ]]; then
  echo "bedrock-host not found at $host; build it or set BEDROCK_HOST_BIN"
  echo "0 passed, 1 failed"
  exit 1
fi

work="$(mktemp -d)"
socket="bedrock-screen-$$"
cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/ws" "$work/home"
printf 'one\n' >"$work/ws/a.txt"
seq -f 'line %g' 1 130 >"$work/ws/big.txt"
big_old="$(seq -f 'line %g' 1 130 | sed 's/$/\\n/' | tr -d '\n')"
big_new="$(seq -f 'line %g' 1 130 | sed -E 's/^line ([0-9]*0)$/LINE \1 changed/; s/$/\\n/' | tr -d '\n')"
long=""
for i in $(seq 1 60); do long="$long\\nfiller line $i"; done
story=""
for i in $(seq 1 24); do story="$story\\nstory line $i"; done
cat >"$work/script.json" <<JSON
{"rules": [
  {"when": {"operation": "ConverseStream", "lastUserText": "long answer"},
   "respond": {"content": [{"text": "start of the long answer$long"}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "slow story"},
   "respond": {"content": [{"text": "once upon a time$story\\nthe end."}], "tokenDelayMs": 120}},
  {"when": {"operation": "ConverseStream", "lastUserText": "big edit", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "propose_edit", "input": {"path": "big.txt", "oldText": "$big_old", "newText": "$big_new", "description": "every tenth line"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "rename one", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "propose_edit", "input": {"path": "a.txt", "oldText": "one", "newText": "two", "description": "rename"}}}]}}
]}
JSON
cat >"$work/init.lua" <<LUA
vim.opt.runtimepath:append('$plugin')
vim.cmd('runtime plugin/bedrock.lua')
vim.o.shortmess = vim.o.shortmess .. 'I'
require('bedrock').setup {
  binary = '$host', emulator = true, emulator_script = '$work/script.json', root = '$work/ws',
}
LUA

passed=0
failed=0
screen=""

capture() {
  screen="$(tmux -L "$socket" capture-pane -p -t nv 2>&1)"
}

# The chat pane: the right half of a vertical split (the text after the "│" separator).
chat_pane() {
  sed -n 's/^[^│]*│//p' <<<"$screen"
}

# wait_for <seconds> <grep -E pattern> [chat]: polls the screen (or only the chat pane).
wait_for() {
  local deadline=$((SECONDS + $1)) pattern="$2" where="${3:-screen}"
  while ((SECONDS < deadline)); do
    capture
    if [[ "$where" == chat ]]; then
      chat_pane | grep -qE -- "$pattern" && return 0
    else
      grep -qE -- "$pattern" <<<"$screen" && return 0
    fi
    sleep 0.2
  done
  return 1
}

keys() {
  tmux -L "$socket" send-keys -t nv "$@"
}

start_nvim() {
  tmux -L "$socket" kill-server 2>/dev/null
  # The old server must be gone before a new one takes the socket.
  local deadline=$((SECONDS + 5))
  while tmux -L "$socket" has-session 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  tmux -L "$socket" new-session -d -s nv -x 120 -y 40 \
    "cd '$work/ws' && HOME='$work/home' AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null nvim -u '$work/init.lua' -i NONE a.txt"
  wait_for 10 'a.txt' || return 1
}

# ask <text>: types the question into the chat's input area and sends it with <CR>.
ask() {
  keys ':BedrockChat' Enter
  sleep 0.2
  keys G o "$1" Escape
  sleep 0.2
  keys Enter
}

ok() {
  echo "ok - $1"
  passed=$((passed + 1))
}

not_ok() {
  echo "not ok - $1"
  echo "$screen" | sed 's/^/    | /'
  failed=$((failed + 1))
}

# 1. A question typed in the chat buffer and sent with <CR> is answered there.
name="a question typed in the chat buffer is sent with <CR> and answered"
if start_nvim && ask "hello from the buffer" && wait_for 20 '^You said: hello from the buffer' chat &&
  chat_pane | grep -qx '## You' && chat_pane | grep -qE '^\[end_turn'; then
  ok "$name"
else
  not_ok "$name"
fi

# 2. While an answer streams, the user scrolls back: the view stays where they put it.
name="scrolling back while an answer streams: the view stays put, the answer goes on"
if start_nvim && ask "long answer" && wait_for 20 'filler line 60' chat && ask "slow story" &&
  wait_for 20 '^story line 2$' chat; then
  keys gg
  sleep 2.5
  capture
  top="$(chat_pane | head -1)"
  streamed_while_away=1
  # Still streaming (the end has not arrived), the top of the transcript still in view.
  # The answer takes about 9 s (tokenDelayMs 120): 2.5 s after gg it is still streaming.
  if [[ "$top" == "## You"* ]]; then
    sleep 2
    capture
    top_after="$(chat_pane | head -1)"
    # Back to the end: the rest of the answer arrived meanwhile.
    keys G
    if [[ "$top_after" == "## You"* ]] && wait_for 20 '^the end\.' chat; then
      streamed_while_away=0
    fi
  fi
  if [[ $streamed_while_away -eq 0 ]]; then ok "$name"; else not_ok "$name"; fi
else
  not_ok "$name"
fi

# 3. A review split closes (after ga): the chat window shows its transcript again, not ~.
name="after the review split closes the chat window is redrawn with its transcript, not ~"
if start_nvim && ask "long answer" && wait_for 20 'filler line 60' chat && ask "rename one" &&
  wait_for 20 'Proposed change to a.txt: rename'; then
  # While the review is open the chat (shorter now) still shows its transcript's end.
  review_tildes=$(chat_pane | grep -c '^~ *$')
  keys ga
  if wait_for 20 'accepted the edit; a.txt was' chat; then
    sleep 0.5
    capture
    tildes=$(chat_pane | grep -c '^~ *$')
    if [[ $tildes -le 2 && $review_tildes -le 2 ]] && [[ "$(cat "$work/ws/a.txt")" == two ]]; then ok "$name"; else not_ok "$name (rows of ~: $review_tildes during the review, $tildes after)"; fi
  else
    not_ok "$name"
  fi
else
  not_ok "$name"
fi

# 4. :BedrockNew after a long transcript: the new "## You" is at the top of the window.
name=":BedrockNew then a question: its '## You' header is in view"
if start_nvim && ask "long answer" && wait_for 20 'filler line 60' chat; then
  keys ':BedrockNew' Enter
  sleep 0.3
  ask "fresh question"
  if wait_for 20 '^You said: fresh question' chat && [[ "$(chat_pane | head -2)" == "## You"$'\n'"fresh question"* ]]; then
    ok "$name"
  else
    not_ok "$name"
  fi
else
  not_ok "$name"
fi

# 5. A large proposed edit is reviewed in a window: scrolled, decided hunk by hunk.
name="a 13-hunk proposed edit: scroll the review, gr one hunk, gA the rest; only accepted hunks are written"
if start_nvim && ask "big edit" && wait_for 20 'Proposed change to big.txt: every tenth line' &&
  grep -q '13 hunks' <<<"$screen"; then
  keys gr
  wait_for 5 '^@@ -10,1 \+10,1 @@ +\[rejected\]' >/dev/null
  rejected=$?
  keys C-d C-d C-d
  wait_for 5 '^@@ -[5-9]0,1 ' >/dev/null # below the first screenful
  scrolled=$?
  keys gA
  if [[ $rejected -eq 0 && $scrolled -eq 0 ]] && wait_for 20 'accepted 12 of 13 changes' chat &&
    [[ "$(sed -n 10p "$work/ws/big.txt")" == "line 10" && "$(sed -n 130p "$work/ws/big.txt")" == "LINE 130 changed" ]]; then
    ok "$name"
  else
    not_ok "$name (rejected marker: $rejected, scrolled: $scrolled)"
  fi
else
  not_ok "$name"
fi

# 6. Picking a model from the list: the message stands on its own line, not glued to the prompt.
name=":BedrockModel from the list: the chosen model's message is on a line of its own"
if start_nvim; then
  keys ':BedrockModel' Enter
  if wait_for 20 'More|Type number'; then
    grep -q 'More' <<<"$screen" && keys Space && wait_for 5 'Type number' >/dev/null
    keys 3 Enter
    if wait_for 10 '^bedrock: model [a-z0-9.:-]+ for new conversations *$'; then ok "$name"; else not_ok "$name"; fi
  else
    not_ok "$name"
  fi
else
  not_ok "$name"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
