-- Client-executed tools (same names and schemas as the VS Code extension): read_file,
-- list_files, search_workspace, propose_edit. Paths are relative to the workspace root; an
-- edit is applied only when `confirm(edit)` answers true.
local M = {}

M.definitions = {
  {
    name = 'read_file',
    description = "Read a text file from the user's workspace. Paths are relative to the workspace root.",
    inputSchema = {
      type = 'object',
      properties = { path = { type = 'string', description = 'Workspace-relative path, e.g. src/main.rs' } },
      required = { 'path' },
    },
  },
  {
    name = 'list_files',
    description = "List files in the user's workspace, optionally only those matching a glob such as src/**/*.lua.",
    inputSchema = {
      type = 'object',
      properties = {
        glob = { type = 'string', description = 'Glob relative to the workspace root (** crosses directories)' },
        limit = { type = 'integer', minimum = 1, maximum = 2000, description = 'Most files to return (default 200)' },
      },
    },
  },
  {
    name = 'search_workspace',
    description = "Search the text of the user's workspace files; answers path:line: text for each matching line.",
    inputSchema = {
      type = 'object',
      properties = {
        query = { type = 'string', description = 'Text to find (case-insensitive), or a Vim regular expression with isRegex' },
        isRegex = { type = 'boolean' },
        glob = { type = 'string', description = 'Only search files matching this glob' },
        maxResults = { type = 'integer', minimum = 1, maximum = 500, description = 'Default 50' },
      },
      required = { 'query' },
    },
  },
  {
    name = 'propose_edit',
    description = 'Propose replacing oldText with newText in a workspace file (oldText must occur exactly once; an empty '
      .. 'oldText on a missing file creates it). The user sees a diff and accepts or rejects it; nothing changes '
      .. 'without their consent.',
    inputSchema = {
      type = 'object',
      properties = {
        path = { type = 'string' },
        oldText = { type = 'string' },
        newText = { type = 'string' },
        description = { type = 'string', description = 'One line telling the user why' },
      },
      required = { 'path', 'oldText', 'newText' },
    },
  },
}

local SKIPPED = { ['.git'] = true, node_modules = true, target = true, out = true }
local SEARCH_FILE_LIMIT = 5000

--- Rejects absolute paths and `..` escapes: tools see the workspace and nothing else.
function M.check_path(path)
  if type(path) ~= 'string' or vim.trim(path) == '' then
    error('"path" must be a non-empty workspace-relative path', 0)
  end
  local parts = {}
  for part in path:gsub('\\', '/'):gmatch('[^/]+') do
    if part == '..' then
      if #parts == 0 then
        error(string.format('"path" %q is outside the workspace; give a path relative to its root', path), 0)
      end
      table.remove(parts)
    elseif part ~= '.' then
      table.insert(parts, part)
    end
  end
  if path:sub(1, 1) == '/' or path:match('^%a:') or #parts == 0 then
    error(string.format('"path" %q is outside the workspace; give a path relative to its root', path), 0)
  end
  return table.concat(parts, '/')
end

--- Refuses a path that leaves the workspace through a symlink: the real path of its nearest
--- existing ancestor (the file itself when it exists) must be inside the real root.
function M.check_real(root, path, shown)
  local real_root = vim.loop.fs_realpath(root) or root
  local probe = path
  local real = vim.loop.fs_realpath(probe)
  while not real do
    local parent = vim.fn.fnamemodify(probe, ':h')
    if parent == probe then
      break
    end
    probe = parent
    real = vim.loop.fs_realpath(probe)
  end
  if real and real ~= real_root and real:sub(1, #real_root + 1) ~= real_root .. '/' then
    error(string.format('"path" %q leads outside the workspace (through a symlink); give a path inside it', shown), 0)
  end
  return path
end

local function full_path(root, relative)
  return M.check_real(root, root .. '/' .. M.check_path(relative), relative)
end

-- A loaded buffer's text wins over the file on disk: it is what the user sees.
local function read(root, relative)
  local path = full_path(root, relative)
  local bufnr = vim.fn.bufnr(path)
  if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) then
    return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
  end
  if vim.fn.filereadable(path) ~= 1 then
    error(relative .. ' does not exist', 0)
  end
  local file = assert(io.open(path, 'rb'))
  local text = file:read('*a')
  file:close()
  return text
end

--- A workspace file's text (a loaded buffer's wins), with the tools' path checks.
function M.handle_read(root, relative)
  return read(root, relative)
end

local function skipped(relative)
  for part in relative:gmatch('[^/]+') do
    if SKIPPED[part] then
      return true
    end
  end
  return false
end

function M.list(root, glob, limit)
  local found = {}
  for _, path in ipairs(vim.fn.globpath(root, glob or '**/*', false, true)) do
    local relative = path:sub(#root + 2)
    if vim.fn.isdirectory(path) == 0 and not skipped(relative) and pcall(M.check_real, root, path, relative) then
      table.insert(found, relative)
    end
  end
  table.sort(found)
  while #found > limit do
    table.remove(found)
  end
  return found
end

local function optional_string(input, field)
  local value = input[field]
  if value == nil or value == vim.NIL then
    return nil
  end
  if type(value) ~= 'string' then
    error(string.format('"%s" must be a string, got %s', field, vim.inspect(value)), 0)
  end
  return value
end

local function required_string(input, field)
  return optional_string(input, field) or error(string.format('"%s" is required', field), 0)
end

local function positive_int(input, field, fallback)
  local value = input[field]
  if value == nil or value == vim.NIL then
    return fallback
  end
  if type(value) ~= 'number' or value < 1 or value % 1 ~= 0 then
    error(string.format('"%s" must be a positive integer, got %s', field, vim.inspect(value)), 0)
  end
  return value
end

local handlers = {}

function handlers.read_file(ctx, input)
  return read(ctx.root, input.path)
end

function handlers.list_files(ctx, input)
  local files = M.list(ctx.root, optional_string(input, 'glob'), positive_int(input, 'limit', 200))
  return #files > 0 and table.concat(files, '\n') or 'No files match.'
end

function handlers.search_workspace(ctx, input)
  local query = required_string(input, 'query')
  local max = positive_int(input, 'maxResults', 50)
  local matches
  if input.isRegex == true then
    local ok, regex = pcall(vim.regex, '\\c' .. query)
    if not ok then
      error('"query" is not a valid Vim regular expression: ' .. tostring(regex), 0)
    end
    matches = function(line)
      return regex:match_str(line) ~= nil
    end
  else
    local needle = query:lower()
    matches = function(line)
      return line:lower():find(needle, 1, true) ~= nil
    end
  end
  local hits = {}
  for _, file in ipairs(M.list(ctx.root, optional_string(input, 'glob'), SEARCH_FILE_LIMIT)) do
    local ok, text = pcall(read, ctx.root, file)
    if ok and not text:find('\0', 1, true) then
      local n = 0
      for line in (text .. '\n'):gmatch('(.-)\r?\n') do
        n = n + 1
        if #hits < max and matches(line) then
          table.insert(hits, string.format('%s:%d: %s', file, n, vim.trim(line)))
        end
      end
    end
    if #hits >= max then
      break
    end
  end
  return #hits > 0 and table.concat(hits, '\n') or string.format('No matches for %q.', query)
end

--- Changes `bufnr` into `text` hunk by hunk (marks, folds and undo stay useful).
function M.set_buffer_text(bufnr, text)
  local current = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n') .. '\n'
  local lines = vim.split(text, '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  local hunks = require('bedrock.review').hunks(current, text)
  for i = #hunks, 1, -1 do
    local h = hunks[i]
    vim.api.nvim_buf_set_lines(bufnr, h.a_from - 1, h.a_from - 1 + h.a_count, false, vim.list_slice(lines, h.b_from, h.b_from + h.b_count - 1))
  end
end

--- Writes through a loaded buffer (so the user can undo) or straight to disk.
local function write(root, relative, text)
  local path = full_path(root, relative)
  local bufnr = vim.fn.bufnr(path)
  local lines = vim.split(text, '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  if bufnr ~= -1 and vim.api.nvim_buf_is_loaded(bufnr) then
    M.set_buffer_text(bufnr, text)
    vim.api.nvim_buf_call(bufnr, function()
      vim.cmd('silent write')
    end)
  else
    vim.fn.mkdir(vim.fn.fnamemodify(path, ':h'), 'p')
    vim.fn.writefile(lines, path)
  end
end

function handlers.propose_edit(ctx, input, finish)
  local relative = M.check_path(input.path)
  local old_text = required_string(input, 'oldText')
  local new_text = required_string(input, 'newText')
  local path = full_path(ctx.root, relative)
  local before, after = '', nil
  if vim.fn.filereadable(path) ~= 1 then
    if old_text ~= '' then
      error(relative .. ' does not exist; to create it, give an empty "oldText"', 0)
    end
    after = new_text
  else
    before = read(ctx.root, relative)
    local first = old_text ~= '' and before:find(old_text, 1, true)
    if not first then
      error('"oldText" does not occur in ' .. relative .. '; read the file first', 0)
    end
    if before:find(old_text, first + 1, true) then
      error('"oldText" occurs more than once in ' .. relative .. '; include more surrounding lines', 0)
    end
    after = before:sub(1, first - 1) .. new_text .. before:sub(first + #old_text)
  end
  local edit = { path = relative, before = before, after = after, description = optional_string(input, 'description') }
  if before == after then
    return 'The edit changes nothing; ' .. relative .. ' is unchanged.'
  end
  -- The user reviews the change while the editor stays usable; the answer goes back then.
  ctx.confirm(edit, function(text, stats)
    if not text then
      finish(true, 'The user rejected the edit; ' .. relative .. ' is unchanged.')
      return
    end
    local ok, now = pcall(read, ctx.root, relative)
    if (ok and now or '') ~= before then
      finish(false, relative .. ' changed while the user reviewed the edit; nothing was written. Read it again.')
      return
    end
    local written, err = pcall(write, ctx.root, relative, text)
    if not written then
      finish(false, tostring(err))
    elseif stats and stats.total and stats.accepted < stats.total then
      finish(true, string.format('The user accepted %d of %d changes; %s was updated (read it to see what it holds now).', stats.accepted, stats.total, relative))
    else
      finish(true, 'The user accepted the edit; ' .. relative .. ' was updated.')
    end
  end)
  return nil
end

--- One line saying what a tool call does, for the chat: `read_file notes.txt`.
function M.describe(params)
  local input = type(params.input) == 'table' and params.input or {}
  local detail = input.path or input.query or input.glob
  if type(detail) ~= 'string' then
    return tostring(params.name)
  end
  if input.query then
    detail = string.format('%q', detail)
  end
  return tostring(params.name) .. ' ' .. detail
end

--- Answers one `tool/call`, through `respond(result)` (now, or once the user decided a
--- proposed edit); a failure becomes an error toolResult the model can read.
--- ctx: { root = absolute workspace dir, confirm = fn(edit, done(text|nil, stats)) }
function M.handle(ctx, params, respond)
  local function finish(ok, text)
    respond({ content = { { text = ok and text or (params.name .. ' failed: ' .. tostring(text)) } }, status = ok and 'success' or 'error' })
  end
  local handler = handlers[params.name]
  if not handler then
    respond({
      content = { { text = string.format('unknown tool "%s"; this client offers read_file, list_files, search_workspace, propose_edit', params.name) } },
      status = 'error',
    })
    return
  end
  local input = type(params.input) == 'table' and params.input or {}
  local ok, result = pcall(handler, ctx, input, finish)
  if not ok then
    finish(false, result)
  elseif result ~= nil then
    finish(true, result)
  end
end

return M
