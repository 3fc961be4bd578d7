//! The least work any server that publishes diagnostics for every file of a workspace must do:
//! list the folders, read every `.dlt/*.toml` file of the projects right under the root (the
//! bench's monorepo) and parse it with taplo. Nothing else: no tables, no git, no rules, no
//! output. Prints the files, their bytes and the CPU time this process took (user and system,
//! `getrusage`).
//!
//!     cargo run --release -p dlt-lsp --example read_parse_floor -- target/bench-data/monorepo-v2-1000
//!
//! The bench's monorepo puts this floor next to `tools/bench/index_cpu.py` (dlt-lsp's indexing)
//! and the anchors' whole sessions (issue 7, README "Performance").

use std::path::Path;

fn main() {
    let Some(root) = std::env::args_os().nth(1) else {
        eprintln!("usage: read_parse_floor ROOT");
        std::process::exit(2);
    };
    let (mut files, mut bytes, mut errors) = (0usize, 0usize, 0usize);
    for project in entries(Path::new(&root)) {
        for toml in entries(&project.join(".dlt")) {
            if toml.extension().is_none_or(|x| x != "toml") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&toml) else {
                continue;
            };
            files += 1;
            bytes += text.len();
            errors += taplo::parser::parse(&text).errors.len();
        }
    }
    let (user, system) = cpu_ms();
    println!("{files} files, {bytes} bytes, {errors} syntax errors: user {user:.1} ms, system {system:.1} ms");
}

/// The entries of `dir`, none when it cannot be listed.
fn entries(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// User and system CPU time of this process so far, in milliseconds.
#[cfg(target_os = "linux")]
fn cpu_ms() -> (f64, f64) {
    // SAFETY: getrusage writes the struct it is given and nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    (ms(usage.ru_utime), ms(usage.ru_stime))
}

#[cfg(not(target_os = "linux"))]
fn cpu_ms() -> (f64, f64) {
    (f64::NAN, f64::NAN)
}
