-- Neovim 0.11+ reads `lsp/<name>.lua` from the runtimepath: with this folder on the runtimepath,
-- `vim.lsp.enable('dlt_ls')` alone is enough.
return require('dlt_ls').config()
