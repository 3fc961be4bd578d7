//! Editor features, each a pure function of a snapshot (and a position), returning plain data.

pub mod completion;
pub mod destinations;
pub mod diagnostics;
pub mod edits;
pub mod folding;
pub mod formatting;
pub mod hub_actions;
pub mod key_docs;
pub mod misnamed;
pub mod secrets;
pub mod symbols;
pub mod workspace_rules;
