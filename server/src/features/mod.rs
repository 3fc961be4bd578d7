//! Editor features, each a pure function of a snapshot (and a position), returning plain data.

pub mod diagnostics;
pub mod effective;
pub mod folding;
pub mod formatting;
pub mod hover;
pub mod hub_actions;
pub mod inlay_hints;
pub mod navigation;
pub mod symbols;
pub mod workspace_rules;
