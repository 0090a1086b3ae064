-- bedrock.nvim as a completion source (docs/lsp.md): bedrock-host started as a stock `vim.lsp`
-- client, attached to the buffers of the configured filetypes, with `omnifunc` set to
-- `vim.lsp.omnifunc` (<C-x><C-o> asks the model). The host keeps its copy of each buffer through
-- Neovim's own didOpen/didChange. With nvim-cmp and cmp-nvim-lsp installed, the same client is a cmp
-- source as it stands (cmp-nvim-lsp lists the items of every attached client); nothing more is
-- registered. Enabled by `require('bedrock').setup({completion = {...}})`:
--   completion = {
--     model = 'haiku',        -- inlineCompletion.modelId
--     filetypes = nil,        -- list of filetypes; nil: every buffer with a filetype
--     max_tokens = nil,       -- inlineCompletion.maxTokens
--     debounce_ms = nil,      -- inlineCompletion.debounceMs
--     omnifunc = true,        -- set 'omnifunc' on attached buffers
--   }
local M = {}

local state = { client_id = nil, group = nil }

local function init_options(opts)
  return {
    inlineCompletion = {
      modelId = opts.model or 'haiku',
      maxTokens = opts.max_tokens,
      debounceMs = opts.debounce_ms,
    },
  }
end

--- The client's id, starting the host on first use.
function M.client_id(config)
  if state.client_id and vim.lsp.get_client_by_id(state.client_id) then
    return state.client_id
  end
  local opts = config.completion == true and {} or config.completion
  local binary, args = require('bedrock.client').command(config)
  local options = init_options(opts)
  options.region = config.region
  options.profile = config.profile
  options.endpointUrl = config.endpoint_url
  state.client_id = vim.lsp.start_client({
    name = 'bedrock-completion',
    cmd = vim.list_extend({ binary }, args),
    root_dir = config.root or vim.fn.getcwd(),
    init_options = options,
  })
  return state.client_id
end

--- Attaches `bufnr` (default: the current buffer); returns the client id.
function M.attach(config, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local opts = config.completion == true and {} or config.completion
  local id = M.client_id(config)
  if not id then
    return nil
  end
  vim.lsp.buf_attach_client(bufnr, id)
  if opts.omnifunc ~= false then
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  return id
end

--- Stops the completion host, if one runs.
function M.stop()
  if state.client_id then
    local client = vim.lsp.get_client_by_id(state.client_id)
    if client then
      client.stop()
    end
  end
  state.client_id = nil
end

--- Called by `require('bedrock').setup`: attaches buffers of the configured filetypes from now on.
function M.setup(config)
  M.stop()
  if state.group then
    vim.api.nvim_del_augroup_by_id(state.group)
    state.group = nil
  end
  if not config.completion then
    return
  end
  local opts = config.completion == true and {} or config.completion
  state.group = vim.api.nvim_create_augroup('bedrock_completion', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = state.group,
    pattern = opts.filetypes or '*',
    callback = function(args)
      if vim.bo[args.buf].buftype == '' then
        M.attach(config, args.buf)
      end
    end,
  })
end

return M
