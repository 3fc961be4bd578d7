//! Inlay hints after values that dlt does not use under some profile: `overridden in
//! prod.secrets.toml (prod)`. The same data serves a code lens for clients without inlay hints.

use std::path::Path;

use crate::model::profiles::{self, Mode};
use crate::model::resolve::{FileStatus, Origin, Resolver};
use crate::model::toml::{Def, Table, Value};
use crate::model::workspace::Snapshot;

/// Leaves examined at most per file, so a huge file cannot stall a request.
const MAX_KEYS: usize = 5_000;

/// A hint shown after a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideHint {
    /// Byte offset where the hint goes: the end of the value.
    pub offset: usize,
    /// `overridden in prod.secrets.toml:2 (prod)`.
    pub label: String,
    /// What overrides the value, per profile where it does.
    pub by: Vec<(String, Origin)>,
}

/// Hints for every value of the file at `path` that another source overrides for at least one
/// profile that reads the file.
pub fn override_hints(snapshot: &Snapshot, path: &Path) -> Vec<OverrideHint> {
    let Some((folder, file)) = snapshot.file(path) else {
        return Vec::new();
    };
    let resolver = Resolver::new(snapshot, folder);
    let names: Vec<String> = match Mode::of(folder) {
        Mode::Classic => vec![profiles::active_profile(folder, &snapshot.context.env).name],
        Mode::Workspace => profiles::profiles(folder, &snapshot.context.env)
            .into_iter()
            .map(|p| p.name)
            .collect(),
    };
    let mut leaves = Vec::new();
    collect_leaves(file.doc.root(), &mut Vec::new(), &mut leaves);
    let mut out = Vec::new();
    for (key, end) in leaves.into_iter().take(MAX_KEYS) {
        let Some(lookup) = resolver.classify(&key) else {
            continue;
        };
        let by: Vec<(String, Origin)> = names
            .iter()
            .filter_map(|p| match resolver.file_status(&lookup, &key, p, file) {
                FileStatus::ShadowedBy(found) => Some((p.clone(), found.origin)),
                _ => None,
            })
            .collect();
        if by.is_empty() {
            continue;
        }
        // Group profiles by what overrides them: one source usually shadows one profile.
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        for (p, o) in &by {
            let label = o.label();
            match groups.iter_mut().find(|(l, _)| *l == label) {
                Some((_, ps)) => ps.push(p),
                None => groups.push((label, vec![p])),
            }
        }
        let parts: Vec<String> = groups
            .iter()
            .map(|(l, ps)| {
                if folder.is_workspace {
                    format!("{l} ({})", ps.join(", "))
                } else {
                    l.clone()
                }
            })
            .collect();
        out.push(OverrideHint {
            offset: end,
            label: format!("overridden in {}", parts.join("; ")),
            by,
        });
    }
    out
}

/// Every scalar or array value with its full path and where its value ends.
fn collect_leaves(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    for (name, node) in &table.entries {
        prefix.push(name.clone());
        match &node.value {
            Value::Table(t) => collect_leaves(t, prefix, out),
            // Arrays of tables are not config values dlt looks up by path.
            Value::Array(_) if node.def == Def::ArrayOfTables => {}
            _ => out.push((prefix.clone(), node.value_span.end as usize)),
        }
        prefix.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture_with;

    #[test]
    fn hints_values_overridden_for_some_profiles() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n\
             //- p/.dlt/config.toml\n[runtime]\nlog_level = \"WARNING\"\ndlthub_telemetry = true\n\
             [destination.warehouse.credentials]\nhost = \"cfg\"\n\
             //- p/.dlt/prod.config.toml\n[runtime]\nlog_level = \"INFO\"\n\
             //- p/.dlt/secrets.toml\n[credentials]\nhost = \"secret-host\"\n",
            &[("RUNTIME__DLTHUB_TELEMETRY", "false")],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("config.toml").unwrap();
        let hints: Vec<String> = override_hints(&snap, &file.path)
            .iter()
            .map(|h| {
                format!(
                    "{:?} {}",
                    &file.text[..h.offset].lines().last().unwrap(),
                    h.label
                )
            })
            .collect();
        expect_test::expect![[r#"
            [
                "\"log_level = \\\"WARNING\\\"\" overridden in prod.config.toml:2 (prod)",
                "\"dlthub_telemetry = true\" overridden in env RUNTIME__DLTHUB_TELEMETRY (dev, tests, prod, access)",
                "\"host = \\\"cfg\\\"\" overridden in secrets.toml:2 (dev, tests, prod, access)",
            ]
        "#]]
        .assert_debug_eq(&hints);
        let prod = folder.file("prod.config.toml").unwrap();
        assert!(override_hints(&snap, &prod.path).is_empty());
    }
}
