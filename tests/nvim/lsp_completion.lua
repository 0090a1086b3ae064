-- Neovim's own LSP client (Neovim 0.7.2's `vim.lsp`) using the host's LSP face (docs/lsp.md) with no
-- adapter: a buffer attached with `vim.lsp.buf_attach_client` (Neovim sends didOpen, and incremental
-- didChange as text is typed), completion through the stock `omnifunc` (`vim.lsp.omnifunc`, which
-- sends `textDocument/completion` and fills the popup with `complete()`), and the code actions
-- through `client.request` with Neovim's own `workspace/applyEdit` handler applying the edit to the
-- buffer. The host runs `--emulator` with a script answering the prompts.
--
-- Run from the repository root:
--   nvim --headless -u NONE -i NONE -c 'luafile tests/nvim/lsp_completion.lua'
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

local function keys(text, mode)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(text, true, false, true), mode, false)
end

local code_actions, finish

local function run()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, 'p')
  local script = dir .. '/script.json'
  vim.fn.writefile({ vim.fn.json_encode({
    rules = {
      { when = { lastUserText = '(?s)<prefix>.*return a</prefix>' }, respond = { content = { { text = '    return a + b' } } } },
      { when = { lastUserText = '^Fix the bugs' }, respond = { content = { { text = '```python\ndef add(a, b):\n    return a + b\n```' } } } },
    },
  }) }, script)

  local exit_code
  local client_id = vim.lsp.start_client({
    name = 'bedrock-host',
    cmd = { binary, '--emulator', '--emulator-script', script, '--log-file', dir .. '/host.log' },
    root_dir = dir,
    init_options = { inlineCompletion = { debounceMs = 0 } },
    on_exit = function(code)
      exit_code = code
    end,
  })
  if not check(client_id ~= nil, 'vim.lsp.start_client starts the host') then
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  if not check(vim.wait(HANG_GUARD_MS, function()
    return client.initialized
  end, 10), 'initialize answered') then
    return
  end
  check(client.resolved_capabilities.completion == true, 'Neovim sees the completion provider')
  check(client.resolved_capabilities.text_document_did_change == vim.lsp.protocol.TextDocumentSyncKind.Incremental,
    'Neovim sees incremental sync', tostring(client.resolved_capabilities.text_document_did_change))
  check(client.resolved_capabilities.code_action ~= false, 'Neovim sees the code action provider')

  local path = dir .. '/add.py'
  vim.fn.writefile({ 'def add(a, b):', '    return', '', 'print(add(1, 2))' }, path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  check(vim.lsp.buf_attach_client(bufnr, client_id), 'the buffer is attached (didOpen)')

  -- Type ` a` at the end of line 2 and ask for omni completion. The keys are typed by Neovim's main
  -- loop (this script returns to it), in insert mode, so the async answer can fill the popup; a
  -- deferred poll carries on once it is there.
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  keys('A a<C-x><C-o>', 'n')
  local deadline = vim.loop.now() + HANG_GUARD_MS
  local function after_completion()
    local items = vim.fn.complete_info({ 'items' }).items
    if #items == 0 and vim.loop.now() < deadline then
      return vim.defer_fn(after_completion, 20)
    end
    check(#items == 1, 'omnifunc fills the popup with one item', vim.inspect(items))
    if items[1] then
      check(items[1].word == 'a + b', 'the item carries the word before the cursor and the completion',
        vim.inspect(items[1]))
    end
    keys('<Esc>', 'n')
    vim.defer_fn(function()
      local ok, problem = pcall(code_actions, client, bufnr, dir, function()
        return exit_code
      end)
      finish(ok, problem)
    end, 50)
  end
  vim.defer_fn(after_completion, 20)
  return true
end

code_actions = function(client, bufnr, dir, exit_code)
  check(vim.fn.mode() == 'n', 'back in normal mode', vim.fn.mode())
  check(vim.api.nvim_buf_get_lines(bufnr, 1, 2, false)[1] == '    return a + b', 'the completion is in the buffer',
    vim.inspect(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)))

  -- Code actions: the actions for the first two lines, then the fix through the stock applyEdit handler.
  local function request(method, params)
    local done, err, result = false, nil, nil
    client.request(method, params, function(e, r)
      done, err, result = true, e, r
    end, bufnr)
    if not vim.wait(HANG_GUARD_MS, function()
      return done
    end, 10) then
      return 'no answer to ' .. method .. ' within ' .. HANG_GUARD_MS .. ' ms', nil
    end
    return err, result
  end
  -- Undo the completion so there is something to fix (Neovim sends the change to the host).
  vim.api.nvim_buf_set_lines(bufnr, 1, 2, false, { '    return a' })
  local uri = vim.uri_from_bufnr(bufnr)
  local range = { start = { line = 0, character = 0 }, ['end'] = { line = 1, character = 12 } }
  local err, actions = request('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = range,
    context = { diagnostics = {} },
  })
  check(err == nil and actions and #actions == 3, 'textDocument/codeAction offers three actions',
    vim.inspect(err or actions))
  if actions and actions[2] then
    local fix = actions[2]
    check(fix.title == 'Fix with Bedrock' and type(fix.command) == 'table', 'the fix is a code action with a command',
      vim.inspect(fix))
    local result
    err, result = request('workspace/executeCommand', { command = fix.command.command, arguments = fix.command.arguments })
    check(err == nil and result and result.applied == true, 'workspace/executeCommand: the edit was applied',
      vim.inspect(err or result))
    check(table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, 2, false), '\n') == 'def add(a, b):\n    return a + b',
      "Neovim's workspace/applyEdit handler changed the buffer", vim.inspect(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)))
  end

  local usage
  err, usage = request('usage/get', {})
  check(err == nil and usage.total.calls == 2, 'the completion and the fix count in usage/get', vim.inspect(err or usage))

  vim.cmd('bwipeout!')
  client.stop()
  check(vim.wait(HANG_GUARD_MS, function()
    return exit_code() ~= nil
  end, 10) and exit_code() == 0, 'client.stop(): exit code 0', tostring(exit_code()))
  vim.fn.delete(dir, 'rf')
end

finish = function(ok, problem)
  check(ok, 'the script ran to its end', tostring(problem))
  out(string.format('%d passed, %d failed', passed, failed))
  if failed > 0 then
    vim.cmd('cquit 1')
  else
    vim.cmd('qall!')
  end
end

-- Whatever happens, the test ends within the hang guard.
vim.defer_fn(function()
  check(false, 'the test finished within the hang guard')
  finish(true)
end, 2 * HANG_GUARD_MS + 10000)

local ok, continues = pcall(run)
if not ok or not continues then
  finish(ok, continues)
end
