//! `dlt-lsp explain KEY`: the effective value of a key per profile, for a terminal or a script.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::features::effective::{effective_for_key, report_json, EffectiveReport};
use crate::model::discovery::DOT_DLT;

use crate::model::resolve::Origin;
use crate::model::workspace::{DltFolder, FolderMap, Snapshot};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The key, dotted: `destination.warehouse.credentials.password`.
    key: String,
    /// Show only this profile (any name, custom ones included).
    #[arg(long)]
    profile: Option<String>,
    /// The project directory (or its `.dlt` folder); default: the current directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// dlt's global settings dir; default: where dlt would look (`/var/dlt`, `$XDG_DATA_HOME/dlt`, `~/.dlt`).
    #[arg(long)]
    global_dir: Option<PathBuf>,
    /// Pipeline name: keys prefixed with it are looked up first, as dlt does for that pipeline.
    #[arg(long)]
    pipeline: Option<String>,
    /// Print JSON: `[{profile, value, secret, source: {kind, path, line}}]`.
    #[arg(long)]
    json: bool,
    /// Print secret values in clear (they are masked otherwise).
    #[arg(long)]
    reveal: bool,
}

/// Runs `explain`; exit 2 on a usage error, 0 otherwise (an unset key is an answer).
pub fn run(args: ExplainArgs) -> ExitCode {
    let root = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let Ok(root) = std::fs::canonicalize(&root) else {
        eprintln!("dlt-lsp: {}: no such directory", root.display());
        return ExitCode::from(2);
    };
    let dlt_dir = if root.file_name().is_some_and(|n| n == DOT_DLT) {
        root
    } else {
        root.join(DOT_DLT)
    };
    if !dlt_dir.is_dir() {
        eprintln!("dlt-lsp: no {DOT_DLT} folder at {}", dlt_dir.display());
        return ExitCode::from(2);
    }
    let mut snapshot = Snapshot {
        folders: FolderMap::unit(dlt_dir.clone(), Arc::new(DltFolder::load(&dlt_dir))),
        ..Default::default()
    };
    snapshot.set_run_context(
        std::env::vars().collect(),
        args.global_dir.clone(),
        args.pipeline.clone(),
    );
    let Some(report) = effective_for_key(&snapshot, &dlt_dir, &args.key, args.profile.as_deref())
    else {
        eprintln!("dlt-lsp: `{}` is not a key", args.key);
        return ExitCode::from(2);
    };
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &report_json(&report, args.reveal))
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        let cwd = std::env::current_dir().unwrap_or_default();
        out.write_all(render_text(&report, args.reveal, &cwd).as_bytes())
    };
    if written.is_err() {
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn source_text(origin: &Origin, cwd: &Path) -> String {
    match origin {
        Origin::File {
            path, line, layer, ..
        } => {
            let shown = path.strip_prefix(cwd).unwrap_or(path).display().to_string();
            if layer.is_global() {
                format!("{shown}:{line} (global)")
            } else {
                format!("{shown}:{line}")
            }
        }
        Origin::Env { name } => format!("env {name}"),
    }
}

/// The report as an aligned plain-text table.
fn render_text(report: &EffectiveReport, reveal: bool, cwd: &Path) -> String {
    let mut out = report.key.join(".");
    if report.lookup.secret {
        out.push_str(" (secret)");
    }
    out.push('\n');
    let rows: Vec<[String; 3]> = report
        .rows
        .iter()
        .map(|r| {
            let name = r.profile.clone().unwrap_or_else(|| "(all profiles)".into());
            let value = match &r.value {
                Some(v) if reveal => v.display_revealed(),
                Some(v) => v.display(),
                None => "unset".into(),
            };
            let mut src = r
                .source
                .as_ref()
                .map(|o| source_text(o, cwd))
                .unwrap_or_default();
            if r.native {
                src.push_str(" (connection string)");
            }
            if r.falls_back_to_prod {
                src.push_str(" (falls back to prod on the platform)");
            }
            [
                format!("{}{name}", if r.active { "* " } else { "  " }),
                value,
                src,
            ]
        })
        .collect();
    let header = [
        "  profile".to_string(),
        "value".to_string(),
        "source".to_string(),
    ];
    let widths: Vec<usize> = (0..2)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in [&header].into_iter().chain(rows.iter()) {
        let line = format!(
            "{:w0$}  {:w1$}  {}",
            r[0],
            r[1],
            r[2],
            w0 = widths[0],
            w1 = widths[1]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture_with;

    #[test]
    fn prints_an_aligned_table_with_secrets_masked_unless_revealed() {
        let snap = fixture_with(
            "//- p/.dlt/.workspace\n\
             //- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"base-password-123\"\n\
             //- p/.dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod\"\n",
            &[],
            None,
        );
        let dir = snap.folders.keys().next().unwrap().to_path_buf();
        let report = effective_for_key(
            &snap,
            &dir,
            "destination.warehouse.credentials.password",
            None,
        )
        .unwrap();
        let cwd = dir.parent().unwrap();
        expect_test::expect![[r#"
            destination.warehouse.credentials.password (secret)
              profile  value           source
            * dev      ••••23          .dlt/secrets.toml:2
              tests    ••••23          .dlt/secrets.toml:2
              prod     •••• (4 chars)  .dlt/prod.secrets.toml:2
              access   ••••23          .dlt/secrets.toml:2 (falls back to prod on the platform)
        "#]]
        .assert_eq(&render_text(&report, false, cwd));
        assert!(render_text(&report, true, cwd).contains("\"base-password-123\""));
    }
}
