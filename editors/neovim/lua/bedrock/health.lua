-- :checkhealth bedrock
local M = {}

-- vim.health.start/ok/… arrived in 0.10 (0.8–0.9 have report_*; 0.7 only the Vimscript health#).
local function reporter()
  local h = vim.health or {}
  if h.start then
    return h
  end
  if h.report_start then
    return { start = h.report_start, ok = h.report_ok, warn = h.report_warn, error = h.report_error, info = h.report_info }
  end
  return {
    start = vim.fn['health#report_start'],
    ok = vim.fn['health#report_ok'],
    warn = vim.fn['health#report_warn'],
    error = vim.fn['health#report_error'],
    info = vim.fn['health#report_info'],
  }
end

function M.check()
  local report = reporter()
  local config = require('bedrock').config
  report.start('bedrock.nvim')
  if vim.fn.has('nvim-0.7') == 1 then
    report.ok('Neovim ' .. tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.' .. tostring(vim.version().patch))
  else
    report.error('Neovim 0.7 or newer is required')
  end
  local path = vim.fn.exepath(config.binary)
  if path == '' then
    report.error(string.format('bedrock-host not found: %q', config.binary), {
      'Build it with `cargo build` and set require("bedrock").setup{ binary = "/path/to/bedrock-host" }',
    })
    return
  end
  report.ok('bedrock-host: ' .. path)
  local version = vim.fn.system({ path, '--version' })
  if vim.v.shell_error == 0 then
    report.ok(vim.trim(version))
  else
    report.error('`' .. path .. ' --version` failed: ' .. vim.trim(version))
  end
  if config.emulator then
    report.info('emulator mode: answers come from the built-in Bedrock emulator, not AWS')
  else
    local region = config.region or vim.env.AWS_REGION or vim.env.AWS_DEFAULT_REGION
    if region and region ~= '' then
      report.ok('region: ' .. region)
    else
      report.warn('no region set', { 'setup{ region = "us-east-1" } or export AWS_REGION (or set it in ~/.aws/config)' })
    end
    report.info('credentials come from the AWS chain (env, profile ' .. tostring(config.profile or vim.env.AWS_PROFILE or 'default') .. ', SSO)')
  end
  report.info('model: ' .. tostring(config.model))
end

return M
