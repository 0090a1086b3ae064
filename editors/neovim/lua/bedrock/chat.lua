-- The chat buffer (`bedrock://chat`): a transcript that grows as answers stream in, then an
-- input area where the user types the next question.
--   ## You            the prompt
--   ## Bedrock (model) the streamed answer
--   [note]            tool calls, retries, guardrails, the turn's summary
--   (input area)      lines after the transcript; <CR> (normal) or <C-s> (insert) sends them
-- The plugin writes only the transcript (the first `owned` lines); what the user types below
-- is theirs. A window whose cursor is on the transcript's last line (or on an empty input line
-- below it) follows the stream; one the user scrolled elsewhere stays where it is. When a turn
-- ends, a following cursor rests on the input line, so `i` or `a` types the next question there.
local M = {}

local NAME = 'bedrock://chat'
local bufnr = nil
local owned = 0 -- lines of the transcript; the rest of the buffer is the input area
local writing = false
local ns = vim.api.nvim_create_namespace('bedrock_chat')

-- Window layout of the chat: 'vertical' (a split on the right), 'split' (below), 'float'.
M.layout = 'vertical'
M.width = nil -- columns of a vertical split / float (nil: half / 80%)
M.height = nil -- lines of a split / float (nil: a third / 80%)
M.on_submit = nil -- fn(text): set by init.lua

local function hint()
  if not (bufnr and vim.api.nvim_buf_is_valid(bufnr)) then
    return
  end
  vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  local count = vim.api.nvim_buf_line_count(bufnr)
  if count == owned + 1 and vim.api.nvim_buf_get_lines(bufnr, owned, owned + 1, false)[1] == '' then
    vim.api.nvim_buf_set_extmark(bufnr, ns, owned, 0, {
      virt_text = { { 'Ask here: <CR> sends (<C-s> in insert mode)', 'Comment' } },
      virt_text_pos = 'eol',
    })
  end
end

local function buffer()
  if bufnr and vim.api.nvim_buf_is_valid(bufnr) then
    return bufnr
  end
  bufnr = vim.api.nvim_create_buf(true, true)
  owned = 0
  vim.api.nvim_buf_set_name(bufnr, NAME)
  vim.bo[bufnr].filetype = 'markdown'
  vim.bo[bufnr].bufhidden = 'hide'
  vim.bo[bufnr].swapfile = false
  local function map(mode, lhs, rhs, desc)
    vim.api.nvim_buf_set_keymap(bufnr, mode, lhs, rhs, { noremap = true, silent = true, desc = desc })
  end
  map('n', '<CR>', '<Cmd>lua require("bedrock.chat").submit()<CR>', 'Send the question typed below the transcript')
  map('i', '<C-s>', '<Esc><Cmd>lua require("bedrock.chat").submit()<CR>', 'Send the question typed below the transcript')
  map('n', '<C-c>', '<Cmd>BedrockStop<CR>', 'Stop the answer')
  map('n', 'gy', '<Cmd>lua require("bedrock.chat").yank_block()<CR>', 'Yank the code block under the cursor')
  map('n', 'gp', '<Cmd>lua require("bedrock.chat").put_block()<CR>', 'Put the code block under the cursor into the file you were editing')
  map('n', 'q', '<Cmd>close<CR>', 'Close the chat')
  -- The user's edits inside the transcript move its end; edits below it are input.
  vim.api.nvim_buf_attach(bufnr, false, {
    on_lines = function(_, _, _, first, last_old, last_new)
      if not writing and first < owned then
        owned = math.max(first, owned + last_new - last_old)
      end
      vim.schedule(hint)
    end,
  })
  return bufnr
end

function M.bufnr()
  return buffer()
end

--- Lines of the transcript (what the plugin wrote), without the input area.
function M.transcript()
  return vim.api.nvim_buf_get_lines(buffer(), 0, owned, false)
end

--- The text typed in the input area (below the transcript), trimmed.
function M.input()
  return vim.trim(table.concat(vim.api.nvim_buf_get_lines(buffer(), owned, -1, false), '\n'))
end

--- Empties the input area (one empty line stays to type in).
function M.clear_input()
  local buf = buffer()
  writing = true
  vim.api.nvim_buf_set_lines(buf, owned, -1, false, { '' })
  writing = false
  hint()
end

--- <CR> in the chat: send the typed question, or ask for one when the input area is empty.
function M.submit()
  local text = M.input()
  if text == '' then
    vim.ui.input({ prompt = 'Ask Bedrock: ' }, function(prompt)
      if prompt and prompt ~= '' and M.on_submit then
        M.on_submit(prompt)
      end
    end)
    return
  end
  if M.on_submit and M.on_submit(text) ~= false then
    M.clear_input()
  end
end

--- The body of the fenced code block around line `row` (1-based) of the chat, or nil.
function M.code_block_at(row)
  local lines = vim.api.nvim_buf_get_lines(buffer(), 0, -1, false)
  local open_row = nil
  for i = 1, #lines do
    if lines[i]:match('^%s*```') then
      if open_row then
        if row >= open_row and row <= i then
          return vim.list_slice(lines, open_row + 1, i - 1)
        end
        open_row = nil
      else
        open_row = i
      end
    end
  end
  return nil
end

local function block_under_cursor()
  local block = M.code_block_at(vim.api.nvim_win_get_cursor(0)[1])
  if not block then
    vim.notify('bedrock: the cursor is not in a ``` code block', vim.log.levels.WARN)
  end
  return block
end

--- gy: the code block under the cursor into the unnamed register (and + when there is one).
function M.yank_block()
  local block = block_under_cursor()
  if not block then
    return
  end
  vim.fn.setreg('"', block, 'l')
  if vim.fn.has('clipboard') == 1 then
    pcall(vim.fn.setreg, '+', block, 'l')
  end
  vim.notify(string.format('bedrock: yanked %d line%s', #block, #block == 1 and '' or 's'))
end

M.target_buffer = nil -- fn() -> the file buffer used last; set by init.lua

--- gp: the code block under the cursor put below the cursor of the file buffer used last
--- (undo there with u).
function M.put_block()
  local block = block_under_cursor()
  local target = M.target_buffer and M.target_buffer()
  if not block then
    return
  end
  if not target then
    vim.notify('bedrock: no file buffer to put the code in; open the file first', vim.log.levels.WARN)
    return
  end
  local win = vim.fn.bufwinid(target)
  local row = win ~= -1 and vim.api.nvim_win_get_cursor(win)[1] or vim.api.nvim_buf_line_count(target)
  vim.api.nvim_buf_set_lines(target, row, row, false, block)
  if win ~= -1 then
    vim.api.nvim_set_current_win(win)
    vim.api.nvim_win_set_cursor(win, { row + 1, 0 })
  end
end

local function windows()
  local found = {}
  if not bufnr then
    return found
  end
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_buf(win) == bufnr then
      table.insert(found, win)
    end
  end
  return found
end

--- The window showing the chat, if any.
function M.window()
  return windows()[1]
end

local function open_window(buf)
  local layout = M.layout
  if layout == 'float' then
    local columns, lines = vim.o.columns, vim.o.lines
    local width = M.width or math.floor(columns * 0.8)
    local height = M.height or math.floor((lines - 2) * 0.8)
    return vim.api.nvim_open_win(buf, true, {
      relative = 'editor',
      width = width,
      height = height,
      col = math.floor((columns - width) / 2),
      row = math.floor((lines - 2 - height) / 2),
      border = 'rounded',
      style = 'minimal',
    })
  end
  if layout == 'split' then
    vim.cmd('botright ' .. (M.height and tostring(M.height) or '') .. 'split')
  else
    vim.cmd('botright ' .. (M.width and tostring(M.width) or '') .. 'vsplit')
  end
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, buf)
  vim.wo[win].wrap = true
  vim.wo[win].linebreak = true
  return win
end

--- Shows the chat buffer in a window (reusing one that shows it already). With `focus` the
--- cursor goes to the chat; otherwise it stays where it was (a float is always focused).
function M.open(focus)
  local buf = buffer()
  local win = M.window()
  if win then
    if focus then
      vim.api.nvim_set_current_win(win)
    end
    return win
  end
  local previous = vim.api.nvim_get_current_win()
  win = open_window(buf)
  M.refresh()
  if not focus and M.layout ~= 'float' and vim.api.nvim_win_is_valid(previous) then
    vim.api.nvim_set_current_win(previous)
  end
  return win
end

--- Puts the view of every chat window right again: the cursor on the transcript's end (when
--- following) with as much of the transcript above it as fits, never a window of `~`.
function M.refresh()
  for _, win in ipairs(windows()) do
    local count = vim.api.nvim_buf_line_count(bufnr)
    local height = vim.api.nvim_win_get_height(win)
    vim.api.nvim_win_call(win, function()
      local view = vim.fn.winsaveview()
      if view.topline > 1 and count - view.topline + 1 < height then
        view.topline = math.max(1, count - height + 1)
        vim.fn.winrestview(view)
      end
    end)
  end
end

-- Runs `change(last)` on the transcript (`last`: its line count), moves the windows that
-- followed its end along, and keeps one input line below it.
-- True when the cursor of `win` is at the transcript's end: its last line, or the input line
-- below it while nothing has been typed there.
local function at_end(win)
  local row = vim.api.nvim_win_get_cursor(win)[1]
  local empty_input = vim.api.nvim_buf_line_count(bufnr) == owned + 1 and M.input() == ''
  return row == owned or (owned == 0 and row == 1) or (row == owned + 1 and empty_input)
end

local function write(change)
  local buf = buffer()
  local following = {}
  for _, win in ipairs(windows()) do
    following[win] = at_end(win)
  end
  writing = true
  owned = change(owned) or owned
  if vim.api.nvim_buf_line_count(buf) <= owned then
    vim.api.nvim_buf_set_lines(buf, owned, owned, false, { '' })
  end
  writing = false
  for win, follow in pairs(following) do
    if follow and vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_set_cursor(win, { math.max(owned, 1), 0 })
    end
  end
  hint()
end

local function last_line(last)
  if last == 0 then
    return nil
  end
  return vim.api.nvim_buf_get_lines(bufnr, last - 1, last, false)[1]
end

local function add_lines(lines)
  write(function(last)
    vim.api.nvim_buf_set_lines(bufnr, last, last, false, lines)
    return last + #lines
  end)
end

function M.user(prompt)
  local lines = {}
  local last = last_line(owned)
  if last ~= nil and last ~= '' then
    table.insert(lines, '')
  end
  table.insert(lines, '## You')
  vim.list_extend(lines, vim.split(prompt, '\n', { plain = true }))
  table.insert(lines, '')
  add_lines(lines)
end

--- Starts the answer section; `append` then streams into its last line.
function M.assistant(model)
  add_lines({ '## Bedrock (' .. tostring(model) .. ')', '' })
end

--- Appends streamed text to the transcript's last line; newlines in `text` start new lines.
function M.append(text)
  write(function(last)
    if last == 0 then
      vim.api.nvim_buf_set_lines(bufnr, 0, 0, false, { '' })
      last = 1
    end
    local pieces = vim.split(text, '\n', { plain = true })
    pieces[1] = last_line(last) .. pieces[1]
    vim.api.nvim_buf_set_lines(bufnr, last - 1, last, false, pieces)
    return last - 1 + #pieces
  end)
end

--- Makes the last line empty, so what streams next starts a paragraph of its own.
function M.paragraph()
  if last_line(owned) ~= '' then
    add_lines({ '' })
  end
end

--- The turn ended: a cursor that followed the transcript moves to the input line below it.
function M.rest()
  if not (bufnr and vim.api.nvim_buf_is_valid(bufnr)) then
    return
  end
  for _, win in ipairs(windows()) do
    if at_end(win) and vim.api.nvim_buf_line_count(bufnr) > owned then
      vim.api.nvim_win_set_cursor(win, { owned + 1, 0 })
    end
  end
end

--- A bracketed note on its own line, then a blank line for what follows.
function M.note(text)
  write(function(last)
    local lines = { '[' .. text .. ']', '' }
    local from = last_line(last) == '' and last - 1 or last
    vim.api.nvim_buf_set_lines(bufnr, from, last, false, lines)
    return from + 2
  end)
end

--- Empties the transcript (the input area keeps what the user typed) and shows its top.
function M.clear()
  local buf = buffer()
  writing = true
  vim.api.nvim_buf_set_lines(buf, 0, owned, false, {})
  owned = 0
  if vim.api.nvim_buf_line_count(buf) == 0 then
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, { '' })
  end
  writing = false
  for _, win in ipairs(windows()) do
    vim.api.nvim_win_set_cursor(win, { 1, 0 })
    vim.api.nvim_win_call(win, function()
      vim.fn.winrestview({ topline = 1 })
    end)
  end
  hint()
end

-- A split closing gives the chat window room: show the transcript in it, not `~`.
vim.api.nvim_create_autocmd({ 'WinClosed', 'VimResized' }, {
  group = vim.api.nvim_create_augroup('bedrock_chat', { clear = true }),
  callback = function()
    vim.schedule(M.refresh)
  end,
})

return M
