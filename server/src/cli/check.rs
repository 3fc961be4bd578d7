//! `dlt-lsp check`: the server's diagnostics for a terminal, CI or pre-commit.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{CheckArgs, Format};
use crate::features::diagnostics::folder_diagnostics;
use crate::model::diagnostic::Severity;
use crate::model::discovery::{self, WalkLimits};
use crate::model::text::Encoding;
use crate::model::workspace::Snapshot;

#[derive(serde::Serialize)]
struct Finding {
    path: String,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    severity: Severity,
    code: &'static str,
    message: String,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let mut roots = Vec::new();
    // Files named on the command line restrict the report to them (pre-commit passes files).
    let mut only_files: Vec<PathBuf> = Vec::new();
    for p in &paths {
        let Ok(abs) = std::fs::canonicalize(p) else {
            eprintln!("dlt-lsp: {}: no such file or directory", p.display());
            return ExitCode::from(2);
        };
        if abs.is_file() {
            match discovery::dlt_dir_of(&abs) {
                Some(dir) => {
                    roots.push(dir);
                    only_files.push(abs);
                }
                None => continue,
            }
        } else {
            roots.push(abs);
        }
    }
    let mut snapshot = Snapshot::load(&roots, WalkLimits::default());
    snapshot.set_run_context(
        std::env::vars().collect(),
        args.global_dir.clone(),
        args.pipeline.clone(),
    );
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut findings = Vec::new();
    for folder in snapshot.folders.values() {
        for (file, diags) in folder_diagnostics(&snapshot, folder) {
            if !only_files.is_empty() && !only_files.contains(&file.path) {
                continue;
            }
            for d in diags {
                let start =
                    file.line_index()
                        .line_col(&file.text, d.span.start as usize, Encoding::Utf32);
                let end =
                    file.line_index()
                        .line_col(&file.text, d.span.end as usize, Encoding::Utf32);
                findings.push(Finding {
                    path: display_path(&file.path, &cwd),
                    line: start.line + 1,
                    column: start.col + 1,
                    end_line: end.line + 1,
                    end_column: end.col + 1,
                    severity: d.severity,
                    code: d.code.id,
                    message: d.message,
                });
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Json => serde_json::to_writer_pretty(&mut out, &findings)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out)),
        Format::Human => print_human(&mut out, &findings, snapshot.folders.len()),
    };
    if written.is_err() {
        return ExitCode::from(2);
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_human(out: &mut impl Write, findings: &[Finding], folders: usize) -> std::io::Result<()> {
    for f in findings {
        writeln!(
            out,
            "{}:{}:{}: {}: {} [{}]",
            f.path,
            f.line,
            f.column,
            f.severity.as_str(),
            f.message,
            f.code
        )?;
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let others = findings.len() - errors;
    if folders == 0 {
        eprintln!("dlt-lsp: no .dlt folders found");
    } else {
        eprintln!(
            "dlt-lsp: checked {folders} .dlt folder{}: {errors} error{}, {others} other finding{}",
            if folders == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if others == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

fn display_path(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}
