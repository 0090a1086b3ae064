-- Commands of bedrock.nvim; the work is in lua/bedrock/. Nothing starts until a command runs.
if vim.g.loaded_bedrock then
  return
end
vim.g.loaded_bedrock = true

local command = vim.api.nvim_create_user_command

local function bedrock()
  return require('bedrock')
end

command('BedrockAsk', function(opts)
  -- With a range (:'<,'>BedrockAsk), the lines go with the question.
  local selection = opts.range > 0 and { vim.api.nvim_get_current_buf(), opts.line1, opts.line2 } or nil
  if opts.args ~= '' then
    bedrock().ask(opts.args, selection)
    return
  end
  vim.ui.input({ prompt = 'Ask Bedrock: ' }, function(prompt)
    if prompt and prompt ~= '' then
      bedrock().ask(prompt, selection)
    end
  end)
end, { nargs = '*', range = true, desc = 'Ask Bedrock in the chat buffer (with a range: about those lines)' })

command('BedrockChat', function()
  bedrock()
  require('bedrock.chat').open(true)
end, { desc = 'Open the Bedrock chat (or go to it): type below the transcript, <CR> sends, <C-c> stops' })

command('BedrockExplain', function(opts)
  bedrock().explain(vim.api.nvim_get_current_buf(), opts.line1, opts.line2)
end, { range = true, desc = 'Explain the selected lines' })

command('BedrockEdit', function(opts)
  local bufnr, line1, line2 = vim.api.nvim_get_current_buf(), opts.line1, opts.line2
  local function run(instruction)
    if instruction and instruction ~= '' then
      bedrock().edit(bufnr, line1, line2, instruction)
    end
  end
  if opts.args ~= '' then
    run(opts.args)
  else
    vim.ui.input({ prompt = 'Change the selection how? ' }, run)
  end
end, { range = true, nargs = '*', desc = 'Rewrite the selected lines (shown as a diff, applied on confirmation)' })

command('BedrockModel', function(opts)
  bedrock().select_model(opts.args)
end, { nargs = '?', desc = 'Choose the model for new conversations' })

command('BedrockStop', function()
  bedrock().stop()
end, { desc = 'Stop the answer being streamed' })

command('BedrockNew', function()
  bedrock().new_conversation()
end, { desc = 'Start a new conversation' })

command('BedrockUsage', function()
  bedrock().usage()
end, { desc = 'Tokens and cost of this session' })

command('BedrockRegenerate', function()
  bedrock().regenerate()
end, { desc = 'A new answer to the last question (the conversation is forked before it)' })

command('BedrockResend', function(opts)
  bedrock().edit_last(opts.args)
end, { nargs = '*', desc = 'Replace the last question and ask again; without text, edit it in the chat' })

command('BedrockHistory', function()
  bedrock().history()
end, { desc = 'Pick a conversation to continue (with storage_dir, also from earlier sessions)' })
