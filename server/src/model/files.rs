//! The role a file of a `.dlt/` folder plays for dlt, from its name alone.

/// Which of dlt's two TOML providers reads a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Secrets,
}

impl FileKind {
    /// The base file name, `config.toml` or `secrets.toml`.
    pub fn base_name(self) -> &'static str {
        match self {
            FileKind::Config => "config.toml",
            FileKind::Secrets => "secrets.toml",
        }
    }
}

/// What a `*.toml` file in a `.dlt/` folder is to dlt 1.31.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FileRole {
    /// `config.toml` / `secrets.toml`.
    Base(FileKind),
    /// `{profile}.config.toml` / `{profile}.secrets.toml`, read in workspace mode only.
    Profile { profile: String, kind: FileKind },
    /// `config.{profile}.toml` / `secrets.{profile}.toml`: a spelling one docs page uses, never read.
    Misnamed { profile: String, kind: FileKind },
    /// Any other TOML file; dlt does not read it.
    Other,
}

impl FileRole {
    /// Classifies a file by its name (the last path component).
    pub fn of(file_name: &str) -> FileRole {
        for kind in [FileKind::Config, FileKind::Secrets] {
            let base = kind.base_name();
            if file_name == base {
                return FileRole::Base(kind);
            }
            if let Some(profile) = file_name
                .strip_suffix(base)
                .and_then(|p| p.strip_suffix('.'))
            {
                if !profile.is_empty() {
                    return FileRole::Profile {
                        profile: profile.to_string(),
                        kind,
                    };
                }
            }
            let stem = &base[..base.len() - ".toml".len()];
            if let Some(profile) = file_name
                .strip_prefix(stem)
                .and_then(|p| p.strip_prefix('.'))
                .and_then(|p| p.strip_suffix(".toml"))
            {
                if !profile.is_empty() && !profile.contains('.') {
                    return FileRole::Misnamed {
                        profile: profile.to_string(),
                        kind,
                    };
                }
            }
        }
        FileRole::Other
    }

    /// Config or secrets, for files dlt reads (or would, for misnamed ones).
    pub fn kind(&self) -> Option<FileKind> {
        match self {
            FileRole::Base(k)
            | FileRole::Profile { kind: k, .. }
            | FileRole::Misnamed { kind: k, .. } => Some(*k),
            FileRole::Other => None,
        }
    }

    /// The profile a profile-scoped (or misnamed) file belongs to.
    pub fn profile(&self) -> Option<&str> {
        match self {
            FileRole::Profile { profile, .. } | FileRole::Misnamed { profile, .. } => Some(profile),
            _ => None,
        }
    }

    /// The name dlt 1.31 reads for a misnamed file.
    pub fn corrected_name(&self) -> Option<String> {
        match self {
            FileRole::Misnamed { profile, kind } => Some(format!("{profile}.{}", kind.base_name())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_names_as_dlt_1_31_reads_them() {
        let cases = [
            ("config.toml", "Base(Config)"),
            ("secrets.toml", "Base(Secrets)"),
            ("prod.secrets.toml", "Profile prod Secrets"),
            ("dev.config.toml", "Profile dev Config"),
            ("my.team.config.toml", "Profile my.team Config"),
            ("secrets.prod.toml", "Misnamed prod Secrets"),
            ("config.access.toml", "Misnamed access Config"),
            ("pyproject.toml", "Other"),
            (".config.toml", "Other"),
            ("Secrets.toml", "Other"),
        ];
        for (name, want) in cases {
            let got = match FileRole::of(name) {
                FileRole::Base(k) => format!("Base({k:?})"),
                FileRole::Profile { profile, kind } => format!("Profile {profile} {kind:?}"),
                FileRole::Misnamed { profile, kind } => format!("Misnamed {profile} {kind:?}"),
                FileRole::Other => "Other".into(),
            };
            assert_eq!(got, want, "{name}");
        }
        assert_eq!(
            FileRole::of("secrets.prod.toml").corrected_name().unwrap(),
            "prod.secrets.toml"
        );
    }
}
