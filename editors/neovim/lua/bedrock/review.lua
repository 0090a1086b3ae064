-- Review of a proposed change in the editor (not a modal prompt): a `bedrock://review` buffer
-- in a split shows the change hunk by hunk, with file line numbers; the user scrolls it like
-- any buffer and decides each hunk:
--   ga  accept the hunk under the cursor     gr  reject it
--   gA  accept every undecided hunk          gR  reject every undecided hunk
--   q   reject what is left and close
-- When every hunk is decided the window closes and `done(text, stats)` runs once with the
-- text that results (the accepted hunks applied to `before`), or nil when none was accepted.
local M = {}

local ns = vim.api.nvim_create_namespace('bedrock_review')
local CONTEXT = 3

local function split_text(text)
  local lines = vim.split(text, '\n', { plain = true })
  local newline = lines[#lines] == ''
  if newline then
    table.remove(lines)
  end
  return lines, newline
end

--- The hunks of before → after: { {a_from, a_count, b_from, b_count} } (1-based first lines).
function M.hunks(before, after)
  local found = {}
  for _, h in ipairs(vim.diff(before, after, { result_type = 'indices' }) or {}) do
    local sa, ca, sb, cb = h[1], h[2], h[3], h[4]
    table.insert(found, { a_from = ca == 0 and sa + 1 or sa, a_count = ca, b_from = cb == 0 and sb + 1 or sb, b_count = cb })
  end
  return found
end

--- `before` with the hunks whose `accepted[i]` is true taken from `after`.
function M.apply(before, after, hunks, accepted)
  local a, a_newline = split_text(before)
  local b, b_newline = split_text(after)
  local out, next_a, any = {}, 1, false
  for i, h in ipairs(hunks) do
    for n = next_a, h.a_from - 1 do
      table.insert(out, a[n])
    end
    if accepted[i] then
      any = true
      for n = h.b_from, h.b_from + h.b_count - 1 do
        table.insert(out, b[n])
      end
    else
      for n = h.a_from, h.a_from + h.a_count - 1 do
        table.insert(out, a[n])
      end
    end
    next_a = h.a_from + h.a_count
  end
  for n = next_a, #a do
    table.insert(out, a[n])
  end
  local newline = a_newline
  if any and accepted[#hunks] then
    newline = b_newline
  end
  if #out == 0 then
    return ''
  end
  return table.concat(out, '\n') .. (newline and '\n' or '')
end

--- The review buffer's lines and the row (0-based) of each hunk's header.
function M.render(edit, hunks)
  local a = split_text(edit.before)
  local b = split_text(edit.after)
  local lines = {
    string.format('Proposed change to %s%s', edit.path, edit.description and (': ' .. edit.description) or ''),
    string.format('%d hunk%s · ga accept · gr reject (hunk under the cursor) · gA / gR all the rest · q reject the rest', #hunks, #hunks == 1 and '' or 's'),
    '',
  }
  local rows = {}
  for _, h in ipairs(hunks) do
    table.insert(rows, #lines)
    table.insert(lines, string.format('@@ -%d,%d +%d,%d @@', h.a_from, h.a_count, h.b_from, h.b_count))
    for n = math.max(1, h.a_from - CONTEXT), h.a_from - 1 do
      table.insert(lines, ' ' .. a[n])
    end
    for n = h.a_from, h.a_from + h.a_count - 1 do
      table.insert(lines, '-' .. a[n])
    end
    for n = h.b_from, h.b_from + h.b_count - 1 do
      table.insert(lines, '+' .. b[n])
    end
    for n = h.a_from + h.a_count, math.min(#a, h.a_from + h.a_count + CONTEXT - 1) do
      table.insert(lines, ' ' .. a[n])
    end
  end
  return lines, rows
end

local active = {}

--- The review buffers now open (for tests and statuslines).
function M.buffers()
  local found = {}
  for buf in pairs(active) do
    table.insert(found, buf)
  end
  return found
end

--- Opens the review of `edit` ({path, before, after, description}); `done(text|nil, stats)`.
function M.open(edit, done)
  local hunks = M.hunks(edit.before, edit.after)
  if #hunks == 0 then
    done(nil, { accepted = 0, total = 0 })
    return
  end
  local lines, rows = M.render(edit, hunks)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, 'bedrock://review/' .. edit.path .. '#' .. tostring(buf))
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].filetype = 'diff'
  vim.bo[buf].modifiable = false
  vim.bo[buf].bufhidden = 'wipe'
  local decisions = {}
  local finished = false

  local function finish()
    if finished then
      return
    end
    finished = true
    active[buf] = nil
    local accepted = 0
    for i = 1, #hunks do
      if decisions[i] then
        accepted = accepted + 1
      end
    end
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_buf(win) == buf and #vim.api.nvim_list_wins() > 1 then
        vim.api.nvim_win_close(win, true)
      end
    end
    if vim.api.nvim_buf_is_valid(buf) then
      vim.api.nvim_buf_delete(buf, { force = true })
    end
    local text = accepted > 0 and M.apply(edit.before, edit.after, hunks, decisions) or nil
    done(text, { accepted = accepted, total = #hunks })
  end

  active[buf] = finish

  local function hunk_at_cursor()
    local row = vim.api.nvim_win_get_cursor(0)[1] - 1
    local index = 1
    for i, r in ipairs(rows) do
      if r <= row then
        index = i
      end
    end
    return index
  end

  local function next_undecided(from)
    for step = 0, #hunks - 1 do
      local i = (from + step - 1) % #hunks + 1
      if decisions[i] == nil then
        return i
      end
    end
    return nil
  end

  local function decide(indices, value)
    for _, i in ipairs(indices) do
      if decisions[i] == nil then
        decisions[i] = value
        vim.api.nvim_buf_set_extmark(buf, ns, rows[i], 0, {
          virt_text = { { value and '  [accepted]' or '  [rejected]', value and 'DiffAdd' or 'DiffDelete' } },
          virt_text_pos = 'eol',
        })
      end
    end
    local nxt = next_undecided(indices[#indices])
    if not nxt then
      finish()
      return
    end
    local win = vim.fn.bufwinid(buf)
    if win ~= -1 then
      vim.api.nvim_win_set_cursor(win, { rows[nxt] + 1, 0 })
    end
  end

  local function undecided()
    local list = {}
    for i = 1, #hunks do
      if decisions[i] == nil then
        table.insert(list, i)
      end
    end
    return list
  end

  local keys = {
    ga = function()
      decide({ hunk_at_cursor() }, true)
    end,
    gr = function()
      decide({ hunk_at_cursor() }, false)
    end,
    gA = function()
      decide(undecided(), true)
    end,
    gR = function()
      decide(undecided(), false)
    end,
    q = function()
      decide(undecided(), false)
    end,
  }
  M._keys = M._keys or {}
  M._keys[buf] = keys
  for lhs in pairs(keys) do
    vim.api.nvim_buf_set_keymap(buf, 'n', lhs, string.format('<Cmd>lua require("bedrock.review")._key(%d, %q)<CR>', buf, lhs), { noremap = true, silent = true })
  end
  vim.api.nvim_create_autocmd('BufWipeout', {
    buffer = buf,
    once = true,
    callback = function()
      M._keys[buf] = nil
      if not finished then
        -- Closed without deciding: what is undecided is rejected.
        vim.schedule(function()
          finish()
        end)
      end
    end,
  })

  vim.cmd('botright ' .. math.min(#lines, math.max(10, math.floor(vim.o.lines / 2))) .. 'split')
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, buf)
  vim.api.nvim_win_set_cursor(win, { rows[1] + 1, 0 })
end

--- Closes every open review, rejecting what is undecided (the turn was stopped, or the host
--- that asked is gone).
function M.close_all()
  for _, finish in pairs(active) do
    finish()
  end
end

function M._key(buf, lhs)
  local keys = M._keys and M._keys[buf]
  if keys and keys[lhs] then
    keys[lhs]()
  end
end

return M
