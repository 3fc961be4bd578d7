//! The dlthub CLI as dlt-lsp runs it: which program, which argument vector, and how its
//! output is reported. Commands and flags are those of dlthub 0.31 (`dlt-config.md`, "The CLI").

use std::path::{Path, PathBuf};

use super::files::FileKind;
use super::toml::{Scalar, Table, Value};
use super::workspace::DltFolder;

/// A dlthub command the editor can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HubCommand {
    /// `dlthub workspace connect`: binds the workspace, writes `[runtime] workspace_id`.
    Connect,
    /// `dlthub workspace configuration sync`: uploads the synced profiles' files.
    Sync,
    /// `dlthub profile info`: shows the active profile.
    ProfileInfo,
}

impl HubCommand {
    /// The subcommand words after the program and global flags.
    pub fn words(self) -> &'static [&'static str] {
        match self {
            HubCommand::Connect => &["workspace", "connect"],
            HubCommand::Sync => &["workspace", "configuration", "sync"],
            HubCommand::ProfileInfo => &["profile", "info"],
        }
    }

    /// How the command is shown to the user, e.g. `dlthub workspace connect`.
    pub fn display(self) -> String {
        format!("dlthub {}", self.words().join(" "))
    }

    /// Whether the command writes `.dlt/config.toml`, so the folder must be re-read after it.
    pub fn writes_config(self) -> bool {
        matches!(self, HubCommand::Connect)
    }
}

/// Why no dlthub program could be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the dlthub CLI was not found (looked at the `dlt.cli.path` setting{venv}, and PATH). \
     Install it in the project with `uv add \"dlt[hub]\"` (or `pip install \"dlt[hub]\"`), \
     or set `dlt.cli.path`, e.g. [\"uv\", \"run\", \"dlthub\"]"
)]
pub struct CliNotFound {
    venv: String,
}

/// Finds the program to run, in the documented order: the `dlt.cli.path` setting (an argument
/// vector), the project's `.venv/bin/dlthub` (only in a trusted folder: a cloned repository must
/// not choose the program), then `dlthub` on `path_var`.
pub fn find_cli(
    setting: Option<&[String]>,
    project_dir: &Path,
    trusted: bool,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<Vec<String>, CliNotFound> {
    if let Some(argv) = setting.filter(|a| !a.is_empty() && !a[0].is_empty()) {
        return Ok(argv.to_vec());
    }
    let venv = project_dir
        .join(".venv")
        .join(if cfg!(windows) { "Scripts" } else { "bin" })
        .join(exe("dlthub"));
    if trusted && is_executable(&venv) {
        return Ok(vec![venv.to_string_lossy().into_owned()]);
    }
    if let Some(path_var) = path_var {
        for dir in std::env::split_paths(path_var) {
            let candidate = dir.join(exe("dlthub"));
            if is_executable(&candidate) {
                return Ok(vec![candidate.to_string_lossy().into_owned()]);
            }
        }
    }
    let venv = if trusted {
        format!(", {}", venv.display())
    } else {
        String::new()
    };
    Err(CliNotFound { venv })
}

/// The full argument vector: program (and its own arguments), `--non-interactive`, command.
pub fn argv(program: &[String], command: HubCommand) -> Vec<String> {
    let mut v = program.to_vec();
    v.push("--non-interactive".into());
    v.extend(command.words().iter().map(|w| w.to_string()));
    v
}

/// The one line of a failed run worth showing: the CLI's own error, else its last line.
pub fn error_line(stderr: &str, stdout: &str) -> Option<String> {
    let lines = || {
        stderr
            .lines()
            .chain(stdout.lines())
            .map(str::trim)
            .filter(|l| !l.is_empty())
    };
    let is_error = |l: &&str| {
        let lower = l.to_ascii_lowercase();
        lower.contains("error")
            || lower.contains("failed")
            || lower.contains("not valid")
            || lower.contains("invalid")
    };
    lines()
        .find(is_error)
        .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
        .or_else(|| lines().next_back())
        .map(|l| l.chars().take(400).collect())
}

/// Replaces every occurrence of a known secret value in `line` with a mask.
pub fn mask_secrets(line: &str, secrets: &[String]) -> String {
    let mut out = line.to_string();
    for s in secrets {
        if s.len() >= 4 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "••••");
        }
    }
    out
}

/// Values that must never reach a log: every string of the folder's secrets files and of
/// environment variables whose names say they hold a secret.
pub fn known_secret_values(
    folder: &DltFolder,
    env: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    fn collect(table: &Table, out: &mut Vec<String>) {
        for node in table.entries.values() {
            match &node.value {
                Value::Scalar(Scalar::Str(s)) => out.push(s.clone()),
                Value::Table(t) => collect(t, out),
                Value::Array(items) => {
                    for i in items {
                        match &i.value {
                            Value::Scalar(Scalar::Str(s)) => out.push(s.clone()),
                            Value::Table(t) => collect(t, out),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for file in folder
        .files
        .values()
        .filter(|f| f.role.kind() == Some(FileKind::Secrets))
    {
        collect(file.doc.root(), &mut out);
    }
    const SECRET_WORDS: &[&str] = &[
        "PASSWORD",
        "TOKEN",
        "SECRET",
        "API_KEY",
        "PRIVATE_KEY",
        "DSN",
        "CREDENTIALS",
    ];
    out.extend(
        env.iter()
            .filter(|(k, _)| SECRET_WORDS.iter().any(|w| k.contains(w)))
            .map(|(_, v)| v.clone()),
    );
    out.retain(|s| s.len() >= 4 && s != "<configure me>");
    // Longest first, so a secret containing another is masked whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

fn is_executable(p: &PathBuf) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_exe(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }

    #[test]
    fn finds_the_cli_in_setting_then_venv_then_path_order() {
        let tmp = tempfile::tempdir().unwrap();
        let project = tmp.path().join("proj");
        let bin = tmp.path().join("bin");
        make_exe(&bin.join("dlthub"));
        let path_var = std::env::join_paths([&bin]).unwrap();
        let setting = vec!["uv".to_string(), "run".into(), "dlthub".into()];
        assert_eq!(
            find_cli(Some(&setting), &project, true, Some(&path_var)).unwrap(),
            setting
        );
        assert_eq!(
            find_cli(None, &project, true, Some(&path_var)).unwrap(),
            [bin.join("dlthub").to_string_lossy()]
        );
        make_exe(&project.join(".venv/bin/dlthub"));
        let venv = project
            .join(".venv/bin/dlthub")
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            find_cli(None, &project, true, Some(&path_var)).unwrap(),
            [venv]
        );
        // An untrusted folder never gets its own .venv program.
        assert_eq!(
            find_cli(None, &project, false, Some(&path_var)).unwrap(),
            [bin.join("dlthub").to_string_lossy()]
        );
        let err = find_cli(None, &tmp.path().join("none"), true, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("uv add \"dlt[hub]\""), "{err}");
    }

    #[test]
    fn builds_non_interactive_argument_vectors() {
        let p = vec!["uv".to_string(), "run".into(), "dlthub".into()];
        assert_eq!(
            argv(&p, HubCommand::Sync),
            [
                "uv",
                "run",
                "dlthub",
                "--non-interactive",
                "workspace",
                "configuration",
                "sync"
            ]
        );
    }

    #[test]
    fn picks_the_cli_error_line_and_masks_secrets() {
        let stderr = "Starting…\nLogin failed. Error calling the dltHub API. Underlying error: auth service could not be reached\n";
        assert!(error_line(stderr, "").unwrap().starts_with("Login failed."));
        assert_eq!(error_line("", "one\ntwo\n").unwrap(), "two");
        assert_eq!(
            mask_secrets("token=s3cr3t-value!", &["s3cr3t-value".into()]),
            "token=••••!"
        );
    }
}
