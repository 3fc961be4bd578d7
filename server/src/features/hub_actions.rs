//! Which dlthub commands the editor offers where: connect, sync, show profile.

use std::path::PathBuf;

use crate::model::dlthub::HubCommand;
use crate::model::files::FileRole;
use crate::model::source::SourceFile;
use crate::model::toml::{Def, Span};
use crate::model::workspace::{DltFolder, Snapshot};

/// Profiles that `dlthub workspace configuration sync` never uploads.
const LOCAL_PROFILES: &[&str] = &["dev", "tests"];

/// A dlthub command offered in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAction {
    pub command: HubCommand,
    pub title: String,
    /// Why the action cannot run now; shown greyed out with this reason.
    pub disabled: Option<String>,
    /// The `.dlt` folder it runs for (the CLI runs in its parent).
    pub dlt_dir: PathBuf,
}

/// The dlthub actions for `file` of `folder`; none outside a dltHub workspace.
pub fn hub_actions(snapshot: &Snapshot, folder: &DltFolder, file: &SourceFile) -> Vec<HubAction> {
    if !folder.is_workspace {
        return Vec::new();
    }
    let mut out = Vec::new();
    let action = |command, title: String, disabled| HubAction {
        command,
        title,
        disabled,
        dlt_dir: folder.dlt_dir.clone(),
    };
    let title = if is_connected(snapshot, folder) {
        "Reconnect workspace to dltHub (jobs of the current binding are deactivated)".to_string()
    } else {
        "Connect workspace to dltHub".to_string()
    };
    out.push(action(HubCommand::Connect, title, None));
    if is_synced_file(&file.role) {
        out.push(action(
            HubCommand::Sync,
            "Sync configuration to dltHub".into(),
            sync_blocker(folder),
        ));
    }
    out.push(action(
        HubCommand::ProfileInfo,
        "Show active dlt profile".into(),
        None,
    ));
    out
}

/// Why syncing the folder must be refused: the first file that dlt could not load.
pub fn sync_blocker(folder: &DltFolder) -> Option<String> {
    let broken: Vec<String> = folder
        .files
        .values()
        .filter(|f| is_synced_file(&f.role) && (f.load_error.is_some() || f.doc.has_errors()))
        .map(|f| f.name.clone())
        .collect();
    (!broken.is_empty()).then(|| format!("fix the errors in {} before syncing", broken.join(", ")))
}

/// The `[runtime]` header of a file, where the actions are shown as code lenses.
pub fn lens_anchor(file: &SourceFile) -> Option<Span> {
    let node = file.doc.root().get("runtime")?;
    (node.def == Def::Header).then_some(node.key_span)
}

/// Whether `runtime.workspace_id` is set where connect writes it, or in the environment.
fn is_connected(snapshot: &Snapshot, folder: &DltFolder) -> bool {
    let env = &snapshot.context.env;
    if ["RUNTIME__WORKSPACE_ID", "WORKSPACE__RUNTIME__WORKSPACE_ID"]
        .iter()
        .any(|k| env.get(*k).is_some_and(|v| !v.is_empty()))
    {
        return true;
    }
    let Some(config) = folder.file("config.toml") else {
        return false;
    };
    [
        &["runtime", "workspace_id"][..],
        &["workspace", "runtime", "workspace_id"][..],
    ]
    .iter()
    .any(|path| {
        config
            .doc
            .root()
            .get_path(path)
            .and_then(|n| n.as_str())
            .is_some_and(|s| !s.is_empty())
    })
}

/// Files that `configuration sync` uploads: base files and synced profiles' files.
fn is_synced_file(role: &FileRole) -> bool {
    match role {
        FileRole::Base(_) => true,
        FileRole::Profile { profile, .. } => !LOCAL_PROFILES.contains(&profile.as_str()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture;

    fn titles(fx: &str, file: &str) -> Vec<String> {
        let snap = fixture(fx);
        let folder = snap.folders.values().next().unwrap();
        let f = folder.file(file).unwrap();
        hub_actions(&snap, folder, f)
            .iter()
            .map(|a| {
                format!(
                    "{}{}",
                    a.title,
                    a.disabled
                        .as_ref()
                        .map(|d| format!(" [disabled: {d}]"))
                        .unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn offers_connect_sync_and_profile_info_in_a_workspace() {
        let fx = "//- .dlt/.workspace\n//- .dlt/config.toml\n[runtime]\nlog_level = \"INFO\"\n//- .dlt/dev.config.toml\na = 1\n";
        assert_eq!(
            titles(fx, "config.toml"),
            [
                "Connect workspace to dltHub",
                "Sync configuration to dltHub",
                "Show active dlt profile"
            ]
        );
        // dev files are never synced.
        assert_eq!(
            titles(fx, "dev.config.toml"),
            ["Connect workspace to dltHub", "Show active dlt profile"]
        );
    }

    #[test]
    fn offers_reconnect_when_connected_and_refuses_sync_of_a_broken_folder() {
        let fx = "//- .dlt/.workspace\n//- .dlt/config.toml\n[runtime]\nworkspace_id = \"abc\"\n//- .dlt/prod.secrets.toml\n[broken\n";
        assert_eq!(
            titles(fx, "config.toml"),
            [
                "Reconnect workspace to dltHub (jobs of the current binding are deactivated)",
                "Sync configuration to dltHub [disabled: fix the errors in prod.secrets.toml before syncing]",
                "Show active dlt profile"
            ]
        );
    }

    #[test]
    fn offers_nothing_in_a_classic_project() {
        assert!(titles("//- .dlt/config.toml\na = 1\n", "config.toml").is_empty());
    }
}
