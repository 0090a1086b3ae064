-- Neovim's own LSP client (`vim.lsp.start_client`, as in Neovim 0.7.2) against the real
-- `bedrock-host --emulator`, with no adapter in between: Neovim sends its stock `initialize`
-- (rootPath, workspaceFolders, its client capabilities), its `{}` params arrive as `[]` (Neovim 0.7
-- encodes an empty table so), the host's methods go through `client.request`, the host's
-- `tool/call` request and `converse/event` notifications reach `handlers`, and `client.stop()`
-- sends `shutdown` and `exit`.
--
-- Run from the repository root:
--   nvim --headless -u NONE -i NONE -c 'luafile tests/nvim/lsp_client.lua'
-- The binary is $BEDROCK_HOST_BIN (default target/debug/bedrock-host). Prints one `ok`/`not ok`
-- line per check, then "N passed, M failed"; the exit code is 0 only when all passed.

local HANG_GUARD_MS = 60000

local passed, failed = 0, 0
local function out(line)
  io.stdout:write(line .. '\n')
end
local function check(condition, name, detail)
  if condition then
    passed = passed + 1
    out('ok - ' .. name)
  else
    failed = failed + 1
    out('not ok - ' .. name .. (detail and (': ' .. detail) or ''))
  end
  return condition
end

local repo = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h:h')
local binary = os.getenv('BEDROCK_HOST_BIN') or (repo .. '/target/debug/bedrock-host')

local function run()
  check(vim.fn.executable(binary) == 1, 'the host binary is executable', binary)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local script = dir .. '/script.json'
  vim.fn.writefile({ vim.fn.json_encode({
    rules = { {
      when = { afterToolResult = false },
      respond = { content = {
        { text = 'Let me look.' },
        { toolUse = { toolUseId = 'tu_oslo', name = 'get_weather', input = { city = 'Oslo' } } },
      } },
    } },
  }) }, script)

  local events, tool_calls = {}, {}
  local exit_code
  local client_id = vim.lsp.start_client({
    name = 'bedrock-host',
    cmd = { binary, '--emulator', '--emulator-script', script, '--log-file', dir .. '/host.log' },
    root_dir = dir,
    handlers = {
      ['converse/event'] = function(_, params)
        table.insert(events, params)
      end,
      ['tool/call'] = function(_, params)
        table.insert(tool_calls, params)
        return { content = 'Snow, -3C in ' .. params.input.city }
      end,
    },
    on_exit = function(code)
      exit_code = code
    end,
  })
  if not check(client_id ~= nil, 'vim.lsp.start_client starts the host') then
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  check(vim.wait(HANG_GUARD_MS, function()
    return client.initialized
  end, 10), 'the stock initialize is accepted', 'no initialize result (see the messages above)')
  if not client.initialized then
    client.stop(true)
    return
  end

  -- Waits for one request's answer; returns err, result.
  local function request(method, params)
    local done, err, result = false, nil, nil
    client.request(method, params, function(e, r)
      done, err, result = true, e, r
    end)
    if not vim.wait(HANG_GUARD_MS, function()
      return done
    end, 10) then
      return 'no answer to ' .. method .. ' within ' .. HANG_GUARD_MS .. ' ms', nil
    end
    return err, result
  end

  local err, registered = request('tool/register', { tools = { {
    name = 'get_weather',
    description = 'Current weather for a city',
    inputSchema = { type = 'object', properties = { city = { type = 'string' } }, required = { 'city' } },
  } } })
  check(err == nil and registered.registered[1] == 'get_weather', 'tool/register', vim.inspect(err or registered))

  -- `{}` goes out as `"params": []` from Neovim 0.7.
  local listed
  err, listed = request('tool/list', {})
  check(err == nil and #listed.tools == 1 and listed.tools[1].name == 'get_weather', 'tool/list with {} (sent as [])',
    vim.inspect(err or listed))

  local created
  err, created = request('conversation/create', { title = 'nvim' })
  check(err == nil and type(created.conversationId) == 'string', 'conversation/create', vim.inspect(err or created))
  if err then
    client.stop()
    return
  end

  local turn
  err, turn = request('conversation/send', { conversationId = created.conversationId, content = 'Weather in Oslo?' })
  check(err == nil, 'conversation/send answers a result', vim.inspect(err))
  if turn then
    check(turn.stopReason == 'end_turn' and turn.iterations == 2, 'the turn ran the tool loop', vim.inspect(turn))
    check(#tool_calls == 1 and tool_calls[1].input.city == 'Oslo', 'tool/call reached the handler', vim.inspect(tool_calls))
    local tool_result = turn.messages[2].content[1].toolResult
    check(tool_result.content[1].text == 'Snow, -3C in Oslo', "the handler's answer went back to the model",
      vim.inspect(tool_result))
    check(turn.messages[#turn.messages].content[1].text == 'Tool result received: Snow, -3C in Oslo',
      'the final answer quotes the tool result', vim.inspect(turn.messages))
    check(#events > 0 and events[1].event.messageStart ~= nil, 'converse/event notifications reached the handler',
      tostring(#events))
  end

  client.stop()
  check(vim.wait(HANG_GUARD_MS, function()
    return exit_code ~= nil
  end, 10) and exit_code == 0, 'client.stop() sends shutdown and exit: exit code 0', tostring(exit_code))
  vim.fn.delete(dir, 'rf')
end

local ok, problem = pcall(run)
check(ok, 'the script ran to its end', tostring(problem))
out(string.format('%d passed, %d failed', passed, failed))
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
