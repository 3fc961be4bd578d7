-- dlt-lsp for Neovim: attaches to the TOML files directly inside a `.dlt` folder, and nowhere else.
-- Neovim 0.11+: require('dlt_ls').setup()  (vim.lsp.config + vim.lsp.enable)
-- Older Neovim: the same call registers `dlt_ls` with nvim-lspconfig and sets it up.
local M = {}

--- The project folder (the parent of `.dlt`) when `path` is a file directly inside a `.dlt`
--- folder, else nil. `proj/.dlt/config.toml` -> `proj`; `proj/pyproject.toml` -> nil.
function M.project_root(path)
  if type(path) ~= 'string' or path == '' or path:match('^%a[%w+.-]*://') then
    return nil -- unnamed or non-file buffers (fugitive://, oil://, ...)
  end
  local dir = vim.fs.dirname(vim.fs.normalize(path))
  if vim.fs.basename(dir) ~= '.dlt' then
    return nil
  end
  return vim.fs.dirname(dir)
end

--- The server configuration in `vim.lsp.config` form (Neovim 0.11+).
function M.config()
  return {
    cmd = { 'dlt-lsp', 'lsp' },
    -- Keep the toml filetype so taplo/tombi still attach; root_dir narrows this server to `.dlt/*`.
    filetypes = { 'toml' },
    -- Not root_markers: every TOML file of a project has a `.dlt` somewhere above it.
    root_dir = function(bufnr, on_dir)
      local root = M.project_root(vim.api.nvim_buf_get_name(bufnr))
      if root then
        on_dir(root)
      end
    end,
    -- An empty Lua table would be sent as `[]`; the server expects an object.
    init_options = vim.empty_dict(),
    settings = vim.empty_dict(),
  }
end

local function merge(opts)
  local cfg = vim.tbl_deep_extend('force', M.config(), opts or {})
  for _, k in ipairs({ 'init_options', 'settings' }) do
    if type(cfg[k]) ~= 'table' or next(cfg[k]) == nil then
      cfg[k] = vim.empty_dict()
    end
  end
  return cfg
end

--- Registers and enables the server. `opts` overrides fields of `M.config()`, e.g.
--- `{ cmd = { '/path/to/dlt-lsp', 'lsp' }, init_options = { diagnosticsDebounceMs = 50 } }`.
function M.setup(opts)
  local cfg = merge(opts)
  if vim.fn.has('nvim-0.11') == 1 then
    vim.lsp.config('dlt_ls', cfg)
    vim.lsp.enable('dlt_ls')
    return
  end
  local ok, configs = pcall(require, 'lspconfig.configs')
  if not ok then
    vim.notify('dlt_ls: Neovim < 0.11 needs nvim-lspconfig', vim.log.levels.ERROR)
    return
  end
  if not configs.dlt_ls then
    configs.dlt_ls = {
      default_config = {
        cmd = cfg.cmd,
        filetypes = cfg.filetypes,
        -- nvim-lspconfig's root_dir takes a file name and returns the root (nil: do not attach).
        root_dir = function(fname)
          return M.project_root(fname)
        end,
        single_file_support = false,
        init_options = cfg.init_options,
        settings = cfg.settings,
      },
      docs = { description = 'dlt-lsp: language server for the .dlt/*.toml files of dlt projects' },
    }
  end
  local user = vim.deepcopy(opts or {})
  user.root_dir = nil -- the lspconfig registration above owns root detection
  require('lspconfig').dlt_ls.setup(user)
end

return M
