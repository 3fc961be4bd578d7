//! Finding every `.dlt/` folder under a set of roots, opened in the editor or not.

use std::path::{Path, PathBuf};

/// The name of dlt's settings folder.
pub const DOT_DLT: &str = ".dlt";

/// Directories never searched: version control, dependencies, build output.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "target",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
];

/// Limits of a discovery walk.
#[derive(Debug, Clone, Copy)]
pub struct WalkLimits {
    /// Directory levels below a root that are searched.
    pub max_depth: usize,
    /// Directories visited at most, so a huge home folder cannot stall the server.
    pub max_dirs: usize,
}

impl Default for WalkLimits {
    fn default() -> Self {
        WalkLimits {
            max_depth: 12,
            max_dirs: 200_000,
        }
    }
}

/// The `.dlt` folder that contains `path` (a file in it or the folder itself).
pub fn dlt_dir_of(path: &Path) -> Option<PathBuf> {
    if path.file_name()? == DOT_DLT {
        return Some(path.to_path_buf());
    }
    let parent = path.parent()?;
    (parent.file_name()? == DOT_DLT).then(|| parent.to_path_buf())
}

/// Every `.dlt` directory under `roots`, sorted, without following symlinks.
pub fn find_dlt_dirs(roots: &[PathBuf], limits: WalkLimits) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut visited = 0usize;
    for root in roots {
        if let Some(d) = dlt_dir_of(root) {
            if d.is_dir() {
                found.push(d);
                continue;
            }
        }
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            visited += 1;
            if visited > limits.max_dirs {
                tracing::warn!(
                    "stopped searching for .dlt folders after {} directories",
                    limits.max_dirs
                );
                break;
            }
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                // file_type() does not follow symlinks, so link loops are never entered.
                let Ok(ft) = entry.file_type() else { continue };
                if !ft.is_dir() {
                    continue;
                }
                let name = entry.file_name();
                let path = entry.path();
                if name == DOT_DLT {
                    found.push(path);
                } else if depth < limits.max_depth && !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    stack.push((path, depth + 1));
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The TOML files directly inside a `.dlt` folder (dlt reads no subfolders), sorted.
pub fn toml_files(dlt_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dlt_dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "toml")
                && std::fs::metadata(e.path())
                    .map(|m| m.is_file())
                    .unwrap_or(false)
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_dlt_dirs_and_skips_dependency_and_vcs_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        for d in [
            "a/.dlt",
            "b/c/.dlt",
            "node_modules/x/.dlt",
            ".venv/.dlt",
            "target/.dlt",
            ".git/.dlt",
        ] {
            std::fs::create_dir_all(r.join(d)).unwrap();
        }
        std::fs::write(r.join("b/.dlt"), "a file named .dlt").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(r, r.join("a/loop")).unwrap();
        let found = find_dlt_dirs(&[r.to_path_buf()], WalkLimits::default());
        let rel: Vec<_> = found
            .iter()
            .map(|p| p.strip_prefix(r).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(rel, ["a/.dlt", "b/c/.dlt"]);
    }

    #[test]
    fn respects_the_depth_limit() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("1/2/3/.dlt")).unwrap();
        let limits = WalkLimits {
            max_depth: 1,
            ..Default::default()
        };
        assert!(find_dlt_dirs(&[tmp.path().to_path_buf()], limits).is_empty());
        let limits = WalkLimits {
            max_depth: 3,
            ..Default::default()
        };
        assert_eq!(find_dlt_dirs(&[tmp.path().to_path_buf()], limits).len(), 1);
    }

    #[test]
    fn a_root_inside_or_at_a_dlt_dir_is_that_dir() {
        assert_eq!(
            dlt_dir_of(Path::new("/p/.dlt/config.toml")).unwrap(),
            Path::new("/p/.dlt")
        );
        assert_eq!(
            dlt_dir_of(Path::new("/p/.dlt")).unwrap(),
            Path::new("/p/.dlt")
        );
        assert!(dlt_dir_of(Path::new("/p/config.toml")).is_none());
    }
}
