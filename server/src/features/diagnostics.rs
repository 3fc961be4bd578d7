//! Every finding for the files of one `.dlt` folder.

use std::sync::Arc;

use crate::model::diagnostic::{self as codes, Diagnostic, Related, Severity};
use crate::model::source::{LoadError, SourceFile};
use crate::model::toml::{Span, TomlErrorKind};
use crate::model::workspace::{DltFolder, Snapshot};

/// Findings of every file of `folder`, files in name order.
pub fn folder_diagnostics(
    snapshot: &Snapshot,
    folder: &DltFolder,
) -> Vec<(Arc<SourceFile>, Vec<Diagnostic>)> {
    folder
        .files
        .values()
        .map(|file| (file.clone(), file_diagnostics(snapshot, folder, file)))
        .collect()
}

/// Findings of one file, sorted by position.
pub fn file_diagnostics(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Some(err) = &file.load_error {
        out.push(load_error(err));
        return out;
    }
    toml_errors(file, &mut out);
    super::misnamed::misnamed_file(folder, file, &mut out);
    super::workspace_rules::organization_id_conflicts(folder, file, &mut out);
    out.extend(super::secrets::secret_diagnostics(snapshot, folder, file));
    super::destinations::destination_diagnostics(snapshot, folder, file, &mut out);
    super::profile_hygiene::hygiene_diagnostics(snapshot, folder, file, &mut out);
    out.sort_by_key(|d| d.span);
    out
}

fn load_error(err: &LoadError) -> Diagnostic {
    let code = match err {
        LoadError::TooLarge { .. } => codes::FILE_TOO_LARGE,
        LoadError::NotUtf8 { .. } | LoadError::Utf16 => codes::FILE_ENCODING,
        LoadError::Io(_) => codes::FILE_UNREADABLE,
    };
    let severity = match err {
        LoadError::TooLarge { .. } => Severity::Warning,
        _ => Severity::Error,
    };
    Diagnostic::new(Span::default(), severity, code, err.to_string())
}

fn toml_errors(file: &SourceFile, out: &mut Vec<Diagnostic>) {
    for e in &file.doc.errors {
        let code = match e.kind {
            TomlErrorKind::Syntax => codes::TOML_SYNTAX,
            TomlErrorKind::DuplicateKey => codes::TOML_DUPLICATE_KEY,
            TomlErrorKind::DuplicateTable => codes::TOML_DUPLICATE_TABLE,
            TomlErrorKind::TooDeep => codes::TOML_TOO_DEEP,
        };
        let mut d = Diagnostic::new(e.span, Severity::Error, code, e.message.clone());
        if let Some(first) = e.first {
            d = d.with_related(Related {
                path: file.path.clone(),
                span: first,
                message: "first defined here".into(),
            });
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture;

    fn render(fx: &str) -> String {
        render_snapshot(&fixture(fx))
    }

    fn render_snapshot(snap: &Snapshot) -> String {
        let mut out = String::new();
        for folder in snap.folders.values() {
            for (file, diags) in folder_diagnostics(snap, folder) {
                for d in diags {
                    out += &crate::test_support::render_diagnostic(&file, &d);
                }
            }
        }
        out
    }

    #[test]
    fn reports_syntax_and_duplicate_errors_in_every_file() {
        expect_test::expect![[r#"
            config.toml:3:1 error [toml-duplicate-key] duplicate key `a`
            prod.secrets.toml:1:1 warning [profile-file-outside-workspace] dlt reads profile files only in a dltHub workspace: without `.dlt/.workspace` this is a classic project and `prod.secrets.toml` is ignored
            prod.secrets.toml:1:13 error [toml-syntax] expected "]"
        "#]]
        .assert_eq(&render(
            "//- .dlt/config.toml\na = 1\n# c\na = 2\n//- .dlt/prod.secrets.toml\n[destination\n",
        ));
    }

    #[test]
    fn destination_findings_are_part_of_the_file_diagnostics() {
        expect_test::expect![[r#"
            secrets.toml:2:1 warning [unknown-key] `pasword` is not a key of destination.postgres.credentials (postgres); dlt ignores it. Did you mean `password`?
        "#]]
        .assert_eq(&render(
            "//- .dlt/secrets.toml\n[destination.postgres.credentials]\npasword = \"x\"\n[sources.github]\npasword = 1\n",
        ));
    }

    /// A folder nobody has open keeps no tables once diagnosed; diagnosed again, it finds what
    /// it found awake, every kind of finding (each rule walks the tables) in every file.
    #[test]
    fn dormant_folders_find_what_they_found_awake() {
        let fx = "//- p/.dlt/.workspace\n\
            //- p/.dlt/config.toml\n[runtime]\norganization_id = \"a\"\n[destination.postgres.credentials]\n\
            password = \"in-config\"\npasword = 1\nx = 1\nx = 2\n\
            //- p/.dlt/prod.config.toml\n[runtime]\norganization_id = \"b\"\n[destination\n\
            //- p/.dlt/config.dev.toml\n[sources.a]\nk = 1\n\
            //- p/.dlt/dev.secrets.toml\n[destination.postgres.credentials]\nhost = \"h\"\nnot_a_key = 2\n\
            //- q/.dlt/secrets.toml\n[destination.bigquery]\nlocaton = \"EU\"\n";
        let mut snap = fixture(fx);
        let awake = render_snapshot(&snap);
        for code in [
            "toml-syntax",
            "toml-duplicate-key",
            "unknown-key",
            "organization-id-conflict",
        ] {
            assert!(awake.contains(code), "{code} missing from\n{awake}");
        }
        let dirs: Vec<_> = snap
            .folders
            .keys()
            .map(std::path::Path::to_path_buf)
            .collect();
        snap.make_dormant(&dirs);
        let files = || {
            snap.folders
                .values()
                .flat_map(|f| f.files.values().cloned())
        };
        assert_eq!(files().count(), 5);
        assert!(
            files().all(|f| f.doc.is_dormant()),
            "every file let go of its tables"
        );
        assert_eq!(render_snapshot(&snap), awake);
        assert!(files().all(|f| !f.doc.is_dormant()), "diagnosing woke them");
    }
}
