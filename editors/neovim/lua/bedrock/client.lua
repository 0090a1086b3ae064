-- The protocol client: starts bedrock-host with vim.lsp.rpc (LSP Content-Length framing over
-- stdio), runs initialize, queues requests until the host is ready, and routes the host's
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

-- 0.10 changed the signature to start(cmd_list, dispatchers, extra_spawn_params).
local function rpc_start(binary, args, dispatchers)
  if vim.fn.has('nvim-0.10') == 1 then
    return vim.lsp.rpc.start(vim.list_extend({ binary }, args), dispatchers)
  end
  return vim.lsp.rpc.start(binary, args, dispatchers)
end

--- handlers: { notification = fn(method, params), tool_call = fn(params) -> result, on_exit = fn(code),
---             tools = the tool definitions to register before any other request }
function M.start(opts, handlers)
  local binary, args = M.command(opts)
  if vim.fn.executable(binary) ~= 1 then
    error(string.format('bedrock: cannot run %q; set `binary` in require("bedrock").setup{} to the bedrock-host path', binary))
  end
  local self = setmetatable({ ready = false, queue = {}, exited = false, info = nil }, Client)
  self.rpc = rpc_start(binary, args, {
    notification = function(method, params)
      handlers.notification(method, params)
    end,
    server_request = function(method, params)
      if method == 'tool/call' then
        return handlers.tool_call(params)
      end
      return nil, vim.lsp.rpc.rpc_response_error(vim.lsp.protocol.ErrorCodes.MethodNotFound, 'not served by this client: ' .. method)
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
--- vim.lsp.rpc does not pass to the callback: watch `handle.answered` to know the host is done.
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
