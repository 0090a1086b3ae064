-- Headless tests of bedrock.nvim against the real bedrock-host with its built-in emulator.
-- Run from anywhere (Neovim 0.7+):
--   BEDROCK_HOST_BIN=/path/to/bedrock-host nvim --headless -u NONE -i NONE -c "luafile editors/neovim/tests/run.lua"
-- Prints one line per test and "N passed, M failed"; exits 1 on any failure.
local plugin_dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
local host = vim.env.BEDROCK_HOST_BIN or (plugin_dir .. '/../../target/debug/bedrock-host')
host = vim.fn.fnamemodify(host, ':p')

local function out(line)
  io.stdout:write(line .. '\n')
end

if vim.fn.executable(host) ~= 1 then
  out('bedrock-host not found at ' .. host .. '; build it (cargo build) or set BEDROCK_HOST_BIN')
  out('0 passed, 1 failed')
  vim.cmd('cquit 1')
end

-- The host must not see the developer's AWS setup.
local home = vim.fn.tempname()
vim.fn.mkdir(home, 'p')
vim.env.HOME = home
vim.env.AWS_CONFIG_FILE = home .. '/no-aws-config'
vim.env.AWS_SHARED_CREDENTIALS_FILE = home .. '/no-aws-credentials'
for _, name in ipairs({ 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME', 'AWS_BEARER_TOKEN_BEDROCK' }) do
  vim.env[name] = nil
end

vim.opt.runtimepath:prepend(plugin_dir)
vim.cmd('runtime plugin/bedrock.lua')
local bedrock = require('bedrock')
local chat = require('bedrock.chat')

local script = home .. '/script.json'
vim.fn.writefile(vim.split([[
{"rules": [
  {"when": {"operation": "ConverseStream", "lastUserText": "what is in notes", "afterToolResult": false},
   "respond": {"content": [{"text": "Reading it."}, {"toolUse": {"name": "read_file", "input": {"path": "notes.txt"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "rename one to two", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "propose_edit", "input": {"path": "a.txt", "oldText": "one", "newText": "two", "description": "rename"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "find the needle", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "search_workspace", "input": {"query": "needle"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "tell me a long story"},
   "respond": {"content": [{"text": "Once upon a time there was a very long story that went on and on and on and on and on."}], "tokenDelayMs": 300}},
  {"when": {"operation": "ConverseStream", "lastUserText": "Rewrite this typescript code"},
   "respond": {"content": [{"text": "Here it is:\n```typescript\nconst answer = 42;\n```\n"}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "give me code"},
   "respond": {"content": [{"text": "Here:\n```lua\nprint(1)\nprint(2)\n```\nDone."}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "read outside", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "read_file", "input": {"path": "outside/secret.txt"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "edit outside", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "propose_edit", "input": {"path": "outside/secret.txt", "oldText": "secret", "newText": "leaked"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "list everything", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "list_files", "input": {}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "search the secret", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "search_workspace", "input": {"query": "secret"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "two changes", "afterToolResult": false},
   "respond": {"content": [{"toolUse": {"name": "propose_edit", "input": {"path": "b.txt", "oldText": "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "newText": "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n10\n", "description": "two words"}}}]}},
  {"when": {"operation": "ConverseStream", "lastUserText": "throttle me"}, "times": 1,
   "fail": {"error": "ThrottlingException", "status": 429, "message": "Too many requests"}}
],
 "guardrails": {"gr-test": {"version": "1", "blockedWords": ["forbidden"], "blockedMessage": "Sorry, I cannot help with that."}}}
]], '\n', { plain = true }), script)

local proposals = {}
local consent = false

--- A fresh host and chat on a new workspace directory; returns the directory.
local function fresh(extra)
  local root = vim.fn.tempname()
  vim.fn.mkdir(root, 'p')
  proposals = {}
  bedrock.setup(vim.tbl_extend('force', {
    binary = host,
    emulator = true,
    emulator_script = script,
    root = root,
    confirm_edit = function(edit)
      table.insert(proposals, edit)
      return consent
    end,
  }, extra or {}))
  chat.clear()
  return root
end

local function wait_for(what, condition)
  if not vim.wait(60000, condition, 20) then
    error('timed out waiting for ' .. what, 2)
  end
end

local function wait_idle()
  wait_for('the turn to end', function()
    return not bedrock.busy()
  end)
end

local function chat_lines()
  return vim.api.nvim_buf_get_lines(chat.bufnr(), 0, -1, false)
end

local function eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(string.format('%s:\nexpected %s\n     got %s', what or 'mismatch', vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

local function matches(pattern, text, what)
  if type(text) ~= 'string' or not text:match(pattern) then
    error(string.format('%s: %s does not match %q', what or 'mismatch', vim.inspect(text), pattern), 2)
  end
end

local function write_file(path, lines)
  vim.fn.writefile(lines, path)
end

local function sync(method, params)
  local result, err = bedrock.client():request_sync(method, params)
  if err then
    error(method .. ' failed: ' .. vim.inspect(err), 2)
  end
  return result
end

local SUMMARY = '^%[end_turn · %d+ tokens · %$%d+%.%d+%]$'

--- Runs `fn` with vim.notify recorded; returns { {text, level} }.
local function capture_notify(fn)
  local messages = {}
  local notify = vim.notify
  vim.notify = function(text, level)
    table.insert(messages, { text = text, level = level })
  end
  local ok, err = pcall(fn, messages)
  vim.notify = notify
  if not ok then
    error(err, 2)
  end
  return messages
end
local tests = {}
local function test(name, fn)
  table.insert(tests, { name = name, fn = fn })
end

test('a streamed answer fills the chat buffer delta by delta', function()
  fresh()
  local deltas = 0
  local append = chat.append
  chat.append = function(text)
    deltas = deltas + 1
    append(text)
  end
  vim.cmd('BedrockAsk hello there friend')
  wait_idle()
  chat.append = append
  local lines = chat_lines()
  eq({ '## You', 'hello there friend', '', '## Bedrock (sonnet)', 'You said: hello there friend' }, vim.list_slice(lines, 1, 5), 'chat')
  matches(SUMMARY, lines[6], 'summary line')
  eq({ '', '' }, vim.list_slice(lines, 7), 'a blank line, then the empty input line')
  eq(8, #lines, 'line count')
  if deltas < 2 then
    error('expected the answer in several deltas, got ' .. deltas)
  end
  local usage = sync('usage/get', vim.empty_dict())
  if usage.total.usage.outputTokens < 1 then
    error('usage/get counted no output tokens: ' .. vim.inspect(usage))
  end
end)

test('a second question continues the same conversation', function()
  fresh()
  vim.cmd('BedrockAsk first')
  wait_idle()
  vim.cmd('BedrockAsk second')
  wait_idle()
  local conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  eq(4, #conversation.messages, 'messages in the conversation')
end)

test('tool round trip: read_file is answered from the workspace', function()
  local root = fresh()
  write_file(root .. '/notes.txt', { 'alpha beta' })
  vim.cmd('BedrockAsk what is in notes?')
  wait_idle()
  local lines = chat_lines()
  eq({ '## Bedrock (sonnet)', 'Reading it.', '[tool: read_file notes.txt]', 'Tool result received: alpha beta' }, vim.list_slice(lines, 4, 7), 'chat')
  matches(SUMMARY, lines[8], 'summary line')
end)

test('search_workspace hits reach the model', function()
  local root = fresh()
  write_file(root .. '/hay.txt', { 'hay', 'the needle is here', 'hay' })
  vim.cmd('BedrockAsk find the needle')
  wait_idle()
  eq({ '[tool: search_workspace "needle"]', 'Tool result received: hay.txt:2: the needle is here' }, vim.list_slice(chat_lines(), 5, 6), 'chat')
end)

test('propose_edit rejected: the file stays as it was', function()
  local root = fresh()
  write_file(root .. '/a.txt', { 'one' })
  consent = false
  vim.cmd('BedrockAsk rename one to two')
  wait_idle()
  eq({ { path = 'a.txt', before = 'one\n', after = 'two\n', description = 'rename' } }, proposals, 'proposals')
  eq({ 'one' }, vim.fn.readfile(root .. '/a.txt'), 'a.txt')
  matches('rejected the edit; a%.txt is unchanged', chat_lines()[6], 'answer')
end)

test('propose_edit accepted: the file is written', function()
  local root = fresh()
  write_file(root .. '/a.txt', { 'one' })
  consent = true
  vim.cmd('BedrockAsk rename one to two')
  wait_idle()
  consent = false
  eq({ 'two' }, vim.fn.readfile(root .. '/a.txt'), 'a.txt')
  matches('accepted the edit; a%.txt was updated', chat_lines()[6], 'answer')
end)

test(':BedrockStop cancels a streaming answer; history unchanged; the next question works', function()
  fresh()
  vim.cmd('BedrockAsk tell me a long story')
  wait_for('the first delta', function()
    return (chat_lines()[5] or '') ~= ''
  end)
  vim.cmd('BedrockStop')
  local lines = chat_lines()
  eq('[stopped]', lines[6], 'note after the partial answer')
  if #lines[5] >= #'Once upon a time there was a very long story that went on and on and on and on and on.' then
    error('the whole answer arrived before the stop: ' .. lines[5])
  end
  wait_idle()
  eq(lines, chat_lines(), 'nothing streams after the stop')
  local conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  eq(0, #conversation.messages, 'messages after a cancelled turn')
  vim.cmd('BedrockAsk and now?')
  wait_idle()
  eq('You said: and now?', chat_lines()[12], 'the answer after the stop')
end)

test(':BedrockEdit shows the change and applies it only when confirmed', function()
  fresh()
  vim.cmd('enew')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'typescript'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '// header', 'const answer = 41;', '// footer' })
  consent = false
  vim.cmd('2BedrockEdit use 42')
  wait_for('the proposal', function()
    return #proposals == 1
  end)
  -- The whole buffer, so the review's hunk headers count lines of the file.
  eq({ path = 'an unnamed buffer', before = '// header\nconst answer = 41;\n// footer\n', after = '// header\nconst answer = 42;\n// footer\n', description = 'use 42' }, proposals[1], 'proposal')
  eq({ '// header', 'const answer = 41;', '// footer' }, vim.api.nvim_buf_get_lines(buf, 0, -1, false), 'rejected')
  consent = true
  vim.cmd('2BedrockEdit use 42')
  wait_for('the second proposal', function()
    return #proposals == 2
  end)
  consent = false
  eq({ '// header', 'const answer = 42;', '// footer' }, vim.api.nvim_buf_get_lines(buf, 0, -1, false), 'accepted')
end)

test(':BedrockExplain sends the range with its filetype', function()
  fresh()
  vim.cmd('enew')
  vim.bo[0].filetype = 'lua'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'local x = 1', 'return x' })
  vim.cmd('1,2BedrockExplain')
  wait_idle()
  local lines = chat_lines()
  eq('Explain what this lua code from an unnamed buffer does, briefly and precisely:', lines[2], 'prompt')
  eq('You said: Explain what this lua code from an unnamed buffer does, briefly and precisely:', lines[10], 'answer')
end)

test(':BedrockModel sets the model of the next conversation', function()
  fresh()
  vim.cmd('BedrockModel haiku')
  vim.cmd('BedrockAsk hi')
  wait_idle()
  local conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  matches('haiku', conversation.modelId, 'modelId')
  eq('## Bedrock (haiku)', chat_lines()[4], 'header')
end)

test('a guardrail intervention shows in the chat', function()
  fresh({ guardrail = { identifier = 'gr-test', version = '1' } })
  vim.cmd('BedrockAsk say something forbidden')
  wait_idle()
  local lines = chat_lines()
  eq({ 'Sorry, I cannot help with that.', '[guardrail intervened: guardrail_intervened]' }, vim.list_slice(lines, 5, 6), 'chat')
end)

test('a throttled call is retried and the retry shows in the chat', function()
  fresh()
  vim.cmd('BedrockAsk throttle me')
  wait_idle()
  local lines = chat_lines()
  matches('^%[retrying after ThrottlingException %(attempt 2, in %d+ ms%)%]$', lines[5], 'retry note')
  eq('You said: throttle me', lines[6], 'answer')
end)

test(':checkhealth bedrock reports the binary', function()
  fresh()
  vim.cmd('checkhealth bedrock')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  matches('OK:? bedrock%-host: ' .. vim.pesc(host), text, 'health')
  matches('bedrock%-host 0%.%d+%.%d+', text, 'health version')
  vim.cmd('bwipeout!')
end)

test('a wrong binary is reported with the option to fix, no stack trace, no empty section', function()
  fresh({ binary = '/nonexistent/bedrock-host' })
  local messages = capture_notify(function()
    vim.cmd('BedrockAsk hi')
  end)
  eq(1, #messages, 'one message: ' .. vim.inspect(messages))
  matches('^bedrock: cannot run "/nonexistent/bedrock%-host"; set `binary`', messages[1].text, 'error')
  eq(vim.log.levels.ERROR, messages[1].level, 'level')
  if messages[1].text:find('traceback', 1, true) or messages[1].text:find('%.lua:%d') then
    error('a stack trace in the message: ' .. messages[1].text)
  end
  eq({ '' }, chat_lines(), 'the chat stays empty (no "## Bedrock" section)')
end)

test('a host that fails to initialize ends the turn with its reason in the chat', function()
  local bad_script = home .. '/bad-script.json'
  vim.fn.writefile({ '{"rules": [{"when": {"operation": 3}}]}' }, bad_script)
  fresh({ emulator_script = bad_script })
  vim.cmd('BedrockAsk hi')
  wait_idle()
  matches('^%[error: bedrock%-host did not start: .*emulator script .*bad%-script%.json is not valid', chat_lines()[5], 'error note')
end)


-- The issue's bugs, each with the test that showed it.

test('an unpriced model: the summary says the cost is unknown and :BedrockUsage keeps working', function()
  fresh({ model = 'acme.unpriced-model-v1:0' })
  vim.cmd('BedrockAsk hi')
  wait_idle()
  matches('^%[end_turn · %d+ tokens · cost unknown%]$', chat_lines()[6], 'summary line')
  for _ = 1, 2 do
    local messages = capture_notify(function(seen)
      vim.cmd('BedrockUsage')
      vim.wait(10000, function()
        return #seen > 0
      end, 20)
    end)
    eq(1, #messages, 'usage messages: ' .. vim.inspect(messages))
    matches('^bedrock: 1 calls, %d+ in / %d+ out tokens, cost unknown$', messages[1].text, 'usage')
  end
end)

test('the first question after the host died goes to a new host and a new conversation', function()
  fresh()
  vim.cmd('BedrockAsk hello')
  wait_idle()
  local client = bedrock.client()
  vim.loop.kill(client.rpc.pid, 'sigkill')
  wait_for('the host to exit', function()
    return client.exited
  end)
  vim.cmd('BedrockAsk are you back')
  wait_idle()
  local lines = chat_lines()
  eq('[bedrock-host restarted; the next question starts a new conversation]', lines[7], 'restart note')
  eq({ '', '## You', 'are you back', '', '## Bedrock (sonnet)', 'You said: are you back' }, vim.list_slice(lines, 8, 13), 'answer')
  matches(SUMMARY, lines[14], 'summary')
end)

test('tools refuse paths that leave the workspace: .., absolute, symlinks (read, edit, list, search)', function()
  local root = fresh()
  local outside = vim.fn.tempname()
  vim.fn.mkdir(outside, 'p')
  write_file(outside .. '/secret.txt', { 'the secret' })
  vim.loop.fs_symlink(outside, root .. '/outside')
  vim.loop.fs_symlink(outside .. '/secret.txt', root .. '/link.txt')
  write_file(root .. '/inside.txt', { 'nothing here' })
  local tools = require('bedrock.tools')
  for _, path in ipairs({ 'outside/secret.txt', 'link.txt', '../' .. vim.fn.fnamemodify(outside, ':t') .. '/secret.txt', outside .. '/secret.txt' }) do
    local result
    tools.handle({ root = root, confirm = function() error('asked to confirm') end }, { name = 'read_file', input = { path = path } }, function(r)
      result = r
    end)
    eq('error', result.status, path .. ': ' .. vim.inspect(result))
    matches('outside the workspace', result.content[1].text, path)
  end
  for _, glob in ipairs({ '../*', '../**/*', '*/../../*', outside .. '/*' }) do
    local result
    tools.handle({ root = root }, { name = 'list_files', input = { glob = glob } }, function(r)
      result = r
    end)
    eq('success', result.status, glob)
    if result.content[1].text:find('secret', 1, true) then
      error('list_files ' .. glob .. ' listed a file outside: ' .. result.content[1].text)
    end
  end
  vim.cmd('BedrockAsk read outside')
  wait_idle()
  matches('^Tool result received: read_file failed: "path" "outside/secret%.txt" leads outside the workspace', chat_lines()[6], 'read_file through a symlinked dir')
  consent = true
  vim.cmd('BedrockNew')
  vim.cmd('BedrockAsk edit outside')
  wait_idle()
  consent = false
  eq({}, proposals, 'no edit proposed outside')
  eq({ 'the secret' }, vim.fn.readfile(outside .. '/secret.txt'), 'the outside file')
  vim.cmd('BedrockNew')
  vim.cmd('BedrockAsk list everything')
  wait_idle()
  eq('Tool result received: inside.txt', chat_lines()[6], 'list_files shows only real workspace files')
  vim.cmd('BedrockNew')
  vim.cmd('BedrockAsk search the secret')
  wait_idle()
  eq('Tool result received: No matches for "secret".', chat_lines()[6], 'search_workspace does not read through symlinks')
end)

test(':BedrockEdit whose answer changes nothing says so and asks nothing', function()
  fresh()
  vim.cmd('enew')
  vim.bo.filetype = 'typescript'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'const answer = 42;' })
  local messages = capture_notify(function()
    vim.cmd('1BedrockEdit use 42')
    wait_idle()
    vim.wait(200)
  end)
  eq({}, proposals, 'proposals')
  matches('changes nothing', messages[#messages].text, 'message')
end)

test('the in-editor review: hunk headers count lines of the file; ga / gr decide each hunk', function()
  local root = fresh({ confirm_edit = false })
  bedrock.config.confirm_edit = nil
  vim.cmd('enew')
  vim.bo.filetype = 'typescript'
  local code = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(code, 0, -1, false, { '// header', '', '', 'const answer = 41;', '// footer' })
  vim.cmd('4BedrockEdit use 42')
  wait_for('the review buffer', function()
    return #require('bedrock.review').buffers() == 1
  end)
  local review = require('bedrock.review').buffers()[1]
  eq(review, vim.api.nvim_get_current_buf(), 'the review has the focus')
  local lines = vim.api.nvim_buf_get_lines(review, 0, -1, false)
  eq('@@ -4,1 +4,1 @@', lines[4], 'hunk header in file lines')
  eq({ ' // header', ' ', ' ', '-const answer = 41;', '+const answer = 42;', ' // footer' }, vim.list_slice(lines, 5, 10), 'hunk')
  vim.cmd('normal ga')
  eq(false, vim.api.nvim_buf_is_valid(review), 'the review closed')
  eq({ '// header', '', '', 'const answer = 42;', '// footer' }, vim.api.nvim_buf_get_lines(code, 0, -1, false), 'accepted')

  -- propose_edit with two hunks: the first accepted, the second rejected.
  write_file(root .. '/b.txt', { '1', '2', '3', '4', '5', '6', '7', '8', '9', '10' })
  vim.cmd('BedrockAsk two changes')
  wait_for('the review of b.txt', function()
    return #require('bedrock.review').buffers() == 1
  end)
  review = require('bedrock.review').buffers()[1]
  lines = vim.api.nvim_buf_get_lines(review, 0, -1, false)
  eq('Proposed change to b.txt: two words', lines[1], 'title')
  eq('@@ -2,1 +2,1 @@', lines[4], 'first hunk')
  if not vim.tbl_contains(lines, '@@ -9,1 +9,1 @@') then
    error('no second hunk: ' .. vim.inspect(lines))
  end
  eq(true, bedrock.busy(), 'the turn waits for the review')
  vim.cmd('normal ga')
  eq(true, vim.api.nvim_buf_is_valid(review), 'one hunk still to decide')
  vim.cmd('normal gr')
  wait_idle()
  eq({ '1', 'TWO', '3', '4', '5', '6', '7', '8', '9', '10' }, vim.fn.readfile(root .. '/b.txt'), 'b.txt')
  if not vim.tbl_contains(chat_lines(), 'Tool result received: The user accepted 1 of 2 changes; b.txt was updated (read it to see what it holds now).') then
    error('no tool result: ' .. vim.inspect(chat_lines()))
  end
  -- :BedrockStop while a review is open closes it; the file stays.
  write_file(root .. '/b.txt', { '1', '2', '3', '4', '5', '6', '7', '8', '9', '10' })
  vim.cmd('BedrockAsk two changes')
  wait_for('another review', function()
    return #require('bedrock.review').buffers() == 1
  end)
  vim.cmd('BedrockStop')
  eq({}, require('bedrock.review').buffers(), 'no review after the stop')
  wait_idle()
  eq('2', vim.fn.readfile(root .. '/b.txt')[2], 'b.txt untouched')
end)

test('changing the model keeps the conversation going, its history sent to the new model', function()
  fresh()
  vim.cmd('BedrockAsk remember 7')
  wait_idle()
  local first = bedrock.conversation_id()
  vim.cmd('BedrockModel haiku')
  eq('[model haiku from here on; the conversation goes on with its history]', chat_lines()[7], 'note')
  vim.cmd('BedrockAsk what number')
  wait_idle()
  local second = bedrock.conversation_id()
  if second == first then
    error('the old conversation (under the old model) got the question')
  end
  local conversation = sync('conversation/get', { conversationId = second })
  matches('haiku', conversation.modelId, 'modelId')
  eq(4, #conversation.messages, 'the history came along')
  eq('remember 7', conversation.messages[1].content[1].text, 'first question')
  eq('## Bedrock (haiku)', chat_lines()[12], 'header')
end)

-- The chat window.

test('a question typed in the chat buffer is sent with <CR>; the input area empties', function()
  fresh()
  vim.cmd('BedrockChat')
  local buf = chat.bufnr()
  eq(buf, vim.api.nvim_get_current_buf(), ':BedrockChat goes to the chat')
  vim.cmd('wincmd p')
  vim.cmd('BedrockChat')
  eq(buf, vim.api.nvim_get_current_buf(), ':BedrockChat goes to the open chat')
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { 'typed in', 'the buffer' })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes('<CR>', true, false, true), 'x', false)
  wait_idle()
  local lines = chat_lines()
  eq({ '## You', 'typed in', 'the buffer', '', '## Bedrock (sonnet)' }, vim.list_slice(lines, 1, 5), 'sent')
  matches('^You said: typed in', lines[6], 'answer')
  eq('', lines[#lines], 'empty input line')
  -- <C-s> in insert mode.
  vim.api.nvim_buf_set_lines(buf, #lines - 1, -1, false, { 'second one' })
  vim.api.nvim_win_set_cursor(0, { #lines, 0 })
  vim.api.nvim_feedkeys('A' .. vim.api.nvim_replace_termcodes('<C-s>', true, false, true), 'x', false)
  wait_idle()
  if not vim.tbl_contains(chat_lines(), 'You said: second one') then
    error('<C-s> did not send: ' .. vim.inspect(chat_lines()))
  end
  vim.cmd('close')
end)

test('after an answer the cursor rests on the input line: `i`, a question, <Esc>, <CR> sends it', function()
  fresh()
  vim.cmd('BedrockChat')
  local win = vim.api.nvim_get_current_win()
  local keys = function(text)
    vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(text, true, false, true), 'x', false)
  end
  keys('ifirst question<Esc><CR>')
  wait_idle()
  local lines = chat_lines()
  eq(#lines, vim.api.nvim_win_get_cursor(win)[1], 'the cursor is on the empty input line')
  keys('isecond question<Esc><CR>')
  wait_idle()
  lines = chat_lines()
  if not vim.tbl_contains(lines, 'You said: second question') then
    error('the question typed where the cursor rested was not sent: ' .. vim.inspect(lines))
  end
  eq(1, #vim.tbl_filter(function(line)
    return line == 'second question'
  end, lines), 'the question shows once, under ## You, not glued into the transcript')
  vim.cmd('close')
end)

test('while an answer streams, a window scrolled back stays put; a following one moves', function()
  fresh()
  vim.cmd('BedrockAsk hello')
  wait_idle()
  vim.cmd('BedrockChat')
  local win = vim.api.nvim_get_current_win()
  vim.cmd('BedrockAsk tell me a long story')
  wait_for('streaming', function()
    return (chat_lines()[12] or '') ~= ''
  end)
  local at_end = vim.api.nvim_win_get_cursor(win)[1]
  eq(12, at_end, 'the following cursor is on the streaming line')
  vim.api.nvim_win_set_cursor(win, { 2, 0 })
  local text = chat_lines()[12]
  wait_for('more deltas', function()
    return chat_lines()[12] ~= text
  end)
  eq(2, vim.api.nvim_win_get_cursor(win)[1], 'cursor where the user put it')
  vim.cmd('BedrockStop')
  wait_idle()
  vim.cmd('close')
end)

test(':BedrockNew shows the new question at the top of the window', function()
  fresh()
  for i = 1, 8 do
    vim.cmd('BedrockAsk question ' .. i)
    wait_idle()
  end
  vim.cmd('BedrockChat')
  local win = vim.api.nvim_get_current_win()
  vim.cmd('normal! G')
  vim.cmd('BedrockNew')
  vim.cmd('BedrockAsk fresh start')
  wait_idle()
  eq(1, vim.fn.getwininfo(win)[1].topline, 'topline')
  vim.cmd('close')
end)

test('the chat window is not left showing only ~ after a split below it closes', function()
  fresh({ layout = 'split', height = 8 })
  for i = 1, 6 do
    vim.cmd('BedrockAsk question ' .. i)
    wait_idle()
  end
  local win = chat.window()
  vim.api.nvim_set_current_win(win)
  vim.cmd('belowright 4split')
  vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(chat.bufnr()), 0 })
  vim.api.nvim_win_call(win, function()
    vim.cmd('normal! zt')
  end)
  vim.cmd('close')
  vim.wait(100)
  local info = vim.fn.getwininfo(win)[1]
  local shown = vim.api.nvim_buf_line_count(chat.bufnr()) - info.topline + 1
  if shown < info.height then
    error(string.format('the window shows %d lines of %d (topline %d)', shown, info.height, info.topline))
  end
  vim.api.nvim_win_close(win, true)
end)

test('layout = "float" opens the chat in a floating window', function()
  fresh({ layout = 'float' })
  vim.cmd('BedrockChat')
  local win = vim.api.nvim_get_current_win()
  eq(chat.bufnr(), vim.api.nvim_win_get_buf(win), 'buffer')
  eq('editor', vim.api.nvim_win_get_config(win).relative, 'floating')
  vim.api.nvim_win_close(win, true)
end)

-- Context, commands, several chats.

test('#file: and /explain attach workspace text; an unknown command is named', function()
  local root = fresh()
  write_file(root .. '/notes.txt', { 'alpha beta' })
  vim.cmd('BedrockAsk summarize #file:notes.txt')
  wait_idle()
  local conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  eq('summarize #file:notes.txt\n\n#file:notes.txt:\n```txt\nalpha beta\n```', conversation.messages[1].content[1].text, 'sent text')
  eq('summarize #file:notes.txt', chat_lines()[2], 'the chat shows what was typed')
  vim.cmd('edit ' .. root .. '/notes.txt')
  vim.cmd('BedrockAsk /explain')
  wait_idle()
  conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  matches('^Explain what the code in #buffer does.-```text\nalpha beta\n```$', conversation.messages[3].content[1].text, '/explain')
  local messages = capture_notify(function()
    vim.cmd('BedrockAsk /nope')
  end)
  eq('bedrock: unknown command /nope; the commands are /doc, /explain, /fix, /tests', messages[1].text, 'unknown command')
  messages = capture_notify(function()
    vim.cmd('BedrockAsk see #file:../x')
  end)
  matches('#file:%.%./x: "path" "%.%./x" is outside the workspace', messages[1].text, 'mention outside')
  vim.cmd('bwipeout!')
end)

test(':BedrockRegenerate and :BedrockResend fork before the last question', function()
  fresh()
  vim.cmd('BedrockAsk first question')
  wait_idle()
  vim.cmd('BedrockAsk second question')
  wait_idle()
  local original = bedrock.conversation_id()
  vim.cmd('BedrockRegenerate')
  wait_idle()
  local regenerated = bedrock.conversation_id()
  if regenerated == original then
    error('no fork')
  end
  local conversation = sync('conversation/get', { conversationId = regenerated })
  eq(4, #conversation.messages, 'messages of the fork')
  eq('second question', conversation.messages[3].content[1].text, 'the last question again')
  eq(4, #sync('conversation/get', { conversationId = original }).messages, 'the original is unchanged')
  vim.cmd('BedrockResend a better question')
  wait_idle()
  conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  eq('a better question', conversation.messages[3].content[1].text, 'the edited question')
  eq('You said: a better question', chat_lines()[#chat_lines() - 3], 'answer')
end)

test('with storage_dir, :BedrockHistory brings back a conversation of an earlier host', function()
  local storage = vim.fn.tempname()
  fresh({ storage_dir = storage })
  vim.cmd('BedrockAsk remember the number 7')
  wait_idle()
  local id = bedrock.conversation_id()
  bedrock.reset()
  vim.wait(300)
  fresh({ storage_dir = storage })
  local select = vim.ui.select
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(opts.format_item, items)
    on_choice(items[1])
  end
  vim.cmd('BedrockHistory')
  wait_for('the history', function()
    return offered ~= nil and bedrock.conversation_id() == id
  end)
  vim.ui.select = select
  matches('^remember the number 7  %(sonnet, 1 turns, ', offered[1], 'listed')
  eq({ '## You', 'remember the number 7', '', '## Bedrock (sonnet)', 'You said: remember the number 7' }, vim.list_slice(chat_lines(), 1, 5), 'transcript')
  vim.cmd('BedrockAsk and now')
  wait_idle()
  eq(4, #sync('conversation/get', { conversationId = id }).messages, 'continued the same conversation')
end)


test('gy yanks the code block under the cursor; gp puts it into the file buffer used last', function()
  local root = fresh()
  write_file(root .. '/x.lua', { '-- top', '-- bottom' })
  vim.cmd('edit ' .. root .. '/x.lua')
  vim.cmd('BedrockAsk give me code')
  wait_idle()
  vim.cmd('BedrockChat')
  local lines = chat_lines()
  local row = nil
  for i, line in ipairs(lines) do
    if line == 'print(2)' then
      row = i
    end
  end
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.fn.setreg('"', 'nothing')
  vim.cmd('normal gy')
  eq('print(1)\nprint(2)\n', vim.fn.getreg('"'), 'register')
  vim.api.nvim_set_current_win(vim.fn.bufwinid(chat.bufnr()))
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.cmd('normal gp')
  eq({ '-- top', 'print(1)', 'print(2)', '-- bottom' }, vim.api.nvim_buf_get_lines(vim.fn.bufnr(root .. '/x.lua'), 0, -1, false), 'x.lua')
  vim.cmd('silent! only')
  vim.cmd('bwipeout!')
end)

test(":'<,'>BedrockAsk sends the selected lines with the question", function()
  fresh()
  vim.cmd('enew')
  vim.bo.filetype = 'lua'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, { 'local a = 1', 'local b = 2', 'local c = 3' })
  vim.cmd('2,3BedrockAsk what do these do')
  wait_idle()
  eq({ '## You', 'what do these do', '(with lines 2-3 of an unnamed buffer)' }, vim.list_slice(chat_lines(), 1, 3), 'chat')
  local conversation = sync('conversation/get', { conversationId = bedrock.conversation_id() })
  eq('what do these do\n\nlines 2-3 of an unnamed buffer:\n```lua\nlocal b = 2\nlocal c = 3\n```', conversation.messages[1].content[1].text, 'sent')
  vim.cmd('bwipeout!')
end)
local passed, failed = 0, 0
for _, t in ipairs(tests) do
  local ok, err = pcall(t.fn)
  if ok then
    passed = passed + 1
    out('ok - ' .. t.name)
  else
    failed = failed + 1
    out('not ok - ' .. t.name .. '\n    ' .. tostring(err):gsub('\n', '\n    '))
  end
end
bedrock.reset()
out(string.format('%d passed, %d failed', passed, failed))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
