//! dlt semantics: files, their roles, parses and the analysed workspace. No protocol types.

pub mod catalog;
pub mod cursor;
pub mod diagnostic;
pub mod discovery;
pub mod dlthub;
pub mod files;
pub mod folder_files;
pub mod folder_map;
pub mod git;
pub mod listings;
pub mod paths;
pub mod profiles;
pub mod reparse;
pub mod resolve;
pub mod schema;
pub mod secrets;
pub mod source;
pub mod text;
pub mod toml;
pub mod workspace;
