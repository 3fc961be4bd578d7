//! dlt-lsp: a language server and checker for the TOML configuration of dlt projects and
//! dltHub workspaces. Data flows one way: files → [`model`] → [`features`] → [`lsp`] / [`cli`].

pub mod cli;
pub mod features;
pub mod fixture;
pub mod lsp;
pub mod model;
pub mod pace;

#[cfg(test)]
pub mod test_support;
