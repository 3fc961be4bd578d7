//! Profile files spelled the way one docs page spells them (`secrets.prod.toml`), which dlt
//! 1.31 never reads: a warning, and a rename to the name dlt reads.

use std::path::PathBuf;

use crate::model::diagnostic::{self as codes, Diagnostic, Severity};
use crate::model::source::SourceFile;
use crate::model::toml::Span;
use crate::model::workspace::DltFolder;

/// A file rename a quick fix proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameFix {
    pub title: String,
    pub from: PathBuf,
    pub to: PathBuf,
}

/// The warning on a misnamed profile file.
pub fn misnamed_file(folder: &DltFolder, file: &SourceFile, out: &mut Vec<Diagnostic>) {
    let Some(correct) = file.role.corrected_name() else {
        return;
    };
    let mut message = format!(
        "dlt 1.31 never reads `{}`: profile files are named `{correct}`",
        file.name
    );
    if folder.files.contains_key(&correct) {
        message += &format!(" (and `{correct}` exists: merge the two by hand)");
    } else if !folder.is_workspace {
        message +=
            " (and profile files are read only in a dltHub workspace, with `.dlt/.workspace`)";
    }
    out.push(Diagnostic::new(
        Span::default(),
        Severity::Warning,
        codes::MISNAMED_PROFILE_FILE,
        message,
    ));
}

/// The rename to the name dlt reads, unless a file of that name already exists.
pub fn rename_fix(folder: &DltFolder, file: &SourceFile) -> Option<RenameFix> {
    let correct = file.role.corrected_name()?;
    let to = folder.dlt_dir.join(&correct);
    if folder.files.contains_key(&correct) || to.exists() {
        return None;
    }
    Some(RenameFix {
        title: format!("Rename to {correct}"),
        from: file.path.clone(),
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture;

    #[test]
    fn warns_and_offers_a_rename_unless_the_target_exists() {
        let snap = fixture("//- .dlt/.workspace\n//- .dlt/secrets.prod.toml\na = 1\n//- .dlt/config.access.toml\nb = 1\n//- .dlt/access.config.toml\nc = 1\n");
        let folder = snap.folders.values().next().unwrap();
        let mut out = Vec::new();
        let prod = folder.file("secrets.prod.toml").unwrap();
        misnamed_file(folder, prod, &mut out);
        assert_eq!(
            out[0].message,
            "dlt 1.31 never reads `secrets.prod.toml`: profile files are named `prod.secrets.toml`"
        );
        assert_eq!(
            rename_fix(folder, prod).unwrap().to,
            folder.dlt_dir.join("prod.secrets.toml")
        );
        let access = folder.file("config.access.toml").unwrap();
        assert!(rename_fix(folder, access).is_none());
        out.clear();
        misnamed_file(folder, access, &mut out);
        assert!(out[0]
            .message
            .ends_with("(and `access.config.toml` exists: merge the two by hand)"));
        out.clear();
        misnamed_file(folder, folder.file("access.config.toml").unwrap(), &mut out);
        assert!(out.is_empty());
    }
}
