-- The chat buffer (`bedrock://chat`): a transcript that grows as answers stream in.
--   ## You            the prompt
--   ## Bedrock (model) the streamed answer
--   [note]            tool calls, retries, guardrails, the turn's summary
local M = {}

local NAME = 'bedrock://chat'
local bufnr = nil

local function buffer()
  if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
    return bufnr
  end
  bufnr = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(bufnr, NAME)
  vim.bo[bufnr].filetype = 'markdown'
  vim.bo[bufnr].bufhidden = 'hide'
  vim.api.nvim_buf_set_keymap(bufnr, 'n', '<CR>', '<Cmd>BedrockAsk<CR>', { noremap = true, desc = 'Ask Bedrock' })
  vim.api.nvim_buf_set_keymap(bufnr, 'n', '<C-c>', '<Cmd>BedrockStop<CR>', { noremap = true, desc = 'Stop the answer' })
  vim.api.nvim_buf_set_keymap(bufnr, 'n', 'q', '<Cmd>close<CR>', { noremap = true, desc = 'Close the chat' })
  return bufnr
end

function M.bufnr()
  return buffer()
end

--- Shows the chat buffer in a window (reusing one that shows it already).
function M.open()
  local buf = buffer()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == buf then
      return
    end
  end
  vim.cmd('botright vsplit')
  vim.api.nvim_win_set_buf(0, buf)
  vim.cmd('wincmd p')
end

local function follow()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == bufnr then
      vim.api.nvim_win_set_cursor(win, { vim.api.nvim_buf_line_count(bufnr), 0 })
    end
  end
end

local function add_lines(lines)
  local buf = buffer()
  local count = vim.api.nvim_buf_line_count(buf)
  local empty = count == 1 and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ''
  vim.api.nvim_buf_set_lines(buf, empty and 0 or count, -1, false, lines)
  follow()
end

function M.user(prompt)
  local lines = { '## You' }
  vim.list_extend(lines, vim.split(prompt, '\n', { plain = true }))
  table.insert(lines, '')
  add_lines(lines)
end

--- Starts the answer section; `append` then streams into its last line.
function M.assistant(model)
  add_lines({ '## Bedrock (' .. tostring(model) .. ')', '' })
end

--- Appends streamed text at the end of the buffer; newlines in `text` start new lines.
function M.append(text)
  local buf = buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  local pieces = vim.split(text, '\n', { plain = true })
  local current = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] or ''
  pieces[1] = current .. pieces[1]
  vim.api.nvim_buf_set_lines(buf, last - 1, last, false, pieces)
  follow()
end

--- Makes the last line empty, so what streams next starts a paragraph of its own.
function M.paragraph()
  local buf = buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  if vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1] ~= '' then
    vim.api.nvim_buf_set_lines(buf, last, last, false, { '' })
  end
  follow()
end

--- A bracketed note on its own line, then a blank line for what follows.
function M.note(text)
  local buf = buffer()
  local last = vim.api.nvim_buf_line_count(buf)
  local current = vim.api.nvim_buf_get_lines(buf, last - 1, last, false)[1]
  local lines = { '[' .. text .. ']', '' }
  vim.api.nvim_buf_set_lines(buf, current == '' and last - 1 or last, -1, false, lines)
  follow()
end

function M.clear()
  vim.api.nvim_buf_set_lines(buffer(), 0, -1, false, {})
end

return M
