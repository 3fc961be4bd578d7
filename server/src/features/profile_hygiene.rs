//! Profile hygiene (issue 9): the dltHub rules about prod, access and local profiles that dlt
//! itself never checks, as findings with stable codes, and their quick fixes as plain edits.
//!
//! Pure: file existence (the pin file, state and data dirs, duckdb files) and git's ignore rules
//! are captured in the folder at load time. Secret values are compared, never printed.

use crate::features::edits::{EditSet, FileChange};
use crate::features::secrets::{append_to_gitignore, escape_glob};
use crate::model::diagnostic::{self as codes, Code, Diagnostic, Severity};
use crate::model::files::{FileKind, FileRole};
use crate::model::profiles::{self, DEFAULT_PROFILE};
use crate::model::resolve::{FileStatus, Resolver, Val};
use crate::model::source::SourceFile;
use crate::model::toml::{Node, Span, Table};
use crate::model::workspace::{DltFolder, LocalPath, Snapshot, WORKSPACE_MARKER};

/// dlt's placeholder for a value still to be filled in (`TYPE_EXAMPLES`).
const PLACEHOLDER: &str = "<configure me>";

/// Every profile-hygiene finding of one file.
pub fn hygiene_diagnostics(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
) {
    if file.load_error.is_some() {
        return;
    }
    access_reuses_prod(snapshot, folder, file, out);
    access_falls_back(folder, file, out);
    pinned_profile_without_files(snapshot, folder, file, out);
    outside_workspace(folder, file, out);
    workspace_settings_misplaced(file, out);
    local_state_not_ignored(folder, file, out);
}

/// The quick fixes for the hygiene findings of `file` that touch `range`, as plain edit sets.
pub fn hygiene_fixes(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    range: Span,
) -> Vec<EditSet> {
    let mut diags = Vec::new();
    hygiene_diagnostics(snapshot, folder, file, &mut diags);
    let mut seen: Vec<Code> = Vec::new();
    let mut out = Vec::new();
    for d in diags {
        let touches = d.span.start <= range.end && range.start <= d.span.end;
        if !touches || seen.contains(&d.code) {
            continue;
        }
        seen.push(d.code);
        let fix = match d.code {
            c if c == codes::ACCESS_FALLS_BACK_TO_PROD => access_profile_fix(folder),
            c if c == codes::PROFILE_FILE_OUTSIDE_WORKSPACE => workspace_marker_fix(folder),
            c if c == codes::LOCAL_STATE_NOT_IGNORED => local_state_gitignore_fix(folder),
            _ => None,
        };
        out.extend(fix);
    }
    out
}

fn first_line(file: &SourceFile) -> Span {
    let r = file.line_index().line_range(&file.text, 0);
    Span::new(r.start, r.end)
}

/// Every non-table value of a table with its path, in file order.
fn leaves<'a>(table: &'a Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, &'a Node)>) {
    for (k, node) in &table.entries {
        prefix.push(k.clone());
        match node.as_table() {
            Some(t) => leaves(t, prefix, out),
            None => out.push((prefix.clone(), node)),
        }
        prefix.pop();
    }
}

fn leaves_of(file: &SourceFile) -> Vec<(Vec<String>, &Node)> {
    let mut out = Vec::new();
    leaves(file.doc.root(), &mut Vec::new(), &mut out);
    out
}

/// A value that carries no credential: dlt's placeholder or an empty string.
fn is_placeholder(v: &Val) -> bool {
    matches!(v, Val::Str(s) if s.is_empty() || s == PLACEHOLDER)
}

/// access powers shared notebooks and apps (read-only by intent); a secret it resolves to the
/// very value prod resolves to is prod's read-write credential handed to every viewer.
fn access_reuses_prod(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
) {
    // Locally only a workspace reads access files; misnamed ones are never read at all.
    let is_access = matches!(&file.role, FileRole::Profile { profile, .. } if profile == "access");
    if !folder.is_workspace || !is_access {
        return;
    }
    let resolver = Resolver::new(snapshot, folder);
    for (path, node) in leaves_of(file) {
        let Some(lookup) = resolver.classify(&path) else {
            continue;
        };
        if !lookup.secret
            || resolver.file_status(&lookup, &path, "access", file) != FileStatus::Effective
        {
            continue;
        }
        let (Some(access), Some(prod)) = (
            resolver.resolve(&lookup, "access"),
            resolver.resolve(&lookup, "prod"),
        ) else {
            continue;
        };
        if access.value != prod.value || is_placeholder(&access.value) {
            continue;
        }
        // The value itself never appears: only where prod's copy comes from.
        out.push(Diagnostic::new(
            node.key_span,
            Severity::Warning,
            codes::ACCESS_REUSES_PROD_CREDENTIALS,
            format!(
                "`{}` under profile access has the same value as under prod ({}): access serves shared notebooks and apps and must use its own read-only credentials, not prod's read-write ones",
                path.join("."),
                prod.origin.label()
            ),
        ));
    }
}

/// The file that carries the access-fallback finding: `prod.secrets.toml`, else `prod.config.toml`.
fn fallback_anchor(folder: &DltFolder) -> Option<&str> {
    ["prod.secrets.toml", "prod.config.toml"]
        .into_iter()
        .find(|n| folder.file(n).is_some())
}

fn access_falls_back(folder: &DltFolder, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    if !profiles::access_falls_back_to_prod(folder) || fallback_anchor(folder) != Some(&file.name) {
        return;
    }
    out.push(Diagnostic::new(
        first_line(file),
        Severity::Information,
        codes::ACCESS_FALLS_BACK_TO_PROD,
        "No `access` profile files: on the platform, interactive notebooks and apps fall back to the prod profile and run with its read-write credentials; create access files with read-only credentials",
    ));
}

/// Creates `access.secrets.toml` (and `access.config.toml` when prod has a config file) with
/// prod's keys and dlt's `<configure me>` placeholder, never prod's values.
pub fn access_profile_fix(folder: &DltFolder) -> Option<EditSet> {
    if !profiles::access_falls_back_to_prod(folder) {
        return None;
    }
    let mut changes = Vec::new();
    for kind in [FileKind::Secrets, FileKind::Config] {
        let base = kind.base_name();
        let (Some(prod), None) = (
            folder.file(&format!("prod.{base}")),
            folder.file(&format!("access.{base}")),
        ) else {
            continue;
        };
        let path = folder.dlt_dir.join(format!("access.{base}"));
        // An existing access file is never overwritten: unreadable files are in `files` too
        // (with a load error), so the check above covers them.
        changes.push(FileChange::Create {
            path,
            text: placeholder_copy(prod),
        });
    }
    if changes.is_empty() {
        return None;
    }
    let names: Vec<String> = changes
        .iter()
        .filter_map(|c| c.path().file_name()?.to_str().map(str::to_string))
        .collect();
    Some(EditSet {
        title: format!(
            "Create {} with prod's keys as placeholders",
            names.join(" and ")
        ),
        changes,
    })
}

/// The keys of `file` as a TOML document with every value set to the placeholder.
fn placeholder_copy(file: &SourceFile) -> String {
    let mut doc = toml_edit::DocumentMut::new();
    for (path, _) in leaves_of(file) {
        let Some((last, sections)) = path.split_last() else {
            continue;
        };
        let mut table = doc.as_table_mut();
        for seg in sections {
            let item = table.entry(seg).or_insert_with(|| {
                let mut t = toml_edit::Table::new();
                // Only tables with values of their own get a header.
                t.set_implicit(true);
                toml_edit::Item::Table(t)
            });
            match item.as_table_mut() {
                Some(t) => table = t,
                None => return String::new(),
            }
        }
        table.insert(last, toml_edit::value(PLACEHOLDER));
    }
    format!(
        "# Profile `access`: shared notebooks and apps. Use read-only credentials, never prod's.\n{doc}"
    )
}

/// The file that carries folder-wide findings about non-TOML files (the pin file, state dirs):
/// `config.toml`, else `secrets.toml`, else the first file dlt reads.
fn folder_anchor(folder: &DltFolder) -> Option<&SourceFile> {
    folder
        .file("config.toml")
        .or_else(|| folder.file("secrets.toml"))
        .or_else(|| {
            folder
                .files
                .values()
                .find(|f| matches!(f.role, FileRole::Profile { .. }))
        })
        .map(|f| f.as_ref())
}

fn is_anchor(folder: &DltFolder, file: &SourceFile) -> bool {
    folder_anchor(folder).is_some_and(|a| a.path == file.path)
}

/// The pin file is never synced: a pinned profile with no files of its own exists on this
/// machine only (and for a custom name, nowhere but the pin).
fn pinned_profile_without_files(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
) {
    let Some(pinned) = folder.pinned_profile.as_deref() else {
        return;
    };
    // `dev` is the default and is served by the base files; pinning it changes nothing.
    if !folder.is_workspace
        || pinned == DEFAULT_PROFILE
        || profiles::has_profile_files(folder, pinned)
        // The global dir's profile files count too: dlt reads them for the pinned profile.
        || snapshot
            .global
            .as_deref()
            .is_some_and(|g| profiles::has_profile_files(g, pinned))
        || !is_anchor(folder, file)
    {
        return;
    }
    let what = if profiles::BUILT_IN_PROFILES.contains(&pinned) {
        format!("built-in profile `{pinned}`")
    } else {
        format!("custom profile `{pinned}`")
    };
    out.push(Diagnostic::new(
        first_line(file),
        Severity::Information,
        codes::PINNED_PROFILE_WITHOUT_FILES,
        format!(
            "`.dlt/profile-name` pins the {what}, which has no `{pinned}.config.toml` or `{pinned}.secrets.toml`: the pin file is local and never synced, so this profile exists on this machine only and dlt reads just the base files under it"
        ),
    ));
}

fn outside_workspace(folder: &DltFolder, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    if folder.is_workspace || !matches!(file.role, FileRole::Profile { .. }) {
        return;
    }
    out.push(Diagnostic::new(
        first_line(file),
        Severity::Warning,
        codes::PROFILE_FILE_OUTSIDE_WORKSPACE,
        format!(
            "dlt reads profile files only in a dltHub workspace: without `.dlt/.workspace` this is a classic project and `{}` is ignored",
            file.name
        ),
    ));
}

/// Creates the empty `.dlt/.workspace` marker that turns the folder into a dltHub workspace.
pub fn workspace_marker_fix(folder: &DltFolder) -> Option<EditSet> {
    if folder.is_workspace {
        return None;
    }
    Some(EditSet {
        title: "Create .dlt/.workspace (make this a dltHub workspace)".into(),
        changes: vec![FileChange::Create {
            path: folder.dlt_dir.join(WORKSPACE_MARKER),
            text: String::new(),
        }],
    })
}

/// Workspace binding keys, in both spellings dlt reads in a workspace.
const WORKSPACE_BINDING: [&[&str]; 4] = [
    &["runtime", "workspace_id"],
    &["runtime", "organization_id"],
    &["workspace", "runtime", "workspace_id"],
    &["workspace", "runtime", "organization_id"],
];

/// `dlthub workspace connect` writes the binding into `.dlt/config.toml`; a copy in a secrets
/// file is uploaded as a secret, and one in a profile file binds a single profile.
fn workspace_settings_misplaced(file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let place = match &file.role {
        FileRole::Base(FileKind::Secrets) => "a secrets file".to_string(),
        FileRole::Profile {
            profile,
            kind: FileKind::Secrets,
        } => format!("a secrets file scoped to profile `{profile}`"),
        FileRole::Profile { profile, .. } => format!("a file scoped to profile `{profile}`"),
        _ => return,
    };
    for path in WORKSPACE_BINDING {
        let Some(node) = file.doc.root().get_path(path) else {
            continue;
        };
        out.push(Diagnostic::new(
            node.key_span,
            Severity::Warning,
            codes::WORKSPACE_SETTING_MISPLACED,
            format!(
                "`{}` belongs in `.dlt/config.toml`, where `dlthub workspace connect` writes it, not in {place}",
                path.join(".")
            ),
        ));
    }
}

/// The local paths of the folder that git would not ignore.
fn uncovered_local_paths(folder: &DltFolder) -> Vec<&LocalPath> {
    let Some(git) = folder.git.as_deref() else {
        return Vec::new();
    };
    folder
        .local_paths
        .iter()
        .filter(|p| {
            !git.ignore_match_at(&work_rel(git.project_rel(), &p.rel), p.is_dir, None)
                .is_some_and(|m| m.ignores())
        })
        .collect()
}

fn work_rel(project_rel: &str, rel: &str) -> String {
    if project_rel.is_empty() {
        rel.to_string()
    } else {
        format!("{project_rel}/{rel}")
    }
}

fn local_state_not_ignored(folder: &DltFolder, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    if !is_anchor(folder, file) {
        return;
    }
    let uncovered = uncovered_local_paths(folder);
    if uncovered.is_empty() {
        return;
    }
    let list: Vec<String> = uncovered.iter().map(|p| format!("`{}`", p.rel)).collect();
    out.push(Diagnostic::new(
        first_line(file),
        Severity::Information,
        codes::LOCAL_STATE_NOT_IGNORED,
        format!(
            "{} not covered by .gitignore: the pin file, pipeline state, local data and duckdb databases belong to this machine, and `dlthub init` ignores them so they are never committed",
            match list.len() {
                1 => format!("{} is", list[0]),
                _ => format!("{} are", list.join(", ")),
            }
        ),
    ));
}

/// The `.gitignore` pattern `dlthub init` uses for a local path, rewritten for a `.gitignore`
/// in `rel_dir` (work-tree relative); `None` when that `.gitignore` cannot cover it.
fn local_pattern(path: &LocalPath, project_rel: &str, rel_dir: &str) -> Option<String> {
    if !path.rel.starts_with(".dlt/") {
        // A database anywhere below: the glob dlthub init writes.
        return Some("*.duckdb".into());
    }
    let full = work_rel(project_rel, &path.rel);
    let below = if rel_dir.is_empty() {
        full.as_str()
    } else {
        full.strip_prefix(rel_dir)?.strip_prefix('/')?
    };
    // With an inner slash git anchors the pattern to the `.gitignore`'s directory, as
    // dlthub init's `.dlt/state` is; a bare name needs a leading slash for the same effect.
    Some(if below.contains('/') {
        escape_glob(below)
    } else {
        format!("/{}", escape_glob(below))
    })
}

/// Adds the `dlthub init` lines for every uncovered local path to the `.gitignore` where they
/// take effect (checked against git's precedence with the edit applied).
pub fn local_state_gitignore_fix(folder: &DltFolder) -> Option<EditSet> {
    let git = folder.git.as_deref()?;
    let uncovered = uncovered_local_paths(folder);
    if uncovered.is_empty() {
        return None;
    }
    let project_rel = git.project_rel();
    append_to_gitignore(
        git,
        "# dlt local state (as dlthub init writes it)",
        |g, old| {
            let mut lines: Vec<String> = Vec::new();
            for p in &uncovered {
                let Some(l) = local_pattern(p, project_rel, &g.rel_dir) else {
                    return Vec::new();
                };
                if !lines.contains(&l) && !old.lines().any(|x| x.trim() == l) {
                    lines.push(l);
                }
            }
            lines
        },
        |g, new| {
            uncovered.iter().all(|p| {
                git.ignore_match_at(
                    &work_rel(project_rel, &p.rel),
                    p.is_dir,
                    Some((&g.path, new)),
                )
                .is_some_and(|m| m.ignores())
            })
        },
    )
}

#[cfg(test)]
mod tests;
