//! Inline multi-file fixtures (`//- .dlt/config.toml` headers), shared by unit and end-to-end tests.

use std::path::Path;

/// Writes each `//- relative/path` section of `text` below `dir`.
pub fn write_fixture(dir: &Path, text: &str) -> std::io::Result<()> {
    let mut current: Option<(String, String)> = None;
    let flush = |cur: &mut Option<(String, String)>| -> std::io::Result<()> {
        if let Some((path, body)) = cur.take() {
            let p = dir.join(path);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(p, body)?;
        }
        Ok(())
    };
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- ") {
            flush(&mut current)?;
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        }
    }
    flush(&mut current)
}
