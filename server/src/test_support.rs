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

/// Runs the `git` binary in `dir`, isolated from the user's and the system's configuration;
/// panics with git's stderr on failure. Returns stdout.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .expect("the git binary runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Writes a fixture and makes its directory a fresh git repository. `core.excludesFile` points
/// to a missing file so the machine's own global ignore rules cannot change the outcome.
pub fn git_fixture(text: &str) -> PathBuf {
    let dir = write_fixture(text);
    git(&dir, &["init", "-q", "-b", "main"]);
    git(
        &dir,
        &[
            "config",
            "core.excludesFile",
            dir.join("no-global-excludes").to_str().unwrap(),
        ],
    );
    dir
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

/// One finding as a snapshot line: `file:line:col severity [code] message`.
pub fn render_diagnostic(
    file: &crate::model::source::SourceFile,
    d: &crate::model::diagnostic::Diagnostic,
) -> String {
    let lc = file.line_index().line_col(
        &file.text,
        d.span.start as usize,
        crate::model::text::Encoding::Utf8,
    );
    format!(
        "{}:{}:{} {} [{}] {}\n",
        file.name,
        lc.line + 1,
        lc.col + 1,
        d.severity.as_str(),
        d.code.id,
        d.message
    )
}

/// A small deterministic number generator (xorshift64) for tests that generate many inputs.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
