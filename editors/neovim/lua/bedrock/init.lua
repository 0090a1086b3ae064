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
  -- nil: show the diff in a split and ask with confirm().
  confirm_edit = nil,
  system = 'You are a coding assistant inside Neovim. Use the tools to read and search the workspace; '
    .. 'propose edits with propose_edit.',
}

M.config = vim.deepcopy(M.defaults)

-- The running host and the chat's conversation; nil until first use.
local session = { client = nil, conversation_id = nil, turn = nil }

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
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

--- Shows `edit` as a unified diff in a scratch split and asks the user.
local function confirm_with_diff(edit)
  local diff = vim.diff(edit.before, edit.after, { result_type = 'unified' }) or ''
  local lines = vim.split(diff, '\n', { plain = true })
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.list_extend({ '--- ' .. edit.path, '+++ ' .. edit.path .. ' (proposed)' }, lines))
  vim.bo[buf].filetype = 'diff'
  vim.cmd('botright split')
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, buf)
  vim.cmd('redraw')
  local question = string.format('Apply the proposed edit to %s?%s', edit.path, edit.description and (' (' .. edit.description .. ')') or '')
  local choice = vim.fn.confirm(question, '&Apply\n&Reject', 2)
  if vim.api.nvim_win_is_valid(win) then
    vim.api.nvim_win_close(win, true)
  end
  return choice == 1
end

local function confirm(edit)
  return (M.config.confirm_edit or confirm_with_diff)(edit)
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
  session.conversation_id = nil
  session.client = client_mod.start(M.config, {
    tools = tools.definitions,
    notification = on_notification,
    tool_call = function(params)
      return tools.handle({ root = root, confirm = confirm }, params)
    end,
    on_exit = function(code)
      -- Unanswered requests get no callback once the process is gone: end the turn here
      -- (only this host's: after setup() a new session may already be running).
      if owner.turn then
        owner.turn = nil
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
      elseif event.contentBlockStart and event.contentBlockStart.start.toolUse then
        chat.note('tool: ' .. event.contentBlockStart.start.toolUse.name)
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

local function summary(result)
  return string.format('%s · %d tokens · $%.5f', result.stopReason, result.usage.totalTokens, result.costUsd)
end

--- Sends `prompt` in the chat conversation; the answer streams into the chat buffer.
function M.ask(prompt)
  if M.busy() then
    vim.notify('bedrock: still answering; :BedrockStop first', vim.log.levels.WARN)
    return
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
  run_turn(conversation, prompt, function(text)
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
  end)
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
  chat.note('stopped')
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

local function name_of(bufnr)
  local name = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':.')
  return name ~= '' and name or 'an unnamed buffer'
end

local function filetype_of(bufnr)
  local ft = vim.bo[bufnr].filetype
  return ft ~= '' and ft or 'text'
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
--- the diff is shown, and the buffer changes only when confirmed.
function M.edit(bufnr, line1, line2, instruction)
  if M.busy() then
    vim.notify('bedrock: still answering; :BedrockStop first', vim.log.levels.WARN)
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
    local before = table.concat(original, '\n') .. '\n'
    local edit = { path = name, before = before, after = code .. '\n', description = instruction }
    if not confirm(edit) then
      vim.notify('bedrock: edit rejected; the buffer is unchanged')
      return
    end
    if vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
      vim.notify('bedrock: the buffer changed while Bedrock was working; the edit was not applied', vim.log.levels.WARN)
      return
    end
    vim.api.nvim_buf_set_lines(bufnr, line1 - 1, line2, false, replacement)
  end)
end

--- Picks the model for new conversations: `id` directly, or from bedrock/listModels.
function M.select_model(id)
  local function use(model)
    M.config.model = model
    session.conversation_id = nil
    vim.notify('bedrock: model ' .. model .. ' for new conversations')
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
    vim.ui.select(result.models, {
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
    vim.notify(string.format('bedrock: %d calls, %d in / %d out tokens, $%.5f', t.calls, t.usage.inputTokens, t.usage.outputTokens, t.costUsd))
  end)
end

return M
