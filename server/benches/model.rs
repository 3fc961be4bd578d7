//! Micro-benchmarks of the model path on a generated 20,000-line `.dlt/config.toml` (the shape of
//! `tools/bench`'s): parse → index (`SourceFile::from_text`), `cursor::locate`, and the folder's
//! diagnostics. Regression guards, run with `cargo bench -p dlt-lsp`; never timed in tests.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use dlt_lsp::features::diagnostics::folder_diagnostics;
use dlt_lsp::model::cursor;
use dlt_lsp::model::source::SourceFile;
use dlt_lsp::model::workspace::{DltFolder, Snapshot};

/// The same shape as `gen_20k` in tools/bench/bench.py.
fn config_20k() -> String {
    let mut out: Vec<String> = [
        "# generated",
        "[runtime]",
        "log_level = \"INFO\"",
        "dlthub_telemetry = false",
        "",
        "[normalize]",
        "workers = 4",
        "",
        "[load]",
        "workers = 8",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut i = 0;
    while out.len() < 20_000 {
        let s = format!("src_{i:05}");
        out.extend([
            format!("[sources.{s}]"),
            format!("base_url = \"https://api.example.com/v1/{i}\""),
            format!("page_size = {}", 100 + i % 50),
            format!("start_date = \"2024-01-{:02}\"", 1 + i % 28),
            "max_table_nesting = 2".into(),
            format!(
                "write_disposition = \"{}\"",
                if i % 2 == 1 { "merge" } else { "append" }
            ),
            String::new(),
            format!("[sources.{s}.resources.items]"),
            "primary_key = \"id\"".into(),
            "incremental = true".into(),
            format!("table_name = \"items_{i}\""),
            String::new(),
            format!("[destination.dest_{i:05}]"),
            format!(
                "destination_type = \"{}\"",
                ["duckdb", "postgres", "bigquery", "snowflake"][i % 4]
            ),
            format!("dataset_name = \"ds_{i}\""),
            String::new(),
        ]);
        i += 1;
    }
    out.truncate(20_000);
    out.join("\n") + "\n"
}

fn path() -> PathBuf {
    PathBuf::from("/bench/project/.dlt/config.toml")
}

fn bench(c: &mut Criterion) {
    let text: Arc<str> = config_20k().into();
    let path = path();

    c.bench_function("taplo parse 20k lines", |b| {
        b.iter(|| taplo::parser::parse(black_box(&text)))
    });
    c.bench_function("TomlDoc::parse 20k lines", |b| {
        b.iter(|| dlt_lsp::model::toml::TomlDoc::parse(black_box(&text)))
    });
    c.bench_function("from_text 20k lines", |b| {
        b.iter(|| SourceFile::from_text(&path, black_box(text.clone()), Some(1)))
    });

    let file = SourceFile::from_text(&path, text.clone(), Some(1));
    // A keystroke in the middle of the file: a value's last digit changes.
    let edited: Arc<str> = {
        let mid = text.len() / 2;
        let at = mid + text[mid..].find(|c: char| c.is_ascii_digit()).unwrap();
        let digit = if &text[at..at + 1] == "7" { "8" } else { "7" };
        format!("{}{digit}{}", &text[..at], &text[at + 1..]).into()
    };
    c.bench_function("edited 20k lines (one digit)", |b| {
        b.iter(|| file.edited(black_box(edited.clone()), Some(2)))
    });
    // Typing a new key on a line of its own in the middle: `new_k` is a syntax error until its
    // `= value` is typed, and the re-parse must stay local all the same.
    let typing: Arc<str> = {
        let mid = text.len() / 2;
        let at = mid + text[mid..].find('\n').unwrap() + 1;
        format!("{}new_k\n{}", &text[..at], &text[at..]).into()
    };
    c.bench_function("edited 20k lines (typing a new key)", |b| {
        b.iter(|| file.edited(black_box(typing.clone()), Some(2)))
    });
    // 500 key offsets spread over the file, as the LSP driver hovers.
    let offsets: Vec<usize> = {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let keys: Vec<usize> = starts
            .into_iter()
            .filter(|&s| {
                let line = &text[s..text[s..].find('\n').map_or(text.len(), |e| s + e)];
                line.contains('=') && !line.starts_with('#') && !line.starts_with('[')
            })
            .map(|s| s + 1)
            .collect();
        (0..500).map(|i| keys[i * keys.len() / 500]).collect()
    };
    c.bench_function("cursor::locate x500 on 20k lines", |b| {
        b.iter(|| {
            for &o in &offsets {
                black_box(cursor::locate(&file.doc, o));
            }
        })
    });

    c.bench_function("format_file 20k lines", |b| {
        b.iter(|| black_box(dlt_lsp::features::formatting::format_file(&file)))
    });

    let dir = Path::new("/bench/project/.dlt");
    let mut folder = DltFolder::empty(dir);
    folder
        .files
        .insert(Arc::new(SourceFile::from_text(&path, text, Some(1))));
    let mut snapshot = Snapshot::default();
    snapshot
        .folders
        .insert(dir.to_path_buf(), Arc::new(folder.clone()));
    c.bench_function("folder_diagnostics 20k lines", |b| {
        b.iter(|| black_box(folder_diagnostics(&snapshot, &folder)))
    });

    // The README demo read from disk with its git state (this repository's): what opening the
    // first file of a folder costs before its diagnostics can be computed.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo/.dlt");
    c.bench_function("DltFolder::load demo with git", |b| {
        b.iter(|| black_box(DltFolder::load(&demo)))
    });
    let demo_folder = DltFolder::load(&demo);
    let demo_snapshot = Snapshot::from_folders([demo_folder.clone()]);
    c.bench_function("folder_diagnostics demo", |b| {
        b.iter(|| black_box(folder_diagnostics(&demo_snapshot, &demo_folder)))
    });

    // One project of the monorepo bench case: what indexing diagnoses a thousand times.
    let project = monorepo_project();
    let dlt = project.path().join(".dlt");
    let mono_folder = DltFolder::load(&dlt);
    let mono_snapshot = Snapshot::from_folders([mono_folder.clone()]);
    c.bench_function("folder_diagnostics monorepo project", |b| {
        b.iter(|| black_box(folder_diagnostics(&mono_snapshot, &mono_folder)))
    });
}

/// Project `p0500` of `gen_monorepo` in tools/bench/bench.py (six files, a workspace).
fn monorepo_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dlt = dir.path().join(".dlt");
    std::fs::create_dir_all(&dlt).unwrap();
    let files = [
        (".workspace", ""),
        (
            "config.toml",
            "[runtime]\nlog_level = \"WARNING\"\n\n[sources.api_500]\n\
             base_url = \"https://api.example.com/500\"\npage_size = 100\n\n\
             [destination.warehouse]\ndestination_type = \"duckdb\"\n",
        ),
        (
            "secrets.toml",
            "[sources.api_500]\napi_key = \"5f0c2a1b9d8e7f60\"\n",
        ),
        (
            "dev.config.toml",
            "[runtime]\nlog_level = \"DEBUG\"\n\n[destination.warehouse.credentials]\n\
             database = \"dev_500.duckdb\"\n",
        ),
        (
            "prod.config.toml",
            "[runtime]\nlog_level = \"INFO\"\n\n[destination.warehouse]\n\
             destination_type = \"postgres\"\n\n[destination.warehouse.credentials]\n\
             host = \"db500.example.internal\"\nport = 5432\ndatabase = \"analytics\"\n\
             username = \"loader\"\n",
        ),
        (
            "prod.secrets.toml",
            "[destination.warehouse.credentials]\npassword = \"0a1b2c3d4e5f6071\"\n",
        ),
        (
            "tests.config.toml",
            "[runtime]\nlog_level = \"ERROR\"\n\n[destination.warehouse]\n\
             destination_type = \"duckdb\"\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dlt.join(name), text).unwrap();
    }
    dir
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
