-- The protocol client: starts bedrock-host (newline-delimited JSON-RPC over stdio), runs
-- initialize, queues requests until the host is ready, and routes the host's
-- notifications and `tool/call` requests to the handlers given to `start`.
local M = {}

local Client = {}
Client.__index = Client

--- Command line for the configured host: flags only for what initializationOptions cannot carry.
function M.command(opts)
  local args = {}
  if opts.emulator then
    table.insert(args, '--emulator')
    if opts.emulator_script then
      table.insert(args, '--emulator-script')
      table.insert(args, opts.emulator_script)
    end
  end
  return opts.binary, args
end

local function non_empty(value)
  if value == nil or value == '' then
    return nil
  end
  return value
end

--- HostOptions for `initialize`; empty settings are left to the AWS chain (docs/protocol.md precedence).
function M.initialization_options(opts)
  local options = {
    storageDir = non_empty(opts.storage_dir),
    region = non_empty(opts.region),
    profile = non_empty(opts.profile),
    endpointUrl = non_empty(opts.endpoint_url),
    defaultModelId = non_empty(opts.model),
  }
  local guardrail = opts.guardrail or {}
  if non_empty(guardrail.identifier) then
    options.guardrailConfig = {
      guardrailIdentifier = guardrail.identifier,
      guardrailVersion = non_empty(guardrail.version) or 'DRAFT',
      trace = 'enabled',
    }
  end
  if next(options) == nil then
    return vim.empty_dict()
  end
  return options
end

--- The transport: newline-delimited JSON-RPC over the host's stdin/stdout (the host picks
--- the framing from the first byte, docs/protocol.md "Transport"). Our own, not vim.lsp.rpc,
--- because a `tool/call` may be answered later (a proposed edit waits for the user's review
--- while the editor stays usable), which vim.lsp.rpc's synchronous server_request cannot do.
local function transport(binary, args, dispatchers)
  local uv = vim.loop
  local stdin, stdout, stderr = uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false)
  local rpc = { callbacks = {}, next_id = 1, closing = false, stderr = '' }
  local handle, pid_or_err
  handle, pid_or_err = uv.spawn(binary, { args = args, stdio = { stdin, stdout, stderr } }, function(code)
    rpc.closing = true
    for _, pipe in ipairs({ stdin, stdout, stderr }) do
      if not pipe:is_closing() then
        pipe:close()
      end
    end
    if handle and not handle:is_closing() then
      handle:close()
    end
    vim.schedule(function()
      dispatchers.on_exit(code)
    end)
  end)
  if not handle then
    for _, pipe in ipairs({ stdin, stdout, stderr }) do
      pipe:close()
    end
    error(string.format('bedrock: cannot start %q: %s', binary, tostring(pid_or_err)), 0)
  end
  local function write(message)
    if rpc.closing or stdin:is_closing() then
      return false
    end
    message.jsonrpc = '2.0'
    stdin:write(vim.json.encode(message) .. '\n')
    return true
  end
  local function handle_message(message)
    if message.method and message.id ~= nil then
      local responded = false
      local function respond(result, err)
        if responded then
          return
        end
        responded = true
        if err then
          write({ id = message.id, error = err })
        else
          write({ id = message.id, result = result == nil and vim.NIL or result })
        end
      end
      local ok, result, err = pcall(dispatchers.server_request, message.method, message.params, respond)
      if not ok then
        respond(nil, { code = -32603, message = tostring(result) })
      elseif result ~= nil or err ~= nil then
        respond(result, err)
      end
    elseif message.method then
      dispatchers.notification(message.method, message.params)
    elseif message.id ~= nil then
      local entry = rpc.callbacks[message.id]
      rpc.callbacks[message.id] = nil
      if not entry then
        return
      end
      entry.answered(message.id)
      -- A cancelled request's -32800 is the host saying it is done, not an answer to show.
      if message.error and message.error.code == -32800 then
        return
      end
      entry.callback(message.error, message.result)
    end
  end
  local pending = ''
  stdout:read_start(function(err, data)
    if err or not data then
      return
    end
    pending = pending .. data
    local lines = {}
    while true do
      local nl = pending:find('\n', 1, true)
      if not nl then
        break
      end
      table.insert(lines, pending:sub(1, nl - 1))
      pending = pending:sub(nl + 1)
    end
    if #lines > 0 then
      vim.schedule(function()
        for _, line in ipairs(lines) do
          if line:match('%S') then
            local ok, message = pcall(vim.json.decode, line, { luanil = { object = true } })
            if ok and type(message) == 'table' then
              local handled, handler_err = pcall(handle_message, message)
              if not handled then
                vim.notify('bedrock: ' .. tostring(handler_err), vim.log.levels.ERROR)
              end
            end
          end
        end
      end)
    end
  end)
  stderr:read_start(function(_, data)
    if data then
      rpc.stderr = (rpc.stderr .. data):sub(-4000)
    end
  end)
  function rpc.request(method, params, callback, answered)
    local id = rpc.next_id
    rpc.next_id = id + 1
    if not write({ id = id, method = method, params = params == nil and vim.NIL or params }) then
      return false, nil
    end
    rpc.callbacks[id] = { callback = callback, answered = answered or function() end }
    return true, id
  end
  function rpc.notify(method, params)
    write({ method = method, params = params == nil and vim.NIL or params })
  end
  function rpc.terminate()
    if not handle:is_closing() then
      handle:kill('sigterm')
    end
  end
  rpc.pid = pid_or_err
  return rpc
end

--- handlers: { notification = fn(method, params), tool_call = fn(params, respond) -> result?, on_exit = fn(code),
---             tools = the tool definitions to register before any other request }
function M.start(opts, handlers)
  local binary, args = M.command(opts)
  if vim.fn.executable(binary) ~= 1 then
    error(string.format('bedrock: cannot run %q; set `binary` in require("bedrock").setup{} to the bedrock-host path', binary), 0)
  end
  local self = setmetatable({ ready = false, queue = {}, exited = false, info = nil }, Client)
  self.rpc = transport(binary, args, {
    notification = function(method, params)
      handlers.notification(method, params)
    end,
    -- Answer by returning a result, or later through `respond(result, err)`.
    server_request = function(method, params, respond)
      if method == 'tool/call' then
        return handlers.tool_call(params, respond)
      end
      return nil, { code = -32601, message = 'not served by this client: ' .. method }
    end,
    on_exit = function(code)
      self.exited = true
      self.exit_code = code
      if handlers.on_exit then
        vim.schedule(function()
          handlers.on_exit(code)
        end)
      end
    end,
  })
  local init = {
    clientInfo = { name = 'bedrock.nvim', version = '0.1.0' },
    capabilities = { tools = true },
    initializationOptions = M.initialization_options(opts),
  }
  self.rpc.request('initialize', init, function(err, result)
    if err then
      local queue = self.queue
      self.queue = {}
      self.init_error = err
      vim.notify('bedrock: initialize failed: ' .. tostring(err.message or err), vim.log.levels.ERROR)
      for _, queued in ipairs(queue) do
        queued.fail(err)
      end
      return
    end
    self.info = result
    self.rpc.notify('initialized', vim.empty_dict())
    -- The host serves requests concurrently: a conversation created with tools = "all" before
    -- tool/register is answered would get no tools, so nothing else is sent until it is.
    self.rpc.request('tool/register', { tools = handlers.tools }, function(register_err)
      if register_err then
        vim.notify('bedrock: tool/register failed: ' .. tostring(register_err.message), vim.log.levels.ERROR)
      end
      self.ready = true
      local queue = self.queue
      self.queue = {}
      for _, queued in ipairs(queue) do
        queued.send()
      end
    end)
  end)
  return self
end

--- Sends a request once the host is initialized; `callback(err, result)` runs on the main loop.
--- Returns a handle whose `id` (the JSON-RPC id) appears as `requestId` in notifications and
--- whose `answered` turns true when any answer arrives, a cancelled one included.
function Client:request(method, params, callback)
  local handle = { answered = false }
  local function answered()
    handle.answered = true
  end
  local function send()
    local ok, id = self.rpc.request(method, params, callback, answered)
    if not ok then
      handle.answered = true
      vim.schedule(function()
        callback({ code = -32603, message = 'bedrock-host is not running' }, nil)
      end)
    end
    handle.id = id
    if handle.cancel_pending then
      self:cancel(handle)
    end
  end
  local function fail(err)
    handle.answered = true
    callback({ code = err.code, message = 'bedrock-host did not start: ' .. tostring(err.message), data = err.data }, nil)
  end
  if self.ready then
    send()
  elseif self.init_error then
    vim.schedule(function()
      fail(self.init_error)
    end)
  else
    table.insert(self.queue, { send = send, fail = fail })
  end
  return handle
end

--- Blocks (processing events) until the answer arrives; for commands that need the result now.
function Client:request_sync(method, params, timeout_ms)
  local done, err, result = false, nil, nil
  self:request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout_ms or 30000, function()
    return done
  end, 10) then
    return nil, { message = method .. ': no answer from bedrock-host within ' .. (timeout_ms or 30000) .. ' ms' }
  end
  return result, err
end

--- `$/cancelRequest` for a request handle. The host answers the request with -32800, which
--- is not passed to the callback: watch `handle.answered` to know the host is done.
function Client:cancel(handle)
  if handle.id then
    self.rpc.notify('$/cancelRequest', { id = handle.id })
  else
    handle.cancel_pending = true
  end
end

function Client:stop()
  if self.exited then
    return
  end
  self:request('shutdown', nil, function()
    self.rpc.notify('exit', nil)
  end)
end

M.Client = Client
return M
