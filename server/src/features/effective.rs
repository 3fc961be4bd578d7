//! The effective value of a key per profile: what dlt 1.31 will use and where it comes from,
//! for hover, `dlt-lsp explain` and the `dlt/effectiveValue` request. Secrets stay masked in
//! every form except the JSON one asked for with an explicit `reveal`.

use std::path::{Path, PathBuf};

use crate::model::cursor::{locate, Cursor};
use crate::model::files::FileRole;
use crate::model::profiles::{self, ActiveProfile, Layer, Mode};
use crate::model::resolve::{
    is_secret_field, parse_dotted, FileStatus, Layout, Lookup, Origin, ProviderKind, Resolver, Val,
};
use crate::model::source::SourceFile;
use crate::model::toml::Span;
use crate::model::workspace::{DltFolder, Snapshot};

/// A value as a report shows it; `Debug` and [`Shown::display`] mask secrets.
#[derive(Clone, PartialEq)]
pub struct Shown {
    value: Val,
    /// The whole value is secret (a secret field or native credentials).
    pub secret: bool,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// `••••` plus the last two characters of long secrets, or the length of short ones, so a user
/// can tell two secrets apart without the value ever being shown.
pub fn mask(value: &Val) -> String {
    match value {
        Val::Str(s) => {
            let n = s.chars().count();
            if n >= 12 {
                let tail: String = s.chars().skip(n - 2).collect();
                format!("••••{tail}")
            } else {
                format!("•••• ({n} chars)")
            }
        }
        _ => "••••".to_string(),
    }
}

/// A table with the values of secret-named fields masked.
/// Whether a value must be masked: its field is secret, its key name says so, or the value
/// itself looks like a credential (an AWS key, a token, a JWT…) whatever the key.
fn must_mask(secret: bool, value: &Val) -> bool {
    secret
        || match value {
            Val::Str(s) => crate::model::secrets::pattern_of(s).is_some(),
            Val::Array(items) => items.iter().any(|i| must_mask(false, i)),
            _ => false,
        }
}

fn secret_key(k: &str) -> bool {
    is_secret_field(k) || crate::model::secrets::is_secret_key_name(k)
}

fn masked_toml(value: &Val, secret: bool) -> String {
    match value {
        Val::Table(entries) => format!(
            "{{ {} }}",
            entries
                .iter()
                .map(|(k, v)| format!("{k} = {}", masked_toml(v, secret_key(k))))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        v if must_mask(secret, v) => mask(v),
        v => v.to_toml(),
    }
}

fn masked_json(value: &Val, secret: bool) -> serde_json::Value {
    match value {
        Val::Table(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), masked_json(v, secret_key(k))))
                .collect(),
        ),
        v if must_mask(secret, v) => serde_json::Value::String(mask(v)),
        v => v.to_json(),
    }
}

impl Shown {
    /// The value as TOML text, secrets (and secret fields of tables) masked.
    pub fn display(&self) -> String {
        masked_toml(&self.value, self.secret)
    }

    /// The value as TOML text in clear; only for an explicit user request (`explain --reveal`).
    pub fn display_revealed(&self) -> String {
        self.value.to_toml()
    }

    /// The value as JSON; masked unless `reveal` is set by an explicit user request.
    pub fn json(&self, reveal: bool) -> serde_json::Value {
        if reveal {
            self.value.to_json()
        } else {
            masked_json(&self.value, self.secret)
        }
    }

    /// Whether the value is a table.
    pub fn is_table(&self) -> bool {
        matches!(self.value, Val::Table(_))
    }
}

/// How the file a report was asked from fares under one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Here {
    /// Its value is the effective one.
    Used,
    /// Its table is merged into the effective table.
    Merged,
    /// Something else answers first.
    ShadowedBy(Origin),
    /// dlt does not read the file under this profile.
    NotRead,
}

/// One profile's line of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRow {
    /// The profile; `None` in a classic project, where profiles do not apply.
    pub profile: Option<String>,
    /// The profile dlt would activate.
    pub active: bool,
    /// The effective value, `None` when no provider sets the key.
    pub value: Option<Shown>,
    /// Where the value comes from.
    pub source: Option<Origin>,
    /// Which provider answered.
    pub provider: Option<ProviderKind>,
    /// The lookup path that answered (pipeline name first in the pipeline pass).
    pub path: Option<Vec<String>>,
    /// For a report asked from a file position: how that file's value fares.
    pub here: Option<Here>,
    /// The value was parsed out of a native credentials value (a connection string) at `path`.
    pub native: bool,
    /// The `access` row of a workspace with prod files and no access files: on the platform,
    /// interactive jobs use prod instead (locally access still reads only its own and base files).
    pub falls_back_to_prod: bool,
}

/// The effective value of one key, per profile.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveReport {
    /// The key as written or typed.
    pub key: Vec<String>,
    /// The spec layout it was read as, with its lookup paths.
    pub lookup: Lookup,
    /// The `.dlt` folder it was resolved for.
    pub dlt_dir: PathBuf,
    pub mode: Mode,
    pub active: ActiveProfile,
    pub rows: Vec<ProfileRow>,
    /// The file the report was asked from, with the span of the key under the cursor.
    pub origin_file: Option<(PathBuf, Span)>,
    /// Things a user should know (classic mode, files dlt never reads, secrets in config).
    pub notes: Vec<String>,
}

/// The report for the key or table header at `offset` in the file at `path` (a file of a
/// `.dlt` folder, or of the global dir when the snapshot has exactly one folder).
pub fn effective_at(snapshot: &Snapshot, path: &Path, offset: usize) -> Option<EffectiveReport> {
    let (folder, file) = match snapshot.file(path) {
        Some((folder, file)) => (folder.as_ref(), file.clone()),
        None => {
            // A global file belongs to every project; without a single one there is no answer.
            let global = snapshot.global.as_ref()?;
            let file = global.files.values().find(|f| f.path == path)?.clone();
            let mut folders = snapshot.folders.values();
            let folder = folders.next()?;
            if folders.next().is_some() {
                return None;
            }
            (folder.as_ref(), file)
        }
    };
    let (path, span) = match locate(&file.doc, offset) {
        Cursor::Key { path, span }
        | Cursor::Header { path, span }
        | Cursor::Value { path, span } => (path, span),
        Cursor::Table { .. } => return None,
    };
    let mut report = build(snapshot, folder, &path, None, Some(&file))?;
    report.origin_file = Some((file.path.clone(), span));
    Some(report)
}

/// The report for a dotted key (`destination.warehouse.credentials.password`) in the folder
/// `dlt_dir`; `profile` limits the rows to one profile (which need not be known).
pub fn effective_for_key(
    snapshot: &Snapshot,
    dlt_dir: &Path,
    key: &str,
    profile: Option<&str>,
) -> Option<EffectiveReport> {
    let folder = snapshot.folders.get(dlt_dir)?;
    build(snapshot, folder, &parse_dotted(key), profile, None)
}

fn build(
    snapshot: &Snapshot,
    folder: &DltFolder,
    key: &[String],
    only: Option<&str>,
    file: Option<&SourceFile>,
) -> Option<EffectiveReport> {
    let mode = Mode::of(folder);
    let resolver = Resolver::new(snapshot, folder);
    let lookup = resolver.classify(key)?;
    let active = profiles::active_profile(folder, &snapshot.context.env);
    // In a classic project every profile resolves alike: one row says it once.
    let names: Vec<Option<String>> = match (mode, only) {
        (Mode::Classic, _) => vec![None],
        (Mode::Workspace, Some(p)) => vec![Some(p.to_string())],
        (Mode::Workspace, None) => profiles::profiles(folder, &snapshot.context.env)
            .into_iter()
            .map(|p| Some(p.name))
            .collect(),
    };
    let rows = names
        .into_iter()
        .map(|profile| {
            let name = profile.clone().unwrap_or_else(|| active.name.clone());
            let found = resolver.resolve(&lookup, &name);
            let status = |f| resolver.file_status_given(found.as_ref(), key, &name, f);
            let here = file.map(|f| match status(f) {
                FileStatus::Effective => Here::Used,
                FileStatus::Merged => Here::Merged,
                FileStatus::ShadowedBy(found) => Here::ShadowedBy(found.origin),
                // The file sets the key (it was hovered there), so Absent only means unreadable.
                FileStatus::NotRead | FileStatus::Absent => Here::NotRead,
            });
            let falls_back_to_prod = name == "access"
                && profile.is_some()
                && profiles::access_falls_back_to_prod(folder);
            ProfileRow {
                active: profile.is_none() || profile.as_deref() == Some(active.name.as_str()),
                profile,
                value: found.as_ref().map(|f| Shown {
                    value: f.value.clone(),
                    secret: lookup.secret,
                }),
                source: found.as_ref().map(|f| f.origin.clone()),
                provider: found.as_ref().map(|f| f.provider),
                path: found.as_ref().map(|f| f.path.clone()),
                native: found.as_ref().is_some_and(|f| f.native),
                falls_back_to_prod,
                here,
            }
        })
        .collect::<Vec<_>>();
    let notes = notes(snapshot, folder, &lookup, &rows, file);
    Some(EffectiveReport {
        key: key.to_vec(),
        lookup,
        dlt_dir: folder.dlt_dir.clone(),
        mode,
        active,
        rows,
        origin_file: None,
        notes,
    })
}

fn notes(
    snapshot: &Snapshot,
    folder: &DltFolder,
    lookup: &Lookup,
    rows: &[ProfileRow],
    file: Option<&SourceFile>,
) -> Vec<String> {
    let mut out = Vec::new();
    if !folder.is_workspace {
        out.push(
            "Classic project (no `.dlt/.workspace`): profiles are not active and dlt reads only `config.toml` \
             and `secrets.toml` (and the global dir's)."
                .to_string(),
        );
    }
    if let Some(f) = file {
        match &f.role {
            FileRole::Profile { .. } if !folder.is_workspace => out.push(format!(
                "dlt does not read `{}` in a classic project.",
                f.name
            )),
            FileRole::Misnamed { .. } => out.push(format!(
                "dlt 1.31 never reads `{}`; the name it reads is `{}`.",
                f.name,
                f.role.corrected_name().unwrap_or_default()
            )),
            FileRole::Other => out.push(format!("dlt does not read `{}`.", f.name)),
            _ => {}
        }
    }
    if matches!(
        lookup.layout,
        Layout::DestinationConfig | Layout::DestinationCredentials | Layout::WholeCredentials
    ) && lookup.explicit.len() < 2
    {
        out.push(format!(
            "`{}` is a fallback: every destination reads it when its own `destination.<name>…` path is not set.",
            lookup.written.join(".")
        ));
    }
    if lookup.secret
        && rows
            .iter()
            .any(|r| r.provider == Some(ProviderKind::Config))
    {
        out.push(
            "This secret resolves from a config file: dlt raises `ValueNotSecretException` (config.toml cannot \
             hold secret values). Move it to a secrets file."
                .to_string(),
        );
    }
    if let Some(p) = snapshot
        .context
        .pipeline_name
        .as_deref()
        .filter(|p| !p.is_empty() && !lookup.exact)
    {
        out.push(format!(
            "Pipeline `{p}`: keys prefixed with `{p}.` are looked up first."
        ));
    }
    out
}

/// One row of the `explain --json` form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JsonRow {
    /// The profile, `null` in a classic project.
    pub profile: Option<String>,
    pub active: bool,
    /// The effective value, `null` when unset; secrets masked unless revealed.
    pub value: serde_json::Value,
    pub secret: bool,
    /// Where the value comes from, `null` when unset.
    pub source: Option<JsonSource>,
}

/// Where a value comes from, in the JSON form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JsonSource {
    /// `file`, `global` (a file of the global dir) or `env`.
    pub kind: &'static str,
    /// The file path, or the environment variable name.
    pub path: String,
    /// 1-based line in the file; `null` for env.
    pub line: Option<u32>,
    /// The lookup path that answered, dotted.
    pub key: String,
}

/// The JSON form of a report; secrets are masked unless `reveal` (an explicit user request).
pub fn report_json(report: &EffectiveReport, reveal: bool) -> Vec<JsonRow> {
    report
        .rows
        .iter()
        .map(|r| JsonRow {
            profile: r.profile.clone(),
            active: r.active,
            value: r
                .value
                .as_ref()
                .map(|v| v.json(reveal))
                .unwrap_or(serde_json::Value::Null),
            secret: report.lookup.secret,
            source: r.source.as_ref().map(|o| match o {
                Origin::File {
                    path, line, layer, ..
                } => JsonSource {
                    kind: if matches!(layer, Layer::GlobalBase | Layer::GlobalProfile) {
                        "global"
                    } else {
                        "file"
                    },
                    path: path.display().to_string(),
                    line: Some(*line),
                    key: r.path.as_ref().map(|p| p.join(".")).unwrap_or_default(),
                },
                Origin::Env { name } => JsonSource {
                    kind: "env",
                    path: name.clone(),
                    line: None,
                    key: r.path.as_ref().map(|p| p.join(".")).unwrap_or_default(),
                },
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture_with;

    const FILES: &str = "//- p/.dlt/.workspace\n\
        //- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"base-password-123\"\nhost = \"h\"\n\
        //- p/.dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod\"\n\
        //- p/.dlt/config.toml\n[runtime]\nlog_level = \"WARNING\"\n";

    fn rows(report: &EffectiveReport) -> String {
        report
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}{} = {} @ {} [{}]\n",
                    r.profile.as_deref().unwrap_or("(classic)"),
                    if r.active { "*" } else { "" },
                    r.value
                        .as_ref()
                        .map(Shown::display)
                        .unwrap_or_else(|| "unset".into()),
                    r.source.as_ref().map(Origin::label).unwrap_or_default(),
                    match &r.here {
                        Some(Here::ShadowedBy(o)) => format!("shadowed by {}", o.label()),
                        other => format!("{other:?}"),
                    }
                )
            })
            .collect::<String>()
            + &report.notes.join("\n")
    }

    #[test]
    fn hover_position_reports_every_profile_with_secrets_masked() {
        let snap = fixture_with(FILES, &[("WORKSPACE__PROFILE", "prod")], None);
        let (dir, folder) = snap.folders.iter().next().unwrap();
        let file = folder.file("secrets.toml").unwrap();
        let offset = file.text.find("password").unwrap() + 2;
        let report = effective_at(&snap, &file.path, offset).unwrap();
        assert_eq!(&report.dlt_dir, dir);
        expect_test::expect![[r#"
            dev = ••••23 @ secrets.toml:2 [Some(Used)]
            tests = ••••23 @ secrets.toml:2 [Some(Used)]
            prod* = •••• (4 chars) @ prod.secrets.toml:2 [shadowed by prod.secrets.toml:2]
            access = ••••23 @ secrets.toml:2 [Some(Used)]
        "#]]
        .assert_eq(&rows(&report));
        // The whole credentials table: merged, secret fields masked.
        let offset = file.text.find("credentials]").unwrap();
        let report = effective_at(&snap, &file.path, offset).unwrap();
        expect_test::expect![[r#"
            dev = { password = ••••23, host = "h" } @ secrets.toml:1 [Some(Used)]
            tests = { password = ••••23, host = "h" } @ secrets.toml:1 [Some(Used)]
            prod* = { password = •••• (4 chars), host = "h" } @ secrets.toml:1 [Some(Used)]
            access = { password = ••••23, host = "h" } @ secrets.toml:1 [Some(Used)]
        "#]]
        .assert_eq(&rows(&report));
        let json = serde_json::to_string(&report_json(&report, false)).unwrap();
        assert!(!json.contains("base-password-123"), "{json}");
        let json = serde_json::to_string(&report_json(&report, true)).unwrap();
        assert!(json.contains("base-password-123"), "{json}");
    }

    #[test]
    fn classic_projects_get_one_row_and_a_note() {
        let text = FILES.replace("//- p/.dlt/.workspace\n", "");
        let snap = fixture_with(&text, &[], None);
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("prod.secrets.toml").unwrap();
        let report = effective_at(&snap, &file.path, file.text.find("password").unwrap()).unwrap();
        expect_test::expect![[r#"
            (classic)* = ••••23 @ secrets.toml:2 [Some(NotRead)]
            Classic project (no `.dlt/.workspace`): profiles are not active and dlt reads only `config.toml` and `secrets.toml` (and the global dir's).
            dlt does not read `prod.secrets.toml` in a classic project."#]]
        .assert_eq(&rows(&report));
    }

    #[test]
    fn json_shape_matches_explain() {
        let snap = fixture_with(FILES, &[("RUNTIME__LOG_LEVEL", "DEBUG")], None);
        let dir = snap.folders.keys().next().unwrap().to_path_buf();
        let report = effective_for_key(
            &snap,
            &dir,
            "destination.warehouse.credentials.password",
            Some("prod"),
        )
        .unwrap();
        let mut json = serde_json::to_value(report_json(&report, false)).unwrap();
        json[0]["source"]["path"] = "<path>".into();
        expect_test::expect![[r#"
            [
              {
                "active": false,
                "profile": "prod",
                "secret": true,
                "source": {
                  "key": "destination.warehouse.credentials.password",
                  "kind": "file",
                  "line": 2,
                  "path": "<path>"
                },
                "value": "•••• (4 chars)"
              }
            ]"#]]
        .assert_eq(&serde_json::to_string_pretty(&json).unwrap());
        let report = effective_for_key(&snap, &dir, "runtime.log_level", Some("dev")).unwrap();
        let json = serde_json::to_value(report_json(&report, false)).unwrap();
        assert_eq!(json[0]["source"]["kind"], "env");
        assert_eq!(json[0]["source"]["path"], "RUNTIME__LOG_LEVEL");
        assert_eq!(json[0]["value"], "DEBUG");
    }

    #[test]
    fn a_pipeline_prefixed_key_is_the_same_key_looked_up_first() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n//- p/.dlt/secrets.toml\n\
             [my_pipe.destination.warehouse.credentials]\npassword = \"pipe-password-1\"\n\
             [destination.warehouse.credentials]\npassword = \"plain-password-2\"\n",
            &[],
            Some("my_pipe"),
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("secrets.toml").unwrap();
        let prefixed =
            effective_at(&snap, &file.path, file.text.find("password").unwrap()).unwrap();
        assert_eq!(
            prefixed.lookup.written.join("."),
            "destination.warehouse.credentials.password"
        );
        assert!(
            prefixed.rows.iter().all(|r| r.here == Some(Here::Used)),
            "{prefixed:?}"
        );
        let plain = effective_at(&snap, &file.path, file.text.rfind("password").unwrap()).unwrap();
        expect_test::expect![[r#"
            dev* = ••••-1 @ secrets.toml:2 [shadowed by secrets.toml:2]
            tests = ••••-1 @ secrets.toml:2 [shadowed by secrets.toml:2]
            prod = ••••-1 @ secrets.toml:2 [shadowed by secrets.toml:2]
            access = ••••-1 @ secrets.toml:2 [shadowed by secrets.toml:2]
            Pipeline `my_pipe`: keys prefixed with `my_pipe.` are looked up first."#]]
        .assert_eq(&rows(&plain));
    }

    #[test]
    fn a_table_header_is_looked_up_at_exactly_its_path() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n//- p/.dlt/config.toml\n[destination.warehouse]\ndestination_type = \"duckdb\"\n\
             //- p/.dlt/prod.config.toml\n[destination.warehouse]\ndestination_type = \"postgres\"\n\
             //- p/.dlt/secrets.toml\n[warehouse]\nx = 1\n",
            &[],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("config.toml").unwrap();
        let report = effective_at(&snap, &file.path, file.text.find("warehouse").unwrap()).unwrap();
        expect_test::expect![[r#"
            dev* = { destination_type = "duckdb" } @ config.toml:1 [Some(Used)]
            tests = { destination_type = "duckdb" } @ config.toml:1 [Some(Used)]
            prod = { destination_type = "postgres" } @ config.toml:1 [Some(Used)]
            access = { destination_type = "duckdb" } @ config.toml:1 [Some(Used)]
        "#]]
        .assert_eq(&rows(&report));
    }
}
