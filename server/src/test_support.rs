//! Fixture workspaces written inline, for unit tests.

use std::path::PathBuf;

use crate::model::discovery::WalkLimits;
use crate::model::workspace::Snapshot;

/// Writes a `//- path` multi-file fixture into a fresh temporary directory and returns it.
pub fn write_fixture(text: &str) -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    crate::fixture::write_fixture(&dir, text).unwrap();
    dir
}

/// Loads a fixture as a snapshot.
pub fn fixture(text: &str) -> Snapshot {
    let dir = write_fixture(text);
    Snapshot::load(&[dir], WalkLimits::default())
}
