//! Rules about the workspace binding that dlthub writes into `.dlt` files.

use crate::model::diagnostic::{self as codes, Diagnostic, Related, Severity};
use crate::model::source::SourceFile;
use crate::model::toml::Node;
use crate::model::workspace::DltFolder;

/// `organization_id` is written once by `dlthub workspace connect`; a second, different value
/// anywhere in the folder means connect will refuse to run (warning on each occurrence).
pub fn organization_id_conflicts(folder: &DltFolder, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let all: Vec<(&SourceFile, &Node, &str)> = folder
        .files
        .values()
        .flat_map(|f| org_ids(f).into_iter().map(move |(n, v)| (f.as_ref(), n, v)))
        .collect();
    let mut distinct: Vec<&str> = all.iter().map(|(_, _, v)| *v).collect();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 {
        return;
    }
    for (node, value) in org_ids(file) {
        let others: Vec<String> = all
            .iter()
            .filter(|(_, _, v)| *v != value)
            .map(|(f, _, v)| format!("{v:?} in {}", f.name))
            .collect();
        let mut d = Diagnostic::new(
            node.value_span,
            Severity::Warning,
            codes::ORGANIZATION_ID_CONFLICT,
            format!(
                "organization_id {value:?} differs from {}; dlthub writes it once and refuses another. To switch organisations, remove the line from .dlt/config.toml and run `dlthub workspace connect` again",
                others.join(", ")
            ),
        );
        for (f, n, _) in all.iter().filter(|(_, _, v)| *v != value) {
            d = d.with_related(Related {
                path: f.path.clone(),
                span: n.value_span,
                message: "a different organization_id".into(),
            });
        }
        out.push(d);
    }
}

fn org_ids(file: &SourceFile) -> Vec<(&Node, &str)> {
    [
        &["runtime", "organization_id"][..],
        &["workspace", "runtime", "organization_id"][..],
    ]
    .iter()
    .filter_map(|p| file.doc.root().get_path(p))
    .filter_map(|n| Some((n, n.as_str()?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture;

    #[test]
    fn warns_on_each_differing_organization_id_only() {
        let snap = fixture(
            "//- .dlt/.workspace\n//- .dlt/config.toml\n[runtime]\norganization_id = \"org-a\"\n//- .dlt/prod.config.toml\n[runtime]\norganization_id = \"org-b\"\n//- .dlt/access.config.toml\n[runtime]\norganization_id = \"org-a\"\n",
        );
        let folder = snap.folders.values().next().unwrap();
        let mut out = Vec::new();
        organization_id_conflicts(folder, folder.file("prod.config.toml").unwrap(), &mut out);
        assert_eq!(out.len(), 1);
        assert!(
            out[0]
                .message
                .contains("\"org-a\" in access.config.toml, \"org-a\" in config.toml"),
            "{}",
            out[0].message
        );
        assert_eq!(out[0].related.len(), 2);
        let same = fixture("//- .dlt/config.toml\n[runtime]\norganization_id = \"x\"\n//- .dlt/prod.config.toml\n[runtime]\norganization_id = \"x\"\n");
        let folder = same.folders.values().next().unwrap();
        let mut out = Vec::new();
        organization_id_conflicts(folder, folder.file("config.toml").unwrap(), &mut out);
        assert!(out.is_empty());
    }
}
