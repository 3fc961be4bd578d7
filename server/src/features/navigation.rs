//! Go to definition and find references on a key: every place in the folder's files and the
//! global dir that sets the same effective key, at any of the paths dlt looks it up at.

use std::path::{Path, PathBuf};

use crate::model::cursor::{locate, Cursor};
use crate::model::resolve::{parse_dotted, Origin, Resolver};
use crate::model::toml::Span;
use crate::model::workspace::{DltFolder, Snapshot};

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: PathBuf,
    /// The key segment that sets the value.
    pub span: Span,
}

fn targets(snapshot: &Snapshot, folder: &DltFolder, key: &[String]) -> Vec<Target> {
    let resolver = Resolver::new(snapshot, folder);
    let Some(lookup) = resolver.classify(key) else {
        return Vec::new();
    };
    resolver
        .sites(&lookup)
        .into_iter()
        .filter_map(|s| match s.origin {
            Origin::File { path, span, .. } => Some(Target { path, span }),
            Origin::Env { .. } => None,
        })
        .collect()
}

/// Every place that sets the key at `offset` in the file at `path`, the key itself included.
pub fn definitions(snapshot: &Snapshot, path: &Path, offset: usize) -> Vec<Target> {
    let Some((folder, file)) = snapshot.file(path) else {
        return Vec::new();
    };
    match locate(&file.doc, offset) {
        Cursor::Key { path, .. } | Cursor::Header { path, .. } | Cursor::Value { path, .. } => {
            targets(snapshot, folder, &path)
        }
        Cursor::Table { .. } => Vec::new(),
    }
}

/// The same places as [`definitions`]; without `include_declaration` the key under the cursor
/// is left out, as LSP's `includeDeclaration: false` asks.
pub fn references(
    snapshot: &Snapshot,
    path: &Path,
    offset: usize,
    include_declaration: bool,
) -> Vec<Target> {
    let mut out = definitions(snapshot, path, offset);
    if !include_declaration {
        out.retain(|t| !(t.path == path && t.span.contains(offset)));
    }
    out
}

/// Every place that sets a dotted key in the folder `dlt_dir` and the global dir.
pub fn definitions_for_key(snapshot: &Snapshot, dlt_dir: &Path, key: &str) -> Vec<Target> {
    let Some(folder) = snapshot.folders.get(dlt_dir) else {
        return Vec::new();
    };
    targets(snapshot, folder, &parse_dotted(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture_with;

    #[test]
    fn lists_every_file_that_sets_the_key_at_any_lookup_path() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n\
             //- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"a\"\n\
             //- p/.dlt/prod.secrets.toml\n[credentials]\npassword = \"b\"\n\
             //- p/.dlt/config.toml\n[destination.warehouse]\npassword = \"not a credentials path\"\n\
             //- global/secrets.toml\n[destination.credentials]\npassword = \"c\"\n",
            &[],
            None,
        );
        let root = snap
            .context
            .global_dir
            .as_ref()
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("secrets.toml").unwrap();
        let offset = file.text.find("password").unwrap();
        let show = |ts: Vec<Target>| -> Vec<String> {
            ts.iter()
                .map(|t| {
                    format!(
                        "{} {}",
                        t.path.strip_prefix(&root).unwrap().display(),
                        t.span.start
                    )
                })
                .collect()
        };
        assert_eq!(
            show(definitions(&snap, &file.path, offset)),
            [
                "p/.dlt/prod.secrets.toml 14",
                "p/.dlt/secrets.toml 36",
                "global/secrets.toml 26"
            ]
        );
        assert_eq!(
            show(references(&snap, &file.path, offset, false)),
            ["p/.dlt/prod.secrets.toml 14", "global/secrets.toml 26"]
        );
        assert_eq!(
            show(definitions_for_key(
                &snap,
                &folder.dlt_dir,
                "destination.warehouse.password"
            )),
            ["p/.dlt/config.toml 24"]
        );
    }
}
