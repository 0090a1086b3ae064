-- Headless test of bedrock.nvim's completion source (lua/bedrock/completion.lua) against the real
-- bedrock-host with its built-in emulator: setup{completion = …} attaches a python buffer to a stock
-- vim.lsp client, sets omnifunc, and the completion request Neovim sends answers the model's text.
-- Run from anywhere (Neovim 0.7+):
--   BEDROCK_HOST_BIN=/path/to/bedrock-host nvim --headless -u NONE -i NONE -c "luafile editors/neovim/tests/completion.lua"
-- Prints one line per check and "N passed, M failed"; exits 1 on any failure.
local plugin_dir = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
local host = vim.fn.fnamemodify(vim.env.BEDROCK_HOST_BIN or (plugin_dir .. '/../../target/debug/bedrock-host'), ':p')
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

local home = vim.fn.tempname()
vim.fn.mkdir(home, 'p')
vim.env.HOME = home
vim.env.AWS_CONFIG_FILE = home .. '/no-aws-config'
vim.env.AWS_SHARED_CREDENTIALS_FILE = home .. '/no-aws-credentials'

local function run()
  vim.opt.runtimepath:prepend(plugin_dir)
  vim.cmd('runtime plugin/bedrock.lua')
  local script = home .. '/script.json'
  vim.fn.writefile({ vim.fn.json_encode({ rules = { {
    when = { lastUserText = '(?s)<prefix>.*return a</prefix>' },
    respond = { content = { { text = '    return a + b' } } },
  } } }) }, script)
  require('bedrock').setup({
    binary = host,
    emulator = true,
    emulator_script = script,
    completion = { filetypes = { 'python' }, debounce_ms = 0 },
  })
  local path = home .. '/add.py'
  vim.fn.writefile({ 'def add(a, b):', '    return a' }, path)
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  check(vim.bo[bufnr].filetype == 'python', 'the buffer is python', vim.bo[bufnr].filetype)
  check(vim.bo[bufnr].omnifunc == 'v:lua.vim.lsp.omnifunc', 'omnifunc is vim.lsp.omnifunc', vim.bo[bufnr].omnifunc)
  -- Attached clients are listed once the host has answered initialize.
  local client
  vim.wait(HANG_GUARD_MS, function()
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      client = c
    end
    return client ~= nil and client.initialized
  end, 10)
  if not check(client ~= nil and client.name == 'bedrock-completion', 'a bedrock-completion client is attached and initialized') then
    return
  end
  local results = vim.lsp.buf_request_sync(bufnr, 'textDocument/completion', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = 1, character = 12 },
  }, HANG_GUARD_MS)
  local result = results and results[client.id] and results[client.id].result
  local item = result and result.items and result.items[1]
  check(item ~= nil and item.textEdit.newText == 'a + b', 'the completion item carries the model text',
    vim.inspect(results))
  local text = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  check(#text == 2, 'the buffer is untouched')

  -- A text file is not attached (filetypes = {'python'}).
  vim.cmd('enew')
  vim.bo.filetype = 'text'
  check(#vim.tbl_keys(vim.lsp.buf_get_clients(0)) == 0, 'other filetypes are not attached')

  require('bedrock.completion').stop()
  check(vim.wait(HANG_GUARD_MS, function()
    return client.is_stopped()
  end, 10), 'the completion host stops')
end

local ok, problem = pcall(run)
check(ok, 'the script ran to its end', tostring(problem))
out(string.format('%d passed, %d failed', passed, failed))
if failed > 0 then
  vim.cmd('cquit 1')
else
  vim.cmd('qall!')
end
