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

/// Loads a fixture with a run context: files under `global/` form dlt's global dir, `env` is
/// the environment dlt would see, `pipeline` adds the pipeline-prefixed pass.
pub fn fixture_with(text: &str, env: &[(&str, &str)], pipeline: Option<&str>) -> Snapshot {
    use std::sync::Arc;
    let dir = write_fixture(text);
    let mut snap = Snapshot::load(std::slice::from_ref(&dir), WalkLimits::default());
    let global_dir = dir.join("global");
    snap.global = crate::model::profiles::load_global_folder(&global_dir).map(Arc::new);
    snap.context = Arc::new(crate::model::workspace::Context {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        global_dir: Some(global_dir),
        pipeline_name: pipeline.map(str::to_string),
    });
    snap
}
