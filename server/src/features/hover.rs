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

/// Appends `s` to `out` as a Markdown cell's text, which cannot hold `|` or line breaks; inside
/// a code span (`code`) a backtick would end it and becomes `'`.
fn push_cell(out: &mut String, s: &str, code: bool) {
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '`' if code => out.push('\''),
            c => out.push(c),
        }
    }
}

/// Appends where a value comes from: a file's label linked to its line when the client follows
/// links, or an environment variable.
fn push_source(out: &mut String, origin: &Origin, opts: HoverOptions) {
    match origin {
        Origin::File { path, line, .. } => {
            let label = origin.label();
            match opts.link.and_then(|link| link(path, *line)) {
                Some(target) => {
                    out.push('[');
                    push_cell(out, &label, false);
                    out.push_str("](");
                    out.push_str(&target);
                    out.push(')');
                }
                None => {
                    out.push('`');
                    push_cell(out, &label, false);
                    out.push('`');
                }
            }
        }
        Origin::Env { name } => {
            out.push_str("env `");
            out.push_str(name);
            out.push('`');
        }
    }
}

/// Longer values are cut so the table stays compact.
const MAX_VALUE_CHARS: usize = 60;

/// Renders a report as Markdown: a heading line, one table row per profile, then notes. Written
/// into one buffer: a `format!` per cell, each grown a few bytes at a time, were a fifth of a
/// hover's instructions (callgrind, 500 hovers on the monorepo; issue 7).
pub fn render(report: &EffectiveReport, opts: HoverOptions) -> String {
    let mut out = String::with_capacity(1024);
    out.push('`');
    push_joined(&mut out, &report.key);
    out.push_str("` · ");
    out.push_str(layout_name(report.lookup.layout));
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
        out.push_str("| ");
        if row.active {
            out.push_str("**");
            out.push_str(name);
            out.push_str("** (active)");
        } else {
            out.push_str(name);
        }
        if row.falls_back_to_prod {
            out.push_str(" (falls back to prod on the platform)");
        }
        out.push_str(" | ");
        match &row.value {
            Some(v) => {
                let shown = v.display();
                out.push('`');
                match shown.char_indices().nth(MAX_VALUE_CHARS) {
                    Some((cut, _)) => {
                        push_cell(&mut out, &shown[..cut], true);
                        out.push('…');
                    }
                    None => push_cell(&mut out, &shown, true),
                }
                out.push('`');
            }
            None => out.push_str("*unset*"),
        }
        out.push_str(" | ");
        if let Some(o) = &row.source {
            push_source(&mut out, o, opts);
        }
        if row.native {
            out.push_str(" (connection string)");
        }
        out.push_str(" |");
        if with_here {
            out.push(' ');
            match &row.here {
                Some(Here::Used) => out.push_str("used"),
                Some(Here::Merged) => out.push_str("merged"),
                Some(Here::ShadowedBy(o)) => {
                    out.push_str("shadowed by ");
                    push_source(&mut out, o, opts);
                }
                Some(Here::NotRead) => out.push_str("not read"),
                None => {}
            }
            out.push_str(" |");
        }
        out.push('\n');
    }
    let paths = report.lookup.paths();
    if paths.len() > 1 {
        out.push_str("\nLooked up as ");
        for (i, path) in paths.iter().enumerate() {
            if i > 0 {
                out.push_str(" → ");
            }
            out.push('`');
            push_joined(&mut out, path);
            out.push('`');
        }
        out.push_str(".\n");
    }
    for note in &report.notes {
        out.push('\n');
        out.push_str(note);
        out.push('\n');
    }
    out
}

/// Appends a key path's segments joined by dots.
fn push_joined(out: &mut String, path: &[String]) {
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(segment);
    }
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
    fn cuts_long_values_and_escapes_what_a_table_cell_cannot_hold() {
        let snap = fixture_with(
            "//- p/.dlt/config.toml\n[sources.s]\nquery = \"select a|b from `t` where x = 'a long literal that goes on and on'\"\nshort = \"x|`y`\"\n",
            &[],
            None,
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("config.toml").unwrap();
        let row = |key: &str| {
            let (md, _) = hover(
                &snap,
                &file.path,
                file.text.find(key).unwrap(),
                HoverOptions::default(),
            )
            .unwrap();
            md.lines().nth(4).unwrap().to_string()
        };
        expect_test::expect![[r#"
            | **(all)** (active) | `"select a\|b from 't' where x = 'a long literal that goes on …` | `config.toml:2` | used |
        "#]]
        .assert_eq(&format!("{}\n", row("query")));
        expect_test::expect![[r#"
            | **(all)** (active) | `"x\|'y'"` | `config.toml:3` | used |
        "#]]
        .assert_eq(&format!("{}\n", row("short")));
    }

    fn source(origin: &Origin, opts: HoverOptions) -> String {
        let mut out = String::new();
        push_source(&mut out, origin, opts);
        out
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
