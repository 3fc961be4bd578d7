//! Runs dlthub CLI commands on the user's request: argument vector (no shell), progress,
//! streamed and masked output, one run per workspace, cancellation, re-index afterwards.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Notify;
use tower_lsp::lsp_types::{MessageType, NumberOrString};
use tower_lsp::Client;

use super::indexing::Reporter;
use super::publish;
use super::state::State;
use crate::features::hub_actions::sync_blocker;
use crate::model::dlthub::{self, HubCommand};

/// Runs in progress, by `.dlt` folder.
#[derive(Default)]
pub struct Runs {
    running: DashMap<PathBuf, Arc<Notify>>,
    /// Progress token → the run it belongs to, for `window/workDoneProgress/cancel`.
    tokens: DashMap<String, Arc<Notify>>,
}

impl Runs {
    /// Cancels the run whose progress has `token`; returns whether one was found.
    pub fn cancel(&self, token: &NumberOrString) -> bool {
        let key = token_key(token);
        match self.tokens.get(&key) {
            Some(n) => {
                n.notify_one();
                true
            }
            None => false,
        }
    }
}

/// How a run ended, returned to the client as the command's result.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    pub command: String,
    pub exit_code: Option<i32>,
    pub success: bool,
    pub cancelled: bool,
    pub message: String,
}

/// Removes a run's entries however it ends (also when the request is dropped).
struct RunGuard<'a> {
    runs: &'a Runs,
    dir: PathBuf,
    token: Option<String>,
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.runs.running.remove(&self.dir);
        if let Some(t) = &self.token {
            self.runs.tokens.remove(t);
        }
    }
}

fn token_key(t: &NumberOrString) -> String {
    match t {
        NumberOrString::Number(n) => n.to_string(),
        NumberOrString::String(s) => s.clone(),
    }
}

/// Runs `command` for the `.dlt` folder `dlt_dir`; `Err` carries a message for the user.
pub async fn run(
    state: &Arc<State>,
    runs: &Runs,
    client: &Client,
    command: HubCommand,
    dlt_dir: &Path,
) -> Result<RunOutcome, String> {
    let snapshot = state.snapshot();
    let folder = snapshot
        .folders
        .get(dlt_dir)
        .cloned()
        .ok_or_else(|| format!("{} is not a known .dlt folder", dlt_dir.display()))?;
    if command == HubCommand::Sync {
        if let Some(reason) = sync_blocker(&folder) {
            return Err(format!("{} refused: {reason}", command.display()));
        }
    }
    let settings = state.settings();
    let path_var = snapshot
        .context
        .env
        .get("PATH")
        .map(std::ffi::OsString::from)
        .or_else(|| std::env::var_os("PATH"));
    let program = dlthub::find_cli(
        settings.cli.path.as_deref(),
        &folder.project_dir,
        settings.trusted,
        path_var.as_deref(),
    )
    .map_err(|e| e.to_string())?;
    let cancel = Arc::new(Notify::new());
    match runs.running.entry(dlt_dir.to_path_buf()) {
        dashmap::Entry::Occupied(_) => {
            return Err(format!(
                "a dlthub command is already running for {}",
                folder.project_dir.display()
            ));
        }
        dashmap::Entry::Vacant(v) => {
            v.insert(cancel.clone());
        }
    }
    let mut guard = RunGuard {
        runs,
        dir: dlt_dir.to_path_buf(),
        token: None,
    };
    let argv = dlthub::argv(&program, command);
    let secrets = dlthub::known_secret_values(&folder, &snapshot.context.env);
    let shown = dlthub::mask_secrets(&argv.join(" "), &secrets);
    client
        .log_message(
            MessageType::INFO,
            format!("running `{shown}` in {}", folder.project_dir.display()),
        )
        .await;

    let progress =
        Reporter::begin_cancellable(state, client, &format!("Running {}", command.display())).await;
    if let Some(t) = progress.token() {
        let key = token_key(t);
        runs.tokens.insert(key.clone(), cancel.clone());
        guard.token = Some(key);
    }

    let mut child = match tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(&folder.project_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            progress.end(client, "failed to start".into()).await;
            return Err(format!("cannot start `{}`: {e}", argv[0]));
        }
    };
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (mut out_text, mut err_text) = (String::new(), String::new());
    let mut out_lines = stdout.map(|s| BufReader::new(s).lines());
    let mut err_lines = stderr.map(|s| BufReader::new(s).lines());
    let mut cancelled = false;
    let status = loop {
        tokio::select! {
            line = next_line(&mut out_lines) => if let Some(line) = line {
                let line = dlthub::mask_secrets(&line, &secrets);
                client.log_message(MessageType::LOG, format!("[dlthub] {line}")).await;
                progress.report_message(client, line.clone()).await;
                out_text.push_str(&line);
                out_text.push('\n');
            },
            line = next_line(&mut err_lines) => if let Some(line) = line {
                let line = dlthub::mask_secrets(&line, &secrets);
                client.log_message(MessageType::LOG, format!("[dlthub] {line}")).await;
                err_text.push_str(&line);
                err_text.push('\n');
            },
            _ = cancel.notified() => {
                cancelled = true;
                let _ = child.kill().await;
                break child.wait().await.ok();
            }
            status = child.wait(), if out_lines.is_none() && err_lines.is_none() => break status.ok(),
        }
    };
    let exit_code = status.and_then(|s| s.code());
    let success = !cancelled && status.is_some_and(|s| s.success());
    let message = if cancelled {
        format!("{} was cancelled", command.display())
    } else if success {
        format!("{} finished", command.display())
    } else {
        let why = dlthub::error_line(&err_text, &out_text).unwrap_or_else(|| "no output".into());
        format!(
            "{} failed (exit code {}): {why}",
            command.display(),
            exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "none".into())
        )
    };
    progress.end(client, message.clone()).await;
    let kind = if success {
        MessageType::INFO
    } else if cancelled {
        MessageType::WARNING
    } else {
        MessageType::ERROR
    };
    client.show_message(kind, message.clone()).await;
    if command.writes_config() {
        reindex(state, client, dlt_dir).await;
    }
    drop(guard);
    Ok(RunOutcome {
        command: command.display(),
        exit_code,
        success,
        cancelled,
        message,
    })
}

/// Reads the next line of a stream; a closed stream sets itself to `None` and then never resolves.
async fn next_line<R: tokio::io::AsyncBufRead + Unpin>(
    lines: &mut Option<tokio::io::Lines<R>>,
) -> Option<String> {
    match lines {
        Some(l) => match l.next_line().await {
            Ok(Some(line)) => Some(line),
            _ => {
                *lines = None;
                None
            }
        },
        None => std::future::pending().await,
    }
}

/// Re-reads a folder from disk (the CLI wrote to it) and publishes its diagnostics.
async fn reindex(state: &Arc<State>, client: &Client, dlt_dir: &Path) {
    let (dir, st) = (dlt_dir.to_path_buf(), state.clone());
    if let Ok(folder) = tokio::task::spawn_blocking(move || st.load_folder(&dir)).await {
        state.merge_folder(folder);
        publish::publish_folder(state, client, dlt_dir).await;
    }
}
