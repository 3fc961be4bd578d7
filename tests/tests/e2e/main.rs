//! The end-to-end tests, one module per area, linked into one test binary: one link instead of
//! eleven, and one binary on disk instead of eleven copies of the server.
//!
//! Run one area with `cargo test -p dlt-lsp-e2e --test e2e -- secrets::`.
mod destinations;
mod effective;
mod foundation;
mod hub_commands;
mod misnamed;
mod no_leaks;
mod profile_hygiene;
mod readme;
mod robustness;
mod secrets;
mod stress;
