//! Secrets outside gitignored files (issue 3): the findings, and the quick fixes as plain edits.
//!
//! Pure: everything git-related comes from the folder's [`FolderGit`], captured at load time.

use std::path::PathBuf;
use std::sync::Arc;

use super::edits::{diff_edit, CommandFix, EditSet, FileChange, TextEdit};
use crate::model::diagnostic::{self as codes, Diagnostic, Severity};
use crate::model::files::{FileKind, FileRole};
use crate::model::git::{FileGitStatus, FolderGit, GitignoreFile};
use crate::model::resolve::env_var_name;
use crate::model::secrets::{
    destination_types, file_secrets, matching_secrets_file, FileSecrets, SecretValue,
};
use crate::model::source::SourceFile;
use crate::model::toml::{Node, Span, TomlDoc};
use crate::model::workspace::{DltFolder, Snapshot};

/// The secrets of a file, with the folder's destination types taken into account.
pub fn secrets_of(folder: &DltFolder, file: &SourceFile) -> FileSecrets {
    file_secrets(file, &destination_types(folder))
}

/// Whether dlt reads `file` through its config provider (the one that refuses secrets).
fn read_as_config(folder: &DltFolder, file: &SourceFile) -> bool {
    match &file.role {
        FileRole::Base(FileKind::Config) => true,
        // Classic projects never read profile files, so dlt never sees their secrets.
        FileRole::Profile {
            kind: FileKind::Config,
            ..
        } => folder.is_workspace,
        _ => false,
    }
}

/// The git status of a file, when the folder is in a git work tree.
fn git_status<'a>(
    folder: &'a DltFolder,
    file: &SourceFile,
) -> Option<(&'a FolderGit, FileGitStatus)> {
    let git = folder.git.as_deref()?;
    Some((git, git.status(&file.name)))
}

/// Every secret-related finding of one file.
pub fn secret_diagnostics(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if file.load_error.is_some() {
        return out;
    }
    let secrets = secrets_of(folder, file);
    // Named only in a finding: most files have none, and a profile's file name is a `format!`.
    let target = || matching_secrets_file(&file.role).unwrap_or_else(|| "secrets.toml".into());

    if read_as_config(folder, file) {
        for v in secrets.values.iter().filter(|v| v.secret_typed) {
            let what = if v.placeholder {
                "a secret field"
            } else {
                v.reason.describe()
            };
            out.push(Diagnostic::new(
                v.value_span,
                Severity::Error,
                codes::SECRET_IN_CONFIG,
                format!(
                    "`{}` is {what}, and config files cannot hold secrets: dlt raises ValueNotSecretException \
                     when it reads this file. Move it to `{}` or set the environment variable `{}`.",
                    v.path.join("."),
                    target(),
                    v.env_var()
                ),
            ));
        }
        for t in &secrets.credentials_tables {
            let Some(paths) = whole_credentials_paths(&t.path) else {
                continue;
            };
            if credentials_answered(snapshot, folder, file, &paths) {
                continue;
            }
            out.push(Diagnostic::new(
                t.key_span,
                Severity::Error,
                codes::CREDENTIALS_IN_CONFIG,
                format!(
                    "`{}` is a credentials table in a config file: dlt first reads the whole credentials as a \
                     secret and raises ValueNotSecretException, even when the table holds only fields like \
                     `host`. Move the table to `{}`.",
                    t.path.join("."),
                    target()
                ),
            ));
        }
    }

    let Some((git, status)) = git_status(folder, file) else {
        out.sort_by_key(|d| d.span);
        return out;
    };
    let rel = &status.rel_path;
    if status.would_commit() {
        let why = if status.tracked {
            format!("`{rel}` is tracked by git")
        } else {
            format!("`{rel}` is not ignored by git")
        };
        for v in secrets.leakable() {
            out.push(Diagnostic::new(
                v.value_span,
                Severity::Warning,
                codes::SECRET_COMMITTED,
                format!(
                    "`{}` holds {} and {why}, so the next commit would publish it. Keep it in an ignored \
                     secrets file or in the environment variable `{}`; if it was ever pushed, rotate it.",
                    v.path.join("."),
                    v.reason.describe(),
                    v.env_var()
                ),
            ));
        }
    }

    if file.role.kind() == Some(FileKind::Secrets) {
        let first_line = first_line(file);
        if status.tracked || status.in_head {
            let how = match (status.tracked, status.in_head, status.is_ignored()) {
                (true, _, true) => {
                    "is tracked by git although the ignore rules exclude it (it was force-added or \
                                    added before the rule)"
                }
                (true, true, false) => "is tracked by git and committed in HEAD",
                (true, false, false) => "is staged in git's index",
                (false, _, _) => "is committed in HEAD, so its content is in the history",
            };
            let untrack = if status.tracked {
                format!(
                    "Untrack it with `git rm --cached {rel}` (the file stays on disk) and rotate"
                )
            } else {
                "Rotate".to_string()
            };
            out.push(Diagnostic::new(
                first_line,
                Severity::Error,
                codes::SECRETS_FILE_TRACKED,
                format!(
                    "`{rel}` {how}. {untrack} every credential it holds or ever held: whoever can read the \
                     repository can read them."
                ),
            ));
        }
        if !status.is_ignored() {
            let rule = ignore_rule_for(file);
            let mut message = format!(
                "`{rel}` is not covered by the repository's ignore rules: add `{rule}` to a `.gitignore`, \
                 as `dlthub init` does."
            );
            if let Some(m) = status.ignore.as_ref().filter(|m| m.negated) {
                let src = m
                    .source
                    .as_ref()
                    .map(|s| display_rel(git.work_dir(), s))
                    .unwrap_or_default();
                message += &format!(" `{}` at {src}:{} re-includes it.", m.pattern, m.line);
            }
            let placeholders_only = secrets.leakable().next().is_none();
            let severity = if placeholders_only {
                message += " It holds only placeholders for now.";
                Severity::Information
            } else {
                Severity::Warning
            };
            out.push(Diagnostic::new(
                first_line,
                severity,
                codes::SECRETS_FILE_NOT_IGNORED,
                message,
            ));
        }
    }
    out.sort_by_key(|d| d.span);
    out
}

fn first_line(file: &SourceFile) -> Span {
    let r = file.line_index().line_range(&file.text, 0);
    Span::new(r.start, r.end)
}

fn display_rel(base: &std::path::Path, path: &std::path::Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The ignore rule that covers a secrets file the way `dlthub init` writes it.
fn ignore_rule_for(file: &SourceFile) -> String {
    match &file.role {
        FileRole::Base(_) => "secrets.toml".into(),
        FileRole::Profile { .. } => "*.secrets.toml".into(),
        _ => file.name.clone(),
    }
}

/// The paths at which a secrets-capable provider can answer dlt's whole-credentials lookup for a
/// credentials table at `path`; `None` for tables dlt does not look up that way.
fn whole_credentials_paths(path: &[String]) -> Option<Vec<Vec<String>>> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match p.as_slice() {
        ["destination", name, "credentials"] => Some(vec![
            own(&["destination", name, "credentials"]),
            own(&["destination", "credentials"]),
            own(&["credentials"]),
        ]),
        ["destination", "credentials"] => Some(vec![
            own(&["destination", "credentials"]),
            own(&["credentials"]),
        ]),
        ["credentials"] => Some(vec![own(&["credentials"])]),
        _ => None,
    }
}

/// Whether the environment or a secrets file read together with `file` answers at one of
/// `paths` before the config file is asked.
fn credentials_answered(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    paths: &[Vec<String>],
) -> bool {
    if paths
        .iter()
        .any(|p| snapshot.context.env.contains_key(&env_var_name(p)))
    {
        return true;
    }
    // The base secrets file is read for every profile; a profile config file also pairs with
    // its own profile's secrets file.
    let mut names = vec!["secrets.toml".to_string()];
    if let FileRole::Profile { profile, .. } = &file.role {
        names.push(format!("{profile}.secrets.toml"));
    }
    let folders = std::iter::once(folder).chain(snapshot.global.as_deref());
    folders
        .flat_map(|f| names.iter().filter_map(move |n| f.file(n)))
        .any(|s| paths.iter().any(|p| s.doc.root().get_path(p).is_some()))
}

/// How a `.gitignore` fix covers a secrets file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreScope {
    /// The patterns `dlthub init` writes: `secrets.toml` and `*.secrets.toml`.
    Patterns,
    /// Exactly this file, anchored to the `.gitignore`'s directory.
    ExactFile,
}

/// Adds a rule that makes git ignore `file`, to the `.gitignore` where it really takes effect
/// (verified against git's precedence with the edit applied); `None` when the file is already
/// ignored, outside git, or no `.gitignore` on its path could make it ignored.
pub fn gitignore_fix(folder: &DltFolder, file: &SourceFile, scope: IgnoreScope) -> Option<EditSet> {
    let git = folder.git.as_deref()?;
    if git.status(&file.name).is_ignored() {
        return None;
    }
    append_to_gitignore(
        git,
        "# dlt secrets and credentials",
        |g, old| rule_lines(&file.role, &file.name, scope, &g.rel_dir, &git.dlt_rel, old),
        |g, new| {
            git.ignore_match_with(&file.name, Some((&g.path, new)))
                .is_some_and(|m| m.ignores())
        },
    )
}

/// Appends `header` and the lines `lines(gitignore, old_text)` to the first `.gitignore` on the
/// `.dlt` folder's path for which `works(gitignore, new_text)` holds (the caller asks git's
/// precedence whether the edit takes effect). Candidates in order: the project's `.gitignore`
/// (where `dlthub init` writes), the nearest existing one above it, the `.dlt` folder's own,
/// then new files in the project dir or in `.dlt`. `None` when no candidate works.
pub fn append_to_gitignore(
    git: &FolderGit,
    header: &str,
    lines: impl Fn(&GitignoreFile, &str) -> Vec<String>,
    works: impl Fn(&GitignoreFile, &str) -> bool,
) -> Option<EditSet> {
    let project_rel = git.project_rel();
    let mut order: Vec<(usize, bool)> = Vec::new();
    let gi = &git.gitignores;
    let project = gi.iter().position(|g| g.rel_dir == project_rel);
    let dlt = gi.iter().position(|g| g.rel_dir == git.dlt_rel);
    if let Some(i) = project {
        order.push((i, gi[i].text.is_some()));
    }
    for i in (0..project.unwrap_or(0)).rev() {
        if gi[i].text.is_some() {
            order.push((i, true));
        }
    }
    if let Some(i) = dlt {
        order.push((i, gi[i].text.is_some()));
    }
    for (i, exists) in order.into_iter().filter(|(_, e)| *e).chain(
        [project, dlt]
            .into_iter()
            .flatten()
            .filter(|i| gi[*i].text.is_none())
            .map(|i| (i, false)),
    ) {
        let g = &gi[i];
        let old = g.text.clone().unwrap_or_default();
        let lines = lines(g, &old);
        if lines.is_empty() {
            continue;
        }
        let mut new = old.clone();
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        if !new.is_empty() {
            new.push('\n');
        }
        new.push_str(header);
        new.push('\n');
        for l in &lines {
            new.push_str(l);
            new.push('\n');
        }
        if !works(g, &new) {
            continue;
        }
        let where_ = display_rel(git.work_dir(), &g.path);
        let title = format!(
            "Add {} to {where_}",
            lines
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        );
        let change = if exists {
            let base: Arc<str> = Arc::from(old.as_str());
            let edit = TextEdit {
                span: Span::new(old.len(), old.len()),
                new_text: new[old.len()..].to_string(),
            };
            FileChange::Edit {
                path: g.path.clone(),
                base_text: base,
                edits: vec![edit],
            }
        } else {
            FileChange::Create {
                path: g.path.clone(),
                text: new,
            }
        };
        return Some(EditSet {
            title,
            changes: vec![change],
        });
    }
    None
}

/// The lines to append for `scope`; the companion pattern only when the file lacks it.
fn rule_lines(
    role: &FileRole,
    name: &str,
    scope: IgnoreScope,
    rel_dir: &str,
    dlt_rel: &str,
    old: &str,
) -> Vec<String> {
    let has = |l: &str| old.lines().any(|x| x.trim() == l);
    match (scope, role) {
        (IgnoreScope::Patterns, FileRole::Base(_)) => {
            let mut v = vec!["secrets.toml".to_string()];
            if !has("*.secrets.toml") {
                v.push("*.secrets.toml".into());
            }
            v
        }
        (IgnoreScope::Patterns, FileRole::Profile { .. }) => {
            let mut v = Vec::new();
            if !has("secrets.toml") {
                v.push("secrets.toml".to_string());
            }
            v.push("*.secrets.toml".into());
            v
        }
        _ => {
            let below = dlt_rel
                .strip_prefix(rel_dir)
                .unwrap_or(dlt_rel)
                .trim_start_matches('/');
            let rel = if below.is_empty() {
                name.to_string()
            } else {
                format!("{below}/{name}")
            };
            vec![format!("/{}", escape_glob(&rel))]
        }
    }
}

/// Escapes characters that gitignore patterns give a meaning.
pub fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '!' | '#' | ' ') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Moves the key (or whole table) at `path` from a config file to its matching secrets file
/// (`config.toml` → `secrets.toml`, `prod.config.toml` → `prod.secrets.toml`), creating it when
/// needed. Comments and formatting of both files survive (toml_edit). A value the secrets file
/// already sets is not overwritten: it wins in dlt anyway, so the config copy is only removed.
pub fn move_to_secrets_fix(
    folder: &DltFolder,
    file: &SourceFile,
    path: &[String],
) -> Option<EditSet> {
    let target_name = matching_secrets_file(&file.role)?;
    let target_path: PathBuf = folder.dlt_dir.join(&target_name);
    let target = folder.file(&target_name);
    if target.is_some_and(|t| t.doc.has_errors()) {
        // toml_edit would refuse the text, and a fix must never make things worse.
        return None;
    }
    let target_text: Arc<str> = target
        .map(|t| t.text.clone())
        .unwrap_or_else(|| Arc::from(""));
    let mut secrets: toml_edit::DocumentMut = target_text.parse().ok()?;
    let (config_edit, key, item) = if file.doc.has_errors() {
        remove_entry_line(file, path)?
    } else {
        let mut config: toml_edit::DocumentMut = file.text.parse().ok()?;
        let (key, item) = remove_path(config.as_table_mut(), path)?;
        let new_config = config.to_string();
        // The result must still parse as TOML for dlt.
        if TomlDoc::parse(&new_config).has_errors() {
            return None;
        }
        (diff_edit(&file.text, &new_config), key, item)
    };
    insert_path(secrets.as_table_mut(), path, key, item)?;
    let new_secrets = secrets.to_string();
    if TomlDoc::parse(&new_secrets).has_errors() {
        return None;
    }
    let mut changes = Vec::new();
    if let Some(edit) = config_edit {
        changes.push(FileChange::Edit {
            path: file.path.clone(),
            base_text: file.text.clone(),
            edits: vec![edit],
        });
    }
    match target {
        Some(t) => {
            if let Some(edit) = diff_edit(&t.text, &new_secrets) {
                changes.push(FileChange::Edit {
                    path: target_path,
                    base_text: t.text.clone(),
                    edits: vec![edit],
                });
            }
        }
        None => changes.push(FileChange::Create {
            path: target_path,
            text: new_secrets,
        }),
    }
    let is_table = file.doc.root().get_path(path).is_some_and(Node::is_table);
    let title = format!(
        "Move {} `{}` to {target_name}",
        if is_table { "table" } else { "key" },
        path.join(".")
    );
    Some(EditSet { title, changes })
}

/// In a file toml_edit refuses (an unrelated duplicate key, a syntax error elsewhere), a
/// `key = value` entry that sits alone on its lines and touches no error can still move: its
/// lines are cut out as text, and its value is re-read on its own.
fn remove_entry_line(
    file: &SourceFile,
    path: &[String],
) -> Option<(Option<TextEdit>, toml_edit::Key, toml_edit::Item)> {
    let node = file.doc.root().get_path(path)?;
    if node.def != crate::model::toml::Def::Value {
        return None;
    }
    let (start, end) = (node.full_span.start as usize, node.full_span.end as usize);
    if file.doc.errors.iter().any(|e| {
        (e.span.start as usize) < end
            && start < (e.span.end as usize).max(e.span.start as usize + 1)
    }) {
        return None;
    }
    let text: &str = &file.text;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let before = &text[line_start..start];
    let after = text[end..line_end].trim();
    if !before.trim().is_empty() || !(after.is_empty() || after.starts_with('#')) {
        return None; // shares its line with something else, e.g. inside an inline table
    }
    let value = &text[node.value_span.start as usize..node.value_span.end as usize];
    let single: toml_edit::DocumentMut = format!("v = {value}\n").parse().ok()?;
    let item = single.get("v")?.clone();
    let key = toml_edit::Key::new(path.last()?.clone());
    let edit = TextEdit {
        span: Span::new(line_start, line_end),
        new_text: String::new(),
    };
    Some((Some(edit), key, item))
}

/// Removes the item at `path`, and parent tables left empty by it, since an empty
/// `[…credentials]` header left in a config file would still trip dlt.
fn remove_path(
    table: &mut dyn toml_edit::TableLike,
    path: &[String],
) -> Option<(toml_edit::Key, toml_edit::Item)> {
    let (first, rest) = path.split_first()?;
    if rest.is_empty() {
        let key = table.key(first)?.clone();
        let item = table.remove(first)?;
        return Some((key, item));
    }
    let child = table.get_mut(first)?.as_table_like_mut()?;
    let removed = remove_path(child, rest)?;
    if child.is_empty() {
        table.remove(first);
    }
    Some(removed)
}

/// Inserts `item` at `path`, creating missing parent tables as headers-only (implicit) tables.
fn insert_path(
    table: &mut toml_edit::Table,
    path: &[String],
    key: toml_edit::Key,
    mut item: toml_edit::Item,
) -> Option<()> {
    let (last, parents) = path.split_last()?;
    let mut current: &mut dyn toml_edit::TableLike = table;
    for p in parents {
        let entry = current.entry(p).or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        });
        current = entry.as_table_like_mut()?;
    }
    match current.get_mut(last) {
        None => {
            if let toml_edit::Item::Table(t) = &mut item {
                // Its position belongs to the other document; append it instead.
                t.set_position(None);
                t.decor_mut().clear();
            }
            current.insert(last, item);
            if let Some(mut k) = current.key_mut(last) {
                *k.leaf_decor_mut() = key.leaf_decor().clone();
            }
        }
        Some(existing) => {
            // Merge a moved table into an existing one, keeping what the secrets file says.
            let (Some(into), Some(from)) = (existing.as_table_like_mut(), item.as_table_like())
            else {
                return Some(());
            };
            for (k, v) in from.iter() {
                if !into.contains_key(k) {
                    into.insert(k, v.clone());
                }
            }
        }
    }
    Some(())
}

/// Replaces the entry of a secret value with a comment naming the environment variable dlt
/// reads instead; `None` when that would break the file (e.g. inside an inline table).
pub fn env_var_fix(file: &SourceFile, value: &SecretValue) -> Option<EditSet> {
    let var = value.env_var();
    let key = value.path.last()?;
    let comment =
        format!("# {key}: set the environment variable {var} instead of writing the secret here");
    let edit = TextEdit {
        span: value.entry_span,
        new_text: comment,
    };
    let new = super::edits::apply(&file.text, std::slice::from_ref(&edit));
    let doc = TomlDoc::parse(&new);
    if doc.has_errors() || doc.root().get_path(&value.path).is_some() {
        return None;
    }
    Some(EditSet {
        title: format!(
            "Replace `{}` with a comment naming `{var}`",
            value.path.join(".")
        ),
        changes: vec![FileChange::Edit {
            path: file.path.clone(),
            base_text: file.text.clone(),
            edits: vec![edit],
        }],
    })
}

/// `git rm --cached -- <file>` for a tracked secrets file, run in the work tree after the user
/// confirms; the file stays on disk.
pub fn untrack_command(folder: &DltFolder, file: &SourceFile) -> Option<CommandFix> {
    let (git, status) = git_status(folder, file)?;
    if !status.tracked {
        return None;
    }
    let rel = status.rel_path;
    Some(CommandFix {
        title: format!("Untrack {rel} (git rm --cached)"),
        confirmation: format!(
            "Run `git rm --cached {rel}`? The file stays on disk but leaves git's index; commit the removal, \
             and rotate the credentials it held."
        ),
        argv: vec!["git".into(), "rm".into(), "--cached".into(), "--".into(), rel],
        cwd: git.work_dir().to_path_buf(),
    })
}

/// Every quick fix for the secret findings that touch `range` of `file`, in menu order.
pub fn secret_fixes(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    range: Span,
) -> SecretFixes {
    let mut fixes = SecretFixes::default();
    let diags = secret_diagnostics(snapshot, folder, file);
    let touches = |s: Span| s.start <= range.end && range.start <= s.end;
    let secrets = secrets_of(folder, file);
    let mut moved: Vec<Vec<String>> = Vec::new();
    for d in diags.iter().filter(|d| touches(d.span)) {
        match d.code.id {
            id if id == codes::CREDENTIALS_IN_CONFIG.id => {
                if let Some(t) = secrets
                    .credentials_tables
                    .iter()
                    .find(|t| t.key_span == d.span)
                {
                    if let Some(e) = move_to_secrets_fix(folder, file, &t.path) {
                        moved.push(t.path.clone());
                        fixes.edits.push(e);
                    }
                }
            }
            id if id == codes::SECRET_IN_CONFIG.id || id == codes::SECRET_COMMITTED.id => {
                let Some(v) = secrets.values.iter().find(|v| v.value_span == d.span) else {
                    continue;
                };
                if read_as_config(folder, file) && !moved.contains(&v.path) {
                    if let Some(e) = move_to_secrets_fix(folder, file, &v.path) {
                        moved.push(v.path.clone());
                        fixes.edits.push(e);
                    }
                }
                if !fixes.edits.iter().any(|e| e.title.contains(&v.env_var())) {
                    fixes.edits.extend(env_var_fix(file, v));
                }
                if id == codes::SECRET_COMMITTED.id && file.role.kind() == Some(FileKind::Secrets) {
                    fixes
                        .edits
                        .extend(gitignore_fix(folder, file, IgnoreScope::Patterns));
                }
            }
            id if id == codes::SECRETS_FILE_NOT_IGNORED.id => {
                fixes
                    .edits
                    .extend(gitignore_fix(folder, file, IgnoreScope::Patterns));
                fixes
                    .edits
                    .extend(gitignore_fix(folder, file, IgnoreScope::ExactFile));
            }
            id if id == codes::SECRETS_FILE_TRACKED.id => {
                fixes.commands.extend(untrack_command(folder, file));
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    fixes.edits.retain(|e| seen.insert(e.title.clone()));
    fixes
}

/// Quick fixes: edits to apply as workspace edits, commands to run after confirmation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretFixes {
    /// Workspace edits, each one code action.
    pub edits: Vec<EditSet>,
    /// Commands to run after the user confirms, each one code action.
    pub commands: Vec<CommandFix>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::discovery::WalkLimits;
    use crate::model::git::GitCache;
    use crate::test_support::{git, git_fixture, write_fixture};

    fn load(dir: &std::path::Path) -> Snapshot {
        Snapshot::load(&[dir.to_path_buf()], WalkLimits::default())
    }

    /// Secret findings of every file, as `file:line:col severity [code] message`.
    fn render(snap: &Snapshot) -> String {
        let mut out = String::new();
        for folder in snap.folders.values() {
            for file in folder.files.values() {
                for d in secret_diagnostics(snap, folder, file) {
                    out += &crate::test_support::render_diagnostic(file, &d);
                }
            }
        }
        out
    }

    /// Applies an edit set on disk, checking each edited file still has the text it was
    /// computed against.
    fn apply_on_disk(set: &EditSet) {
        for c in &set.changes {
            match c {
                FileChange::Edit {
                    path, base_text, ..
                } => {
                    assert_eq!(&*std::fs::read_to_string(path).unwrap(), &**base_text);
                }
                FileChange::Create { path, .. } => assert!(!path.exists()),
            }
            std::fs::write(c.path(), c.result()).unwrap();
        }
    }

    fn folder_file<'a>(snap: &'a Snapshot, name: &str) -> (&'a DltFolder, &'a SourceFile) {
        let folder = snap.folders.values().next().unwrap();
        (folder, folder.file(name).unwrap())
    }

    const JWT: &str =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtb3RoZXJkdWNrIn0.c2lnbmF0dXJlLW9mLWEtdG9rZW4";

    #[test]
    fn secrets_in_a_committed_config_file() {
        let dir = git_fixture(&format!(
            "//- .gitignore\nsecrets.toml\n*.secrets.toml\n\
             //- .dlt/config.toml\n[destination.postgres.credentials]\nhost = \"db.example.com\"\npassword = \"hunter2!\"\n\
             [runtime]\nlog_level = \"INFO\"\nauth_token = \"<configure me>\"\n\
             [sources.chess]\nnote = \"{JWT}\"\nslack = \"xoxb-1234567890-abcdefghij\" # dlt-lsp: allow-secret\n\
             [destination.warehouse]\ncredentials = \"postgresql://loader:s3cr3t@warehouse:5432/dwh\"\n"
        ));
        expect_test::expect![[r#"
            config.toml:1:23 error [credentials-in-config] `destination.postgres.credentials` is a credentials table in a config file: dlt first reads the whole credentials as a secret and raises ValueNotSecretException, even when the table holds only fields like `host`. Move the table to `secrets.toml`.
            config.toml:3:12 error [secret-in-config] `destination.postgres.credentials.password` is a field dlt types as secret, and config files cannot hold secrets: dlt raises ValueNotSecretException when it reads this file. Move it to `secrets.toml` or set the environment variable `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`.
            config.toml:3:12 warning [secret-committed] `destination.postgres.credentials.password` holds a field dlt types as secret and `.dlt/config.toml` is not ignored by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`; if it was ever pushed, rotate it.
            config.toml:6:14 error [secret-in-config] `runtime.auth_token` is a secret field, and config files cannot hold secrets: dlt raises ValueNotSecretException when it reads this file. Move it to `secrets.toml` or set the environment variable `RUNTIME__AUTH_TOKEN`.
            config.toml:8:8 warning [secret-committed] `sources.chess.note` holds a JSON Web Token and `.dlt/config.toml` is not ignored by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `SOURCES__CHESS__NOTE`; if it was ever pushed, rotate it.
            config.toml:11:15 error [secret-in-config] `destination.warehouse.credentials` is credentials given as one string, and config files cannot hold secrets: dlt raises ValueNotSecretException when it reads this file. Move it to `secrets.toml` or set the environment variable `DESTINATION__WAREHOUSE__CREDENTIALS`.
            config.toml:11:15 warning [secret-committed] `destination.warehouse.credentials` holds credentials given as one string and `.dlt/config.toml` is not ignored by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `DESTINATION__WAREHOUSE__CREDENTIALS`; if it was ever pushed, rotate it.
        "#]]
        .assert_eq(&render(&load(&dir)));
        // Whatever the finding, no message ever carries a secret.
        let all = render(&load(&dir));
        for secret in ["hunter2", JWT, "xoxb-", "s3cr3t", "loader:"] {
            assert!(!all.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn works_in_a_linked_worktree_whose_git_dir_is_elsewhere() {
        let dir = git_fixture(
            "//- .gitignore
secrets.toml
//- .dlt/secrets.toml
password = \"real-password\"\n",
        );
        git(&dir, &["add", ".gitignore"]);
        git(&dir, &["commit", "-q", "-m", "init"]);
        let wt = dir.join("linked");
        git(
            &dir,
            &["worktree", "add", "-q", "-b", "other", wt.to_str().unwrap()],
        );
        std::fs::create_dir_all(wt.join(".dlt")).unwrap();
        std::fs::write(
            wt.join(".dlt/secrets.toml"),
            "password = \"real-password\"\n",
        )
        .unwrap();
        let snap = load(&wt);
        assert_eq!(render(&snap), "");
        let folder = snap.folders.values().next().unwrap();
        let git_state = folder.git.as_ref().unwrap();
        // The index of a linked worktree lives under the main repository's `.git/worktrees`.
        assert!(git_state
            .watched_paths()
            .any(|p| p.ends_with("index") && p.to_string_lossy().contains("worktrees")));
        std::fs::write(wt.join(".gitignore"), "").unwrap();
        let mut snap = snap;
        let mut cache = GitCache::default();
        assert_eq!(snap.refresh_git(false, &mut cache).len(), 1);
        assert!(render(&snap).contains("[secrets-file-not-ignored]"));
    }

    #[test]
    fn secrets_files_against_nested_ignore_rules() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n*.secrets.toml\n\
             //- proj/.dlt/.gitignore\n!prod.secrets.toml\n!dev.secrets.toml\n\
             //- proj/.dlt/.workspace\n\
             //- proj/.dlt/prod.secrets.toml\n[destination.warehouse]\ncredentials = \"postgresql://loader:s3cr3t@warehouse:5432/dwh\"\n\
             //- proj/.dlt/dev.secrets.toml\n[destination.warehouse.credentials]\npassword = \"<configure me>\"\n\
             //- proj/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"real-password\"\n",
        );
        expect_test::expect![[r#"
            dev.secrets.toml:1:1 info [secrets-file-not-ignored] `proj/.dlt/dev.secrets.toml` is not covered by the repository's ignore rules: add `*.secrets.toml` to a `.gitignore`, as `dlthub init` does. `!dev.secrets.toml` at proj/.dlt/.gitignore:2 re-includes it. It holds only placeholders for now.
            prod.secrets.toml:1:1 warning [secrets-file-not-ignored] `proj/.dlt/prod.secrets.toml` is not covered by the repository's ignore rules: add `*.secrets.toml` to a `.gitignore`, as `dlthub init` does. `!prod.secrets.toml` at proj/.dlt/.gitignore:1 re-includes it.
            prod.secrets.toml:2:15 warning [secret-committed] `destination.warehouse.credentials` holds credentials given as one string and `proj/.dlt/prod.secrets.toml` is not ignored by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `DESTINATION__WAREHOUSE__CREDENTIALS`; if it was ever pushed, rotate it.
        "#]]
        .assert_eq(&render(&load(&dir)));

        // The fix goes where it takes effect: the root file loses against the nested negation.
        let snap = load(&dir);
        let (folder, file) = folder_file(&snap, "prod.secrets.toml");
        let fix = gitignore_fix(folder, file, IgnoreScope::Patterns).unwrap();
        expect_test::expect![[r#"
            Add `secrets.toml` and `*.secrets.toml` to proj/.dlt/.gitignore
            !prod.secrets.toml
            !dev.secrets.toml

            # dlt secrets and credentials
            secrets.toml
            *.secrets.toml
        "#]]
        .assert_eq(&format!("{}\n{}", fix.title, fix.changes[0].result()));
        let exact = gitignore_fix(folder, file, IgnoreScope::ExactFile).unwrap();
        assert_eq!(
            exact.changes[0].result().lines().last(),
            Some("/prod.secrets.toml")
        );
        apply_on_disk(&fix);
        // Git itself agrees after the edit, and so does a reloaded snapshot.
        assert!(git(&dir, &["check-ignore", "proj/.dlt/prod.secrets.toml"])
            .contains("prod.secrets.toml"));
        let after = render(&load(&dir));
        assert!(!after.contains("prod.secrets.toml"), "{after}");
    }

    #[test]
    fn a_force_added_secrets_file_is_an_error_with_an_untrack_command() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n\
             //- .dlt/secrets.toml\n[sources.github]\naccess_token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n",
        );
        git(&dir, &["add", "-f", ".dlt/secrets.toml"]);
        git(&dir, &["commit", "-q", "-m", "add"]);
        let snap = load(&dir);
        expect_test::expect![[r#"
            secrets.toml:1:1 error [secrets-file-tracked] `.dlt/secrets.toml` is tracked by git although the ignore rules exclude it (it was force-added or added before the rule). Untrack it with `git rm --cached .dlt/secrets.toml` (the file stays on disk) and rotate every credential it holds or ever held: whoever can read the repository can read them.
            secrets.toml:2:16 warning [secret-committed] `sources.github.access_token` holds a GitHub token and `.dlt/secrets.toml` is tracked by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `SOURCES__GITHUB__ACCESS_TOKEN`; if it was ever pushed, rotate it.
        "#]]
        .assert_eq(&render(&snap));
        let (folder, file) = folder_file(&snap, "secrets.toml");
        let fixes = secret_fixes(&snap, folder, file, Span::new(0, 0));
        let cmd = &fixes.commands[0];
        assert_eq!(
            cmd.argv,
            ["git", "rm", "--cached", "--", ".dlt/secrets.toml"]
        );
        let status = std::process::Command::new(&cmd.argv[0])
            .args(&cmd.argv[1..])
            .current_dir(&cmd.cwd)
            .output()
            .unwrap();
        assert!(status.status.success());
        // Untracked but still in HEAD: the error stays until the removal is committed.
        let after = render(&load(&dir));
        assert!(after.contains("is committed in HEAD"), "{after}");
        git(&dir, &["commit", "-q", "-m", "untrack"]);
        assert_eq!(render(&load(&dir)), "");
    }

    #[test]
    fn core_excludes_file_covers_secrets_files() {
        let dir = git_fixture(
            "//- ignores\nsecrets.toml\n//- .dlt/secrets.toml\npassword = \"real-password\"\n",
        );
        git(
            &dir,
            &[
                "config",
                "core.excludesFile",
                dir.join("ignores").to_str().unwrap(),
            ],
        );
        assert_eq!(render(&load(&dir)), "");
        git(
            &dir,
            &[
                "config",
                "core.excludesFile",
                dir.join("none").to_str().unwrap(),
            ],
        );
        expect_test::expect![[r#"
            secrets.toml:1:1 warning [secrets-file-not-ignored] `.dlt/secrets.toml` is not covered by the repository's ignore rules: add `secrets.toml` to a `.gitignore`, as `dlthub init` does.
            secrets.toml:1:12 warning [secret-committed] `password` holds a value whose key names a secret and `.dlt/secrets.toml` is not ignored by git, so the next commit would publish it. Keep it in an ignored secrets file or in the environment variable `PASSWORD`; if it was ever pushed, rotate it.
        "#]]
        .assert_eq(&render(&load(&dir)));
        let snap = load(&dir);
        let (folder, file) = folder_file(&snap, "secrets.toml");
        let fix = gitignore_fix(folder, file, IgnoreScope::Patterns).unwrap();
        assert!(
            matches!(&fix.changes[0], FileChange::Create { path, .. } if path.ends_with(".gitignore"))
        );
        apply_on_disk(&fix);
        assert_eq!(render(&load(&dir)), "");
    }

    #[test]
    fn without_git_only_dlt_errors_are_reported() {
        let dir = write_fixture(
            "//- .dlt/config.toml\n[destination.postgres.credentials]\npassword = \"pw-1234\"\n//- .dlt/secrets.toml\ntoken = \"t-123456\"\n",
        );
        expect_test::expect![[r#"
            config.toml:1:23 error [credentials-in-config] `destination.postgres.credentials` is a credentials table in a config file: dlt first reads the whole credentials as a secret and raises ValueNotSecretException, even when the table holds only fields like `host`. Move the table to `secrets.toml`.
            config.toml:2:12 error [secret-in-config] `destination.postgres.credentials.password` is a field dlt types as secret, and config files cannot hold secrets: dlt raises ValueNotSecretException when it reads this file. Move it to `secrets.toml` or set the environment variable `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`.
        "#]]
        .assert_eq(&render(&load(&dir)));
    }

    #[test]
    fn a_secrets_file_answering_first_makes_a_config_credentials_table_fine() {
        let dir = write_fixture(
            "//- .dlt/config.toml\n[destination.postgres.credentials]\nhost = \"h\"\n\
             //- .dlt/secrets.toml\n[destination.postgres.credentials]\npassword = \"pw\"\n",
        );
        assert_eq!(render(&load(&dir)), "");
    }

    #[test]
    fn moves_a_lone_entry_out_of_a_file_with_an_unrelated_error() {
        let dir = write_fixture(
            "//- .dlt/config.toml\n[runtime]\nlog_level = \"WARNING\"\nlog_level = \"INFO\"\n\n[destination.postgres.credentials]\nhost = \"h\"\npassword = \"pw-123\" # from the vault\n\
             [sources.x]\ninline = { token = \"tok-1234567\" }\n",
        );
        let snap = load(&dir);
        let (folder, file) = folder_file(&snap, "config.toml");
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        let fix = move_to_secrets_fix(
            folder,
            file,
            &path("destination.postgres.credentials.password"),
        )
        .unwrap();
        let results: Vec<String> = fix.changes.iter().map(|c| c.result()).collect();
        assert_eq!(
            results,
            [
                "[runtime]\nlog_level = \"WARNING\"\nlog_level = \"INFO\"\n\n[destination.postgres.credentials]\nhost = \"h\"\n[sources.x]\ninline = { token = \"tok-1234567\" }\n",
                "[destination.postgres.credentials]\npassword = \"pw-123\" # from the vault\n",
            ]
        );
        // An entry inside an inline table shares its line: no text cut is safe.
        assert!(move_to_secrets_fix(folder, file, &path("sources.x.inline.token")).is_none());
    }

    #[test]
    fn moves_a_key_and_a_whole_table_keeping_comments() {
        let dir = write_fixture(
            "//- .dlt/config.toml\n# project settings\n[runtime]\nlog_level = \"INFO\"\n# the dlthub token\nauth_token = \"tok-123456\" # from the UI\n\n\
             [destination.postgres.credentials]\nhost = \"db\" # primary\npassword = \"pw-123\"\n\n[sources.x]\nbase = 1\n\
             //- .dlt/secrets.toml\n# secrets\n[destination.postgres.credentials]\npassword = \"already\"\n",
        );
        let snap = load(&dir);
        let (folder, file) = folder_file(&snap, "config.toml");
        let path = |p: &str| p.split('.').map(String::from).collect::<Vec<_>>();
        let fix = move_to_secrets_fix(folder, file, &path("runtime.auth_token")).unwrap();
        let render_set = |set: &EditSet| {
            let mut s = format!("{}\n", set.title);
            for c in &set.changes {
                s += &format!(
                    "--- {}\n{}",
                    c.path().file_name().unwrap().to_string_lossy(),
                    c.result()
                );
            }
            s
        };
        expect_test::expect![[r#"
            Move key `runtime.auth_token` to secrets.toml
            --- config.toml
            # project settings
            [runtime]
            log_level = "INFO"

            [destination.postgres.credentials]
            host = "db" # primary
            password = "pw-123"

            [sources.x]
            base = 1
            --- secrets.toml
            # secrets
            [destination.postgres.credentials]
            password = "already"

            [runtime]
            # the dlthub token
            auth_token = "tok-123456" # from the UI
        "#]]
        .assert_eq(&render_set(&fix));
        let fix =
            move_to_secrets_fix(folder, file, &path("destination.postgres.credentials")).unwrap();
        expect_test::expect![[r#"
            Move table `destination.postgres.credentials` to secrets.toml
            --- config.toml
            # project settings
            [runtime]
            log_level = "INFO"
            # the dlthub token
            auth_token = "tok-123456" # from the UI

            [sources.x]
            base = 1
            --- secrets.toml
            # secrets
            [destination.postgres.credentials]
            password = "already"
            host = "db" # primary
        "#]]
        .assert_eq(&render_set(&fix));
    }

    #[test]
    fn moves_to_a_new_profile_secrets_file_and_offers_an_env_var_comment() {
        let dir = write_fixture(
            "//- .dlt/.workspace\n//- .dlt/prod.config.toml\n[destination.warehouse]\ndestination_type = \"postgres\"\ncredentials = \"postgresql://u:pw@h/db\"\n",
        );
        let snap = load(&dir);
        let (folder, file) = folder_file(&snap, "prod.config.toml");
        let fixes = secret_fixes(&snap, folder, file, Span::new(0, file.text.len()));
        let titles: Vec<_> = fixes.edits.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Move key `destination.warehouse.credentials` to prod.secrets.toml",
                "Replace `destination.warehouse.credentials` with a comment naming `DESTINATION__WAREHOUSE__CREDENTIALS`"
            ]
        );
        let created = &fixes.edits[0].changes[1];
        assert!(matches!(created, FileChange::Create { .. }));
        expect_test::expect![[r#"
            [destination.warehouse]
            credentials = "postgresql://u:pw@h/db"
        "#]]
        .assert_eq(&created.result());
        expect_test::expect![[r#"
            [destination.warehouse]
            destination_type = "postgres"
            # credentials: set the environment variable DESTINATION__WAREHOUSE__CREDENTIALS instead of writing the secret here
        "#]]
        .assert_eq(&fixes.edits[1].changes[0].result());
    }
}

#[cfg(test)]
mod refresh_tests {
    use super::*;
    use crate::model::discovery::WalkLimits;
    use crate::model::git::GitCache;
    use crate::test_support::{git, git_fixture};

    fn codes(snap: &Snapshot) -> Vec<&'static str> {
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("secrets.toml").unwrap();
        secret_diagnostics(snap, folder, file)
            .iter()
            .map(|d| d.code.id)
            .collect()
    }

    #[test]
    fn gitignore_exclude_and_index_changes_re_evaluate_without_a_restart() {
        let dir = git_fixture("//- .dlt/secrets.toml\npassword = \"real-password\"\n");
        let mut snap = Snapshot::load(std::slice::from_ref(&dir), WalkLimits::default());
        assert_eq!(
            codes(&snap),
            ["secrets-file-not-ignored", "secret-committed"]
        );
        // One cache across the refreshes, as the server keeps it: each refresh must still see
        // the change on disk.
        let mut cache = GitCache::default();
        assert!(
            snap.refresh_git(false, &mut cache).is_empty(),
            "nothing changed yet"
        );

        std::fs::write(dir.join(".git/info/exclude"), "secrets.toml\n").unwrap();
        assert_eq!(snap.refresh_git(false, &mut cache).len(), 1);
        assert!(codes(&snap).is_empty());

        git(&dir, &["add", "-f", ".dlt/secrets.toml"]);
        assert_eq!(snap.refresh_git(false, &mut cache).len(), 1);
        assert_eq!(codes(&snap), ["secrets-file-tracked", "secret-committed"]);

        git(&dir, &["rm", "-q", "--cached", ".dlt/secrets.toml"]);
        std::fs::write(dir.join(".git/info/exclude"), "").unwrap();
        std::fs::write(dir.join(".gitignore"), "*.toml\n!secrets.toml\n").unwrap();
        assert_eq!(snap.refresh_git(false, &mut cache).len(), 1);
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("secrets.toml").unwrap();
        let not_ignored = &secret_diagnostics(&snap, folder, file)[0];
        assert!(
            not_ignored
                .message
                .contains("`!secrets.toml` at .gitignore:2 re-includes it"),
            "{}",
            not_ignored.message
        );
    }
}
