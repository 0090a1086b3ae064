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
  eq(7, #lines, 'line count')
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
  eq({ '## Bedrock (sonnet)', 'Reading it.', '[tool: read_file]', 'Tool result received: alpha beta' }, vim.list_slice(lines, 4, 7), 'chat')
  matches(SUMMARY, lines[8], 'summary line')
end)

test('search_workspace hits reach the model', function()
  local root = fresh()
  write_file(root .. '/hay.txt', { 'hay', 'the needle is here', 'hay' })
  vim.cmd('BedrockAsk find the needle')
  wait_idle()
  eq({ '[tool: search_workspace]', 'Tool result received: hay.txt:2: the needle is here' }, vim.list_slice(chat_lines(), 5, 6), 'chat')
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
  eq({ path = 'an unnamed buffer', before = 'const answer = 41;\n', after = 'const answer = 42;\n', description = 'use 42' }, proposals[1], 'proposal')
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

test('a missing binary is reported with the option to fix', function()
  fresh({ binary = '/nonexistent/bedrock-host' })
  local ok, err = pcall(vim.cmd, 'BedrockAsk hi')
  eq(false, ok, 'BedrockAsk succeeded')
  matches('cannot run "/nonexistent/bedrock%-host"; set `binary`', tostring(err), 'error')
end)

test('a host that fails to initialize ends the turn with its reason in the chat', function()
  local bad_script = home .. '/bad-script.json'
  vim.fn.writefile({ '{"rules": [{"when": {"operation": 3}}]}' }, bad_script)
  fresh({ emulator_script = bad_script })
  vim.cmd('BedrockAsk hi')
  wait_idle()
  matches('^%[error: bedrock%-host did not start: .*emulator script .*bad%-script%.json is not valid', chat_lines()[5], 'error note')
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
