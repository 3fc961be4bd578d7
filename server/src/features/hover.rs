//! Hover on a key or table header: the effective value per profile as a compact Markdown table.

use std::path::Path;

use super::effective::{effective_at, EffectiveReport, Here};
use crate::model::resolve::{Layout, Origin};
use crate::model::toml::Span;
use crate::model::workspace::Snapshot;

/// The Markdown link target for a line of a file, or `None` when the file has none.
pub type FileLink = fn(&Path, u32) -> Option<String>;

/// How the client wants hover text.
#[derive(Debug, Clone, Copy, Default)]
pub struct HoverOptions {
    /// Render file sources as links to this target (clients that follow Markdown links); the
    /// protocol layer gives it, as the file's URI with the line.
    pub link: Option<FileLink>,
}

/// The hover for the key at `offset` in the file at `path`: Markdown and the key's span.
pub fn hover(
    snapshot: &Snapshot,
    path: &Path,
    offset: usize,
    opts: HoverOptions,
) -> Option<(String, Span)> {
    let report = effective_at(snapshot, path, offset)?;
    let span = report.origin_file.as_ref().map(|(_, s)| *s)?;
    Some((render(&report, opts), span))
}

fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::DestinationConfig => "destination setting",
        Layout::DestinationCredentials => "destination credentials field",
        Layout::WholeCredentials => "destination credentials",
        Layout::DestinationType => "destination type (exact path)",
        Layout::Runtime => "runtime setting",
        Layout::WorkspaceSettings => "workspace setting",
        Layout::Sources => "source setting",
        Layout::Generic => "setting",
    }
}

/// Markdown cells cannot hold `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn source(origin: &Origin, opts: HoverOptions) -> String {
    let label = || cell(&origin.label());
    match origin {
        Origin::File { path, line, .. } => match opts.link.and_then(|link| link(path, *line)) {
            Some(target) => format!("[{}]({target})", label()),
            None => format!("`{}`", label()),
        },
        Origin::Env { name } => format!("env `{name}`"),
    }
}

/// Longer values are cut so the table stays compact.
const MAX_VALUE_CHARS: usize = 60;

/// Renders a report as Markdown: a heading line, one table row per profile, then notes.
pub fn render(report: &EffectiveReport, opts: HoverOptions) -> String {
    let mut out = format!(
        "`{}` · {}",
        report.key.join("."),
        layout_name(report.lookup.layout)
    );
    if report.lookup.secret {
        out.push_str(" · secret");
    }
    out.push_str("\n\n");
    let with_here = report.rows.iter().any(|r| r.here.is_some());
    out.push_str(if with_here {
        "| profile | value | source | this file |\n|---|---|---|---|\n"
    } else {
        "| profile | value | source |\n|---|---|---|\n"
    });
    for row in &report.rows {
        let name = row.profile.as_deref().unwrap_or("(all)");
        let mut name = if row.active {
            format!("**{name}** (active)")
        } else {
            name.to_string()
        };
        if row.falls_back_to_prod {
            name.push_str(" (falls back to prod on the platform)");
        }
        let value = match &row.value {
            Some(v) => {
                let mut s = v.display();
                if s.chars().count() > MAX_VALUE_CHARS {
                    s = s.chars().take(MAX_VALUE_CHARS).collect::<String>() + "…";
                }
                format!("`{}`", cell(&s).replace('`', "'"))
            }
            None => "*unset*".to_string(),
        };
        let mut src = row
            .source
            .as_ref()
            .map(|o| source(o, opts))
            .unwrap_or_default();
        if row.native {
            src.push_str(" (connection string)");
        }
        out.push_str(&format!("| {name} | {value} | {src} |"));
        if with_here {
            let here = match &row.here {
                Some(Here::Used) => "used".to_string(),
                Some(Here::Merged) => "merged".to_string(),
                Some(Here::ShadowedBy(o)) => format!("shadowed by {}", source(o, opts)),
                Some(Here::NotRead) => "not read".to_string(),
                None => String::new(),
            };
            out.push_str(&format!(" {here} |"));
        }
        out.push('\n');
    }
    let paths: Vec<String> = report
        .lookup
        .paths()
        .iter()
        .map(|p| format!("`{}`", p.join(".")))
        .collect();
    if paths.len() > 1 {
        out.push_str(&format!("\nLooked up as {}.\n", paths.join(" → ")));
    }
    for note in &report.notes {
        out.push_str(&format!("\n{note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profiles::Layer;
    use crate::test_support::fixture_with;
    use std::path::PathBuf;

    #[test]
    fn renders_a_compact_table_with_secrets_masked() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n\
             //- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"base-password-123\"\n\
             //- p/.dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod|pw\"\n",
            &[("CREDENTIALS__PASSWORD", "from-env-12345")],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("prod.secrets.toml").unwrap();
        let (md, span) = hover(
            &snap,
            &file.path,
            file.text.find("password").unwrap(),
            HoverOptions::default(),
        )
        .unwrap();
        assert_eq!(
            &file.text[span.start as usize..span.end as usize],
            "password"
        );
        assert!(
            !md.contains("base-password") && !md.contains("prod|pw") && !md.contains("from-env"),
            "{md}"
        );
        expect_test::expect![[r#"
            `destination.warehouse.credentials.password` · destination credentials field · secret

            | profile | value | source | this file |
            |---|---|---|---|
            | **dev** (active) | `••••45` | env `CREDENTIALS__PASSWORD` | not read |
            | tests | `••••45` | env `CREDENTIALS__PASSWORD` | not read |
            | prod | `••••45` | env `CREDENTIALS__PASSWORD` | shadowed by env `CREDENTIALS__PASSWORD` |
            | access (falls back to prod on the platform) | `••••45` | env `CREDENTIALS__PASSWORD` | not read |

            Looked up as `destination.warehouse.credentials.password` → `destination.credentials.password` → `credentials.password`.
        "#]]
        .assert_eq(&md);
    }

    #[test]
    fn links_sources_and_marks_unset_profiles() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n//- p/.dlt/prod.config.toml\n[runtime]\nlog_level = \"INFO\"\n",
            &[],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("prod.config.toml").unwrap();
        let (md, _) = hover(
            &snap,
            &file.path,
            file.text.find("log_level").unwrap(),
            HoverOptions {
                link: Some(crate::lsp::convert::file_link),
            },
        )
        .unwrap();
        let md = md.replace(&file.path.display().to_string(), "<path>");
        expect_test::expect![[r#"
            `runtime.log_level` · runtime setting

            | profile | value | source | this file |
            |---|---|---|---|
            | **dev** (active) | *unset* |  | not read |
            | tests | *unset* |  | not read |
            | prod | `"INFO"` | [prod.config.toml:2](file://<path>#L2) | used |
            | access (falls back to prod on the platform) | *unset* |  | not read |

            Looked up as `workspace.runtime.log_level` → `runtime.log_level`.
        "#]]
        .assert_eq(&md);
    }

    #[test]
    fn a_link_to_a_file_survives_spaces_hashes_and_parentheses_in_its_path() {
        let origin = |path: &str| Origin::File {
            path: PathBuf::from(path),
            name: "config.toml".into(),
            layer: Layer::Base,
            span: Span::default(),
            line: 4,
        };
        let links = HoverOptions {
            link: Some(crate::lsp::convert::file_link),
        };
        assert_eq!(
            source(&origin("/w/my projects (old)/#1/.dlt/config.toml"), links),
            "[config.toml:4](file:///w/my%20projects%20%28old%29/%231/.dlt/config.toml#L4)"
        );
        assert_eq!(
            source(&origin("/w/p/.dlt/config.toml"), links),
            "[config.toml:4](file:///w/p/.dlt/config.toml#L4)"
        );
        // A path without a URL keeps its label, unlinked.
        assert_eq!(
            source(&origin("p/.dlt/config.toml"), links),
            "`config.toml:4`"
        );
    }

    #[test]
    fn says_when_a_field_comes_from_a_connection_string() {
        let snap = fixture_with(
            "//- p/.dlt/secrets.toml\n[destination.pg]\ncredentials = \"postgresql://u:secret-pw@h/db\"\n",
            &[],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let report = crate::features::effective::effective_for_key(
            &snap,
            &folder.dlt_dir,
            "destination.pg.credentials.password",
            None,
        )
        .unwrap();
        let md = render(&report, HoverOptions::default());
        assert!(!md.contains("secret-pw"), "{md}");
        assert!(
            md.contains(
                "| **(all)** (active) | `•••• (9 chars)` | `secrets.toml:2` (connection string) |"
            ),
            "{md}"
        );
    }
}
