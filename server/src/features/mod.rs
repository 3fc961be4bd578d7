//! Editor features, each a pure function of a snapshot (and a position), returning plain data.

pub mod completion;
pub mod destinations;
pub mod diagnostics;
pub mod edits;
pub mod effective;
pub mod folding;
pub mod format_pieces;
pub mod formatting;
pub mod hover;
pub mod hub_actions;
pub mod inlay_hints;
pub mod key_docs;
pub mod misnamed;
pub mod navigation;
pub mod profile_hygiene;
pub mod secrets;
pub mod symbols;
pub mod workspace_rules;
