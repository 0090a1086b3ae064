-- bedrock.nvim: chat with Amazon Bedrock models through bedrock-host (docs/protocol.md).
-- This module owns the configuration and the session; client.lua speaks JSON-RPC, tools.lua
-- answers tool calls, chat.lua renders the chat buffer.
local client_mod = require('bedrock.client')
local tools = require('bedrock.tools')
local chat = require('bedrock.chat')

local M = {}

M.defaults = {
  -- Path of the bedrock-host executable (a bare name is looked up on $PATH).
  binary = 'bedrock-host',
  -- AWS region, profile and Bedrock endpoint; nil leaves them to the AWS chain.
  region = nil,
  profile = nil,
  endpoint_url = nil,
  -- Model for new conversations: model id, inference-profile id, ARN or alias.
  model = 'sonnet',
  -- Use bedrock-host's built-in Bedrock emulator (no AWS account; canned answers).
  emulator = false,
  -- Emulator script (the emulator's "Scripts" format); only with `emulator`.
  emulator_script = nil,
  -- Default guardrail for every call: { identifier = 'gr-…', version = '1' }.
  guardrail = { identifier = nil, version = 'DRAFT' },
  -- Workspace root the tools see; nil: the current directory when the host starts.
  root = nil,
  -- Decides a proposed edit: fn({path, before, after, description}) -> boolean.
  -- nil: review it in the editor, hunk by hunk (ga accept, gr reject; see :help bedrock-review).
  confirm_edit = nil,
  -- Where the chat window opens: 'vertical' (right), 'split' (below) or 'float'; and its size.
  layout = 'vertical',
  width = nil,
  height = nil,
  -- Directory where the host keeps conversations (HostOptions storageDir): chats survive
  -- restarts and :BedrockHistory lists them. nil: conversations live as long as the host.
  storage_dir = nil,
  system = 'You are a coding assistant inside Neovim. Use the tools to read and search the workspace; '
    .. 'propose edits with propose_edit.',
}

M.config = vim.deepcopy(M.defaults)

-- <CR> / <C-s> in the chat buffer send what the user typed there.
chat.on_submit = function(text)
  return M.submit(text)
end

-- The running host and the chat's conversation; nil until first use.
local session = { client = nil, conversation_id = nil, turn = nil }

local function apply_layout()
  chat.layout = M.config.layout
  chat.width = M.config.width
  chat.height = M.config.height
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  local layouts = { vertical = true, split = true, float = true }
  if not layouts[M.config.layout] then
    vim.notify(string.format('bedrock: layout %q is not one of vertical, split, float; using vertical', tostring(M.config.layout)), vim.log.levels.WARN)
    M.config.layout = 'vertical'
  end
  apply_layout()
  M.reset()
  -- Model completions as a completion source (lua/bedrock/completion.lua); off unless `completion` is set.
  require('bedrock.completion').setup(M.config)
end

--- Stops the host (a new one starts on next use, with the current config).
function M.reset()
  if session.client then
    session.client:stop()
  end
  session = { client = nil, conversation_id = nil, turn = nil }
end

--- Decides `edit`: the `confirm_edit` option (a boolean answer) or the in-editor review.
--- `done(text|nil, stats)` gets the text to write (nil: nothing accepted).
local function confirm(edit, done)
  if M.config.confirm_edit then
    local ok, answer = pcall(M.config.confirm_edit, edit)
    done(ok and answer == true and edit.after or nil, nil)
    return
  end
  require('bedrock.review').open(edit, done)
end

local function on_notification(method, params)
  local turn = session.turn
  if method == 'converse/retry' then
    local text = string.format('retrying after %s (attempt %d, in %d ms)', params.errorCode, params.attempt, params.delayMs)
    if turn and turn.request.id == params.requestId then
      chat.note(text)
    end
    vim.notify('bedrock: ' .. text, vim.log.levels.WARN)
    return
  end
  if not turn or turn.request.id ~= params.requestId then
    return -- a stopped turn's late events, or another request's
  end
  if method == 'converse/event' then
    turn.on_event(params)
  elseif method == 'converse/guardrail' then
    chat.note('guardrail intervened: ' .. tostring(params.stopReason))
    vim.notify('bedrock: a guardrail intervened', vim.log.levels.WARN)
  end
end

--- The running client, started on first use.
function M.client()
  if session.client and not session.client.exited then
    return session.client
  end
  local root = M.config.root or vim.fn.getcwd()
  local owner = session
  -- A new host knows the old one's conversations only when they were stored on disk.
  if session.conversation_id and not M.config.storage_dir then
    session.conversation_id = nil
    if session.client then
      chat.note('bedrock-host restarted; the next question starts a new conversation')
    end
  end
  session.client = client_mod.start(M.config, {
    tools = tools.definitions,
    notification = on_notification,
    tool_call = function(params, respond)
      if owner.turn then
        chat.note('tool: ' .. tools.describe(params))
      end
      tools.handle({ root = root, confirm = confirm }, params, respond)
    end,
    on_exit = function(code)
      -- Unanswered requests get no callback once the process is gone: end the turn here
      -- (only this host's: after setup() a new session may already be running).
      if owner.turn then
        owner.turn = nil
        require('bedrock.review').close_all()
        chat.note('bedrock-host exited (code ' .. tostring(code) .. ')')
      end
      if code ~= 0 then
        vim.notify('bedrock: bedrock-host exited with code ' .. tostring(code), vim.log.levels.WARN)
      end
    end,
  })
  return session.client
end

--- True while a turn is streaming, or a stopped one has not been answered yet (the host
--- runs one turn per conversation at a time).
function M.busy()
  return session.turn ~= nil or (session.stopped ~= nil and not session.stopped.answered)
end

local function format_error(err)
  local message = tostring(err.message or err)
  if type(err.data) == 'table' and err.data.hint then
    message = message .. ' (' .. err.data.hint .. ')'
  end
  return message
end

--- Runs one turn of `conversation` (created on demand), streaming text to `on_text` (nil when a
--- new model call starts after tool results); `on_done(err, result)` runs once, unless stopped.
local function run_turn(conversation, content, on_text, on_done)
  local client = M.client()
  local function send(conversation_id)
    local turn = { iteration = 1 }
    turn.on_event = function(p)
      if p.iteration ~= turn.iteration then
        turn.iteration = p.iteration
        on_text(nil)
      end
      local event = p.event
      if event.contentBlockDelta and event.contentBlockDelta.delta.text then
        on_text(event.contentBlockDelta.delta.text)
      end
    end
    turn.request = client:request('conversation/send', { conversationId = conversation_id, content = content, stream = true }, function(err, result)
      if session.turn ~= turn then
        return
      end
      session.turn = nil
      on_done(err, result)
    end)
    session.turn = turn
  end
  if conversation.id then
    send(conversation.id)
    return
  end
  -- The host offers every registered tool when `tools` is absent; a tool-less conversation
  -- (:BedrockEdit) sends an empty list (an empty Lua table is encoded as `[]`).
  local params = { modelId = M.config.model, system = conversation.system, tools = conversation.tools or {} }
  -- Creating the conversation is part of the turn: :BedrockStop during it abandons the turn.
  local creating = { on_event = function() end }
  session.turn = creating
  creating.request = client:request('conversation/create', params, function(err, result)
    if session.turn ~= creating then
      return
    end
    session.turn = nil
    if err then
      on_done(err, nil)
      return
    end
    conversation.on_created(result.conversationId)
    send(result.conversationId)
  end)
end

--- A cost in dollars; the host sends null (nil here) for a model the catalog cannot price.
local function cost(usd)
  if type(usd) ~= 'number' then
    return 'cost unknown'
  end
  return string.format('$%.5f', usd)
end

local function summary(result)
  local usage = result.usage or {}
  return string.format('%s · %d tokens · %s', tostring(result.stopReason), tonumber(usage.totalTokens) or 0, cost(result.costUsd))
end

--- Starts the host if needed; on failure says why (no stack trace) and answers nil.
local function ensure_client()
  local ok, client = pcall(M.client)
  if not ok then
    vim.notify(tostring(client), vim.log.levels.ERROR)
    return nil
  end
  return client
end

-- The last buffer the user worked in that is a file (not the chat or a review): `#buffer`.
local code_buffer = nil
vim.api.nvim_create_autocmd('BufEnter', {
  group = vim.api.nvim_create_augroup('bedrock_context', { clear = true }),
  callback = function(args)
    if vim.bo[args.buf].buftype == '' and vim.api.nvim_buf_get_name(args.buf) ~= '' then
      code_buffer = args.buf
    end
  end,
})

chat.target_buffer = function()
  if code_buffer and vim.api.nvim_buf_is_valid(code_buffer) then
    return code_buffer
  end
  return nil
end

local function name_of(bufnr)
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.')
  return name ~= '' and name or 'an unnamed buffer'
end

local function filetype_of(bufnr)
  local ft = vim.bo[bufnr].filetype
  return ft ~= '' and ft or 'text'
end

local function fenced(label, ft, text)
  return string.format('%s:\n```%s\n%s\n```', label, ft, (text:gsub('\n$', '')))
end

-- Slash commands: a prompt starting with one of these is sent as the longer instruction
-- (what follows the command is added); the chat shows what the user typed.
M.slash_commands = {
  explain = 'Explain what the code in #buffer does, briefly and precisely.',
  fix = 'Find the bugs in #buffer and fix them; propose each change with propose_edit.',
  tests = 'Write unit tests for the code in #buffer, in the style and framework the project already uses.',
  doc = 'Write documentation comments for the public functions in #buffer; propose them with propose_edit.',
}

--- The prompt the model gets for `prompt` as typed: a slash command expanded, then each
--- `#buffer` (the file buffer used last) and `#file:path` (a workspace file) attached.
--- Errors name the mention that could not be read.
function M.expand(prompt)
  local command, rest = prompt:match('^/(%w+)%s*(.*)$')
  if command then
    local template = M.slash_commands[command]
    if not template then
      local names = vim.tbl_keys(M.slash_commands)
      table.sort(names)
      error(string.format('unknown command /%s; the commands are /%s', command, table.concat(names, ', /')), 0)
    end
    prompt = template .. (rest ~= '' and ('\n' .. rest) or '')
  end
  local attachments, seen = {}, {}
  local root = M.config.root or vim.fn.getcwd()
  for mention in prompt:gmatch('#file:([^%s]+)') do
    if not seen[mention] then
      seen[mention] = true
      local ok, text = pcall(tools.handle_read, root, mention)
      if not ok then
        error('#file:' .. mention .. ': ' .. tostring(text), 0)
      end
      table.insert(attachments, fenced('#file:' .. mention, vim.fn.fnamemodify(mention, ':e'), text))
    end
  end
  if prompt:find('#buffer', 1, true) then
    local buf = code_buffer
    if not (buf and vim.api.nvim_buf_is_valid(buf)) then
      error('#buffer: no file buffer has been used yet; open the file first', 0)
    end
    local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
    table.insert(attachments, fenced('#buffer (' .. name_of(buf) .. ')', filetype_of(buf), text))
  end
  if #attachments == 0 then
    return prompt
  end
  return prompt .. '\n\n' .. table.concat(attachments, '\n\n')
end

--- Sends `prompt` in the chat conversation; the answer streams into the chat buffer.
--- Answers false when nothing was sent (busy, the host cannot start, a bad mention).
--- `selection`: { bufnr, line1, line2 } whose lines are attached (`:'<,'>BedrockAsk`).
function M.ask(prompt, selection)
  if M.busy() then
    vim.notify('bedrock: still answering; :BedrockStop first', vim.log.levels.WARN)
    return false
  end
  local ok, content = pcall(M.expand, prompt)
  if not ok then
    vim.notify('bedrock: ' .. tostring(content), vim.log.levels.ERROR)
    return false
  end
  if selection then
    local bufnr, line1, line2 = selection[1], selection[2], selection[3]
    local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false), '\n')
    local label = string.format('lines %d-%d of %s', line1, line2, name_of(bufnr))
    content = content .. '\n\n' .. fenced(label, filetype_of(bufnr), text)
    prompt = prompt .. '\n(with ' .. label .. ')'
  end
  -- The host first: a restarted one does not know the old conversation id.
  if not ensure_client() then
    return false
  end
  chat.open()
  chat.user(prompt)
  chat.assistant(M.config.model)
  local conversation = {
    id = session.conversation_id,
    system = M.config.system,
    tools = 'all',
    on_created = function(id)
      session.conversation_id = id
    end,
  }
  session.last_prompt = prompt
  run_turn(conversation, content, function(text)
    if text then
      chat.append(text)
    else
      chat.paragraph()
    end
  end, function(err, result)
    if err then
      chat.note('error: ' .. format_error(err))
    else
      chat.note(summary(result))
    end
    chat.rest()
  end)
  return true
end

--- Cancels the streaming turn: `$/cancelRequest`, and the chat says it stopped.
function M.stop()
  local turn = session.turn
  if not turn then
    return false
  end
  session.turn = nil
  session.stopped = turn.request
  session.client:cancel(turn.request)
  require('bedrock.review').close_all()
  chat.note('stopped')
  chat.rest()
  return true
end

function M.new_conversation()
  M.stop()
  session.conversation_id = nil
  chat.clear()
end

--- The chat conversation's id (nil before the first turn).
function M.conversation_id()
  return session.conversation_id
end

local function text_of(message)
  local parts = {}
  for _, block in ipairs(message.content or {}) do
    if type(block.text) == 'string' then
      table.insert(parts, block.text)
    end
  end
  return table.concat(parts, '\n')
end

-- The index (0-based message count before it) of the last user message that is a question
-- (has text), and that text.
local function last_question(messages)
  for i = #messages, 1, -1 do
    local m = messages[i]
    if m.role == 'user' and text_of(m) ~= '' then
      return i - 1, text_of(m)
    end
  end
  return nil
end

--- Continues from a copy of the conversation cut before its last question
--- (`conversation/fork`), then sends `prompt` there: regenerate (the same question) and
--- edit-and-resend (a changed one). The original conversation stays as it was.
local function resend(prompt)
  if M.busy() then
    vim.notify('bedrock: still answering; :BedrockStop first', vim.log.levels.WARN)
    return false
  end
  local id = session.conversation_id
  local client = ensure_client()
  if not client or not session.conversation_id then
    vim.notify('bedrock: no conversation to resend in yet; ask first', vim.log.levels.WARN)
    return false
  end
  local conversation, err = client:request_sync('conversation/get', { conversationId = id })
  if err then
    vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
    return false
  end
  local count, text = last_question(conversation.messages or {})
  if not count then
    vim.notify('bedrock: the conversation has no question to resend', vim.log.levels.WARN)
    return false
  end
  local fork, fork_err = client:request_sync('conversation/fork', { conversationId = id, messageCount = count })
  if fork_err then
    vim.notify('bedrock: ' .. format_error(fork_err), vim.log.levels.ERROR)
    return false
  end
  session.conversation_id = fork.conversationId
  chat.note(prompt and 'edited and resent (a copy of the conversation before the last question)' or 'regenerating (a copy of the conversation before the last question)')
  return M.ask(prompt or session.last_prompt or text)
end

--- :BedrockRegenerate: a new answer to the last question.
function M.regenerate()
  return resend(nil)
end

--- :BedrockResend {prompt}: replaces the last question with `prompt` and asks again;
--- without `prompt`, puts the last question in the chat's input area to edit (then <CR>).
function M.edit_last(prompt)
  if prompt and prompt ~= '' then
    return resend(prompt)
  end
  if not session.last_prompt then
    vim.notify('bedrock: no question to edit yet', vim.log.levels.WARN)
    return false
  end
  local buf = chat.bufnr()
  local win = chat.open(true)
  chat.clear_input()
  local lines = vim.split(session.last_prompt, '\n', { plain = true })
  local start = #chat.transcript()
  vim.api.nvim_buf_set_lines(buf, start, -1, false, lines)
  vim.api.nvim_win_set_cursor(win, { start + 1, 0 })
  session.resend_next = true
  vim.notify('bedrock: edit the question, then <CR> asks it again (in a copy of the conversation)')
  return true
end

--- What <CR> in the chat sends: a question, or the edited last question after :BedrockResend.
function M.submit(text)
  if session.resend_next then
    session.resend_next = nil
    return resend(text)
  end
  return M.ask(text)
end

--- :BedrockHistory: pick a conversation of this host (with `storage_dir`: of earlier
--- sessions too) and continue it in the chat, its transcript shown again.
function M.history()
  local client = ensure_client()
  if not client then
    return
  end
  client:request('conversation/list', vim.empty_dict(), function(err, result)
    if err then
      vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
      return
    end
    if #result.conversations == 0 then
      vim.notify('bedrock: no conversations yet')
      return
    end
    vim.ui.select(result.conversations, {
      prompt = 'Bedrock conversation',
      format_item = function(c)
        return string.format('%s  (%s, %d turns, %s)', c.title, c.modelId, c.turns, c.updatedAt)
      end,
    }, function(choice)
      if choice then
        M.resume(choice.conversationId)
      end
    end)
  end)
end

--- Shows conversation `id` in the chat and makes it the one questions go to.
function M.resume(id)
  local client = ensure_client()
  if not client or M.busy() then
    return false
  end
  local conversation, err = client:request_sync('conversation/get', { conversationId = id })
  if err then
    vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
    return false
  end
  session.conversation_id = id
  chat.clear()
  chat.open()
  for _, message in ipairs(conversation.messages or {}) do
    local text = text_of(message)
    if message.role == 'user' and text ~= '' then
      chat.user(text)
      session.last_prompt = text
    elseif message.role == 'assistant' then
      chat.assistant(conversation.modelId)
      if text ~= '' then
        chat.append(text)
      end
      for _, block in ipairs(message.content or {}) do
        if block.toolUse then
          chat.note('tool: ' .. tools.describe({ name = block.toolUse.name, input = block.toolUse.input }))
        end
      end
      chat.paragraph()
    end
  end
  chat.note(string.format('conversation %s · %s', conversation.title or id, cost(conversation.costUsd)))
  return true
end

function M.explain(bufnr, line1, line2)
  local code = table.concat(vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false), '\n')
  local ft = filetype_of(bufnr)
  local name = name_of(bufnr)
  M.ask(string.format('Explain what this %s code from %s does, briefly and precisely:\n\n```%s\n%s\n```', ft, name, ft, code))
end

--- The first fenced block's body, or the whole answer when the model did not fence it.
function M.extract_code(answer)
  local body = answer:match('```[^\n]*\n(.-)\n?```')
  local code = body or vim.trim(answer)
  return code ~= '' and code or nil
end

--- Rewrites lines line1..line2 of `bufnr` per `instruction`: a tool-less conversation answers,
--- the change is reviewed (hunk headers count lines of the whole buffer), and the buffer
--- changes only as far as accepted.
function M.edit(bufnr, line1, line2, instruction)
  if M.busy() then
    vim.notify('bedrock: still answering; :BedrockStop first', vim.log.levels.WARN)
    return
  end
  if not ensure_client() then
    return
  end
  local original = vim.api.nvim_buf_get_lines(bufnr, line1 - 1, line2, false)
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local ft = filetype_of(bufnr)
  local name = name_of(bufnr)
  local prompt = string.format(
    'Rewrite this %s code from %s as follows: %s\nAnswer with the complete replacement code in one fenced code block and nothing else.\n\n```%s\n%s\n```',
    ft, name, instruction, ft, table.concat(original, '\n'))
  local answer = {}
  local conversation = { on_created = function() end }
  vim.notify('bedrock: editing…')
  run_turn(conversation, prompt, function(text)
    table.insert(answer, text or '\n')
  end, function(err)
    if err then
      vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
      return
    end
    local code = M.extract_code(table.concat(answer))
    if not code then
      vim.notify('bedrock: the answer has no code; nothing to apply', vim.log.levels.WARN)
      return
    end
    local replacement = vim.split(code, '\n', { plain = true })
    if vim.deep_equal(replacement, original) then
      vim.notify('bedrock: the answer changes nothing in lines ' .. line1 .. '-' .. line2)
      return
    end
    local all = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    local changed = vim.list_slice(all, 1, line1 - 1)
    vim.list_extend(changed, replacement)
    vim.list_extend(changed, vim.list_slice(all, line2 + 1, #all))
    local edit = { path = name, before = table.concat(all, '\n') .. '\n', after = table.concat(changed, '\n') .. '\n', description = instruction }
    confirm(edit, function(text)
      if not text then
        vim.notify('bedrock: edit rejected; the buffer is unchanged')
        return
      end
      if not vim.api.nvim_buf_is_valid(bufnr) or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
        vim.notify('bedrock: the buffer changed while Bedrock was working; the edit was not applied', vim.log.levels.WARN)
        return
      end
      tools.set_buffer_text(bufnr, text)
    end)
  end)
end

--- Picks the model for new conversations: `id` directly, or from bedrock/listModels.
function M.select_model(id)
  local function use(model)
    M.config.model = model
    -- The chat goes on under the new model: a copy of the conversation with its history
    -- (`conversation/fork` with `modelId`). When that cannot be (a turn cut in half, an old
    -- host), a new conversation begins, and the chat says which.
    local id = session.conversation_id
    if id then
      local client = not M.busy() and ensure_client()
      local fork, err = nil, { message = 'still answering' }
      if client then
        fork, err = client:request_sync('conversation/fork', { conversationId = id, modelId = model })
      end
      if fork and not err then
        session.conversation_id = fork.conversationId
        chat.note('model ' .. model .. ' from here on; the conversation goes on with its history')
      else
        session.conversation_id = nil
        chat.note('model ' .. model .. ': the next question starts a new conversation (' .. format_error(err) .. '; :BedrockHistory returns to the earlier one)')
      end
    end
    -- After vim.ui.select the command line still shows its prompt: redraw, then say it.
    vim.schedule(function()
      vim.cmd('redraw')
      vim.notify('bedrock: model ' .. model .. ' for new conversations')
    end)
  end
  if id and id ~= '' then
    use(id)
    return
  end
  M.client():request('bedrock/listModels', vim.empty_dict(), function(err, result)
    if err then
      vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
      return
    end
    -- Chat needs a model that converses (streams); embedding models do not.
    local models = vim.tbl_filter(function(m)
      return not (type(m.supports) == 'table' and m.supports.streaming == false)
    end, result.models)
    vim.ui.select(models, {
      prompt = 'Bedrock model (now ' .. M.config.model .. ')',
      format_item = function(m)
        return string.format('%s  [%s]  %s', m.name, (m.aliases or {})[1] or m.id, m.provider)
      end,
    }, function(model)
      if model then
        use((model.aliases or {})[1] or model.id)
      end
    end)
  end)
end

function M.usage()
  M.client():request('usage/get', vim.empty_dict(), function(err, result)
    if err then
      vim.notify('bedrock: ' .. format_error(err), vim.log.levels.ERROR)
      return
    end
    local t = result.total
    vim.notify(string.format('bedrock: %d calls, %d in / %d out tokens, %s', t.calls, t.usage.inputTokens, t.usage.outputTokens, cost(t.costUsd)))
  end)
end

return M
