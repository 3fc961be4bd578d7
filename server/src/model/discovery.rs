//! Finding every `.dlt/` folder under a set of roots, opened in the editor or not.

use std::path::{Path, PathBuf};

use super::listings::{GitEntries, ListedDirs};
use super::paths;

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
    find_dlt_folders(roots, limits)
        .into_iter()
        .map(|f| f.dir)
        .collect()
}

/// A local database dlt creates beside `.dlt` or in it (`<pipeline>.duckdb`), by its name.
pub fn is_duckdb_name(name: &str) -> bool {
    name.ends_with(".duckdb")
}

/// A `.dlt` directory found by [`find_dlt_folders`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDlt {
    pub dir: PathBuf,
    /// The `*.duckdb` files of the project directory (the one holding `.dlt`), which the walk
    /// listed anyway; `None` for a root that is a `.dlt` directory itself (not listed).
    pub project_duckdb: Option<Vec<String>>,
}

/// [`find_dlt_dirs`] with what the walk saw of each project directory.
pub fn find_dlt_folders(roots: &[PathBuf], limits: WalkLimits) -> Vec<FoundDlt> {
    walk(roots, limits).found
}

/// What a walk found, and what its listings showed git on the way ([`ListedDirs`]: every
/// directory from a root down to each folder's project directory; the folders' own listings are
/// [`DirScan`]s, recorded by whoever reads them).
#[derive(Debug)]
pub struct Walk {
    pub found: Vec<FoundDlt>,
    pub listed: ListedDirs,
}

/// Bytes that sort as `path` does among paths (component by component): each component as its
/// kind, then its name, a NUL (in no name) between components. Sorting 1,000 folders compared
/// long paths a component at a time ~10,000 times (1 % of the instructions of indexing the
/// monorepo; issue 7); this takes one pass over each.
fn component_order_key(path: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for (i, c) in path.components().enumerate() {
        if i > 0 {
            key.push(0);
        }
        // The order of `Component`'s variants, which `Path`'s order follows.
        let (kind, name): (u8, &[u8]) = match c {
            Component::Prefix(p) => (1, p.as_os_str().as_encoded_bytes()),
            Component::RootDir => (2, b""),
            Component::CurDir => (3, b""),
            Component::ParentDir => (4, b""),
            Component::Normal(n) => (5, n.as_encoded_bytes()),
        };
        key.push(kind);
        key.extend_from_slice(name);
    }
    key
}

/// Every `.dlt` directory under `roots` ([`find_dlt_folders`]) and the listings on the way.
pub fn walk(roots: &[PathBuf], limits: WalkLimits) -> Walk {
    let mut listed = ListedDirs::below(roots);
    let mut found = Vec::new();
    let mut visited = 0usize;
    for root in roots {
        if let Some(d) = dlt_dir_of(root) {
            if d.is_dir() {
                found.push(FoundDlt {
                    dir: d,
                    project_duckdb: None,
                });
                continue;
            }
        }
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            crate::pace::step();
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
            let mut dlt = None;
            let mut duckdb = Vec::new();
            let mut git = GitEntries::default();
            for entry in entries {
                let Ok(entry) = entry else {
                    git.unreadable = true;
                    continue;
                };
                let name = entry.file_name();
                git.note(&name);
                // file_type() does not follow symlinks, so link loops are never entered.
                let Ok(ft) = entry.file_type() else { continue };
                if !ft.is_dir() {
                    if let Some(n) = name.to_str().filter(|n| is_duckdb_name(n)) {
                        // A database file, or a symlink to one (dlt follows it).
                        if ft.is_file() || (ft.is_symlink() && entry.path().is_file()) {
                            duckdb.push(n.to_string());
                        }
                    }
                    continue;
                }
                let path = paths::join(&dir, &name);
                if name == DOT_DLT {
                    dlt = Some(path);
                } else if depth < limits.max_depth && !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    stack.push((path, depth + 1));
                }
            }
            listed.record(&dir, git);
            if let Some(dir) = dlt {
                duckdb.sort();
                found.push(FoundDlt {
                    dir,
                    project_duckdb: Some(duckdb),
                });
            }
        }
    }
    found.sort_by_cached_key(|f| component_order_key(&f.dir));
    found.dedup_by(|a, b| a.dir == b.dir);
    // Sorted by components, the folders at or below a directory follow it.
    listed.keep(|dir| {
        let next = found.partition_point(|f| f.dir.as_path() < dir);
        found.get(next).is_some_and(|f| f.dir.starts_with(dir))
    });
    Walk { found, listed }
}

/// What one `read_dir` of a `.dlt` folder tells: its TOML files and the names dlt and dlthub
/// look for. Entry types come from the directory listing itself; only symlinks cost a `stat`
/// (dlt follows them). Reading a folder this way, once, took most of the system time out of
/// indexing a 1,000-project monorepo (issue 7).
#[derive(Debug, Clone, Default)]
pub struct DirScan {
    /// The TOML files (regular files, or symlinks to them), sorted; dlt reads no subfolders.
    pub toml_files: Vec<PathBuf>,
    /// Other entries by name: `true` for a directory.
    pub others: std::collections::BTreeMap<String, bool>,
    /// The project directory's `*.duckdb` files when the listing that found the folder gave
    /// them ([`FoundDlt::project_duckdb`]); otherwise they are listed when needed.
    pub project_duckdb: Option<Vec<String>>,
    /// What git looks for in the folder, as the listing showed it (see [`ListedDirs`]).
    pub git: GitEntries,
}

impl DirScan {
    /// Lists `dir`; an unreadable directory scans as empty.
    pub fn read(dir: &Path) -> DirScan {
        let mut scan = DirScan::default();
        let mut toml_files = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            scan.git.unreadable = true;
            return scan;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                scan.git.unreadable = true;
                continue;
            };
            let name = entry.file_name();
            scan.git.note(&name);
            let Some(name) = name.to_str().map(str::to_string) else {
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let (is_file, is_dir) = if kind.is_symlink() {
                match std::fs::metadata(entry.path()) {
                    Ok(m) => (m.is_file(), m.is_dir()),
                    Err(_) => continue,
                }
            } else {
                (kind.is_file(), kind.is_dir())
            };
            if is_file && name.ends_with(".toml") {
                toml_files.push(name);
            } else if is_file || is_dir {
                scan.others.insert(name, is_dir);
            }
        }
        // Sorted by name, then joined: the same order as the paths' (one directory), without
        // comparing paths a component at a time (1 % of indexing the monorepo; issue 7).
        toml_files.sort_unstable();
        scan.toml_files = toml_files.iter().map(|n| paths::join(dir, n)).collect();
        scan
    }

    /// Whether a regular file `name` is there.
    pub fn has_file(&self, name: &str) -> bool {
        self.others.get(name) == Some(&false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The key sorts paths as `Path`'s own order does, also where bytes alone would not (`p-x`
    /// before `p/.dlt`, `.` and `..`, doubled separators, a shorter name first).
    #[test]
    fn the_component_key_sorts_as_paths_do() {
        // Also spellings `Path` holds equal to others, which the walk may meet in its roots.
        let names = super::super::paths::TRICKY_PATHS
            .iter()
            .chain(&["/a//b", "/a/./b", "/a/../b", "", ".", "..", "/a/", "/a/b/"]);
        let mut by_path: Vec<PathBuf> = names.map(PathBuf::from).collect();
        let mut by_key = by_path.clone();
        by_path.sort();
        by_key.sort_by_cached_key(|p| component_order_key(p));
        for (p, k) in by_path.iter().zip(&by_key) {
            assert_eq!(
                p.cmp(k),
                std::cmp::Ordering::Equal,
                "{by_path:?} != {by_key:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_scan_follows_symlinks_as_dlt_does_and_types_entries_from_the_listing() {
        let tmp = tempfile::tempdir().unwrap();
        let dlt = tmp.path().join(".dlt");
        std::fs::create_dir_all(dlt.join("state")).unwrap();
        std::fs::create_dir_all(dlt.join("odd.toml")).unwrap();
        std::fs::write(tmp.path().join("shared.toml"), "a = 1\n").unwrap();
        std::fs::write(dlt.join("config.toml"), "").unwrap();
        std::fs::write(dlt.join(".workspace"), "").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("shared.toml"), dlt.join("secrets.toml"))
            .unwrap();
        std::os::unix::fs::symlink(tmp.path().join("gone"), dlt.join("broken.toml")).unwrap();
        std::os::unix::fs::symlink(dlt.join("state"), dlt.join("data")).unwrap();
        let scan = DirScan::read(&dlt);
        let names: Vec<_> = scan
            .toml_files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["config.toml", "secrets.toml"]);
        assert!(scan.has_file(".workspace"));
        assert!(!scan.has_file("state"));
        assert_eq!(scan.others.get("data"), Some(&true));
        assert_eq!(scan.others.get("odd.toml"), Some(&true));
        assert!(!scan.others.contains_key("broken.toml"));
    }

    /// The walk's view of a project's `*.duckdb` files is the one a listing of the project gives:
    /// files and symlinks to files, not directories or dangling links.
    #[cfg(unix)]
    #[test]
    fn the_walk_lists_the_project_databases_a_listing_would() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("proj");
        std::fs::create_dir_all(p.join(".dlt")).unwrap();
        std::fs::create_dir_all(p.join("dir.duckdb")).unwrap();
        std::fs::write(p.join("b.duckdb"), "").unwrap();
        std::fs::write(p.join("notes.txt"), "").unwrap();
        std::fs::write(tmp.path().join("elsewhere.db"), "").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("elsewhere.db"), p.join("a.duckdb")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("gone"), p.join("c.duckdb")).unwrap();
        let found = find_dlt_folders(&[tmp.path().to_path_buf()], WalkLimits::default());
        let listed = DirScan::read(&p);
        let expected: Vec<String> = listed
            .others
            .iter()
            .filter(|(n, is_dir)| !**is_dir && n.ends_with(".duckdb"))
            .map(|(n, _)| n.clone())
            .collect();
        assert_eq!(expected, ["a.duckdb", "b.duckdb"]);
        assert_eq!(
            found,
            [FoundDlt {
                dir: p.join(".dlt"),
                project_duckdb: Some(expected)
            }]
        );
        // A root that is the `.dlt` folder itself: its project was not listed.
        let at = find_dlt_folders(&[p.join(".dlt")], WalkLimits::default());
        assert_eq!(at[0].project_duckdb, None);
    }

    /// The walk notes what git looks for in each directory on the way to a folder it found, the
    /// folder's listing what is in the folder; a listing that could not be read says nothing.
    #[test]
    fn the_walk_notes_what_git_looks_for_on_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        std::fs::create_dir_all(r.join("p/.dlt")).unwrap();
        std::fs::create_dir_all(r.join("q/.dlt")).unwrap();
        std::fs::write(r.join(".gitignore"), "x\n").unwrap();
        std::fs::write(r.join("p/.git"), "gitdir: elsewhere\n").unwrap();
        std::fs::write(r.join("p/.dlt/.gitignore"), "y\n").unwrap();
        // Listed on the way to no folder: not kept. `p-x` sorts between `p` and `p/.dlt` by
        // bytes, not by components.
        for d in ["other", "p-x", "p-x/deep/.dlt"] {
            std::fs::create_dir_all(r.join(d)).unwrap();
            std::fs::write(r.join(d).join(".gitignore"), "z\n").unwrap();
        }
        let walked = walk(&[r.to_path_buf()], WalkLimits::default());
        assert_eq!(walked.found.len(), 3);
        let mut listed = walked.listed;
        let at = |listed: &ListedDirs, d: &str| listed.entries(&r.join(d)).unwrap();
        assert!(at(&listed, "").gitignore && !at(&listed, "").dot_git);
        assert!(at(&listed, "p").dot_git && !at(&listed, "p").gitignore);
        assert_eq!(at(&listed, "q"), GitEntries::default());
        assert_eq!(at(&listed, "other"), GitEntries::default(), "not kept");
        assert!(at(&listed, "p-x").gitignore, "on the way to p-x/deep/.dlt");
        let scan = DirScan::read(&r.join("p/.dlt"));
        assert!(scan.git.gitignore && !scan.git.dot_git);
        listed.record(&r.join("p/.dlt"), scan.git);
        assert!(at(&listed, "p/.dlt").gitignore);
        let unlisted = DirScan::read(&r.join("missing"));
        listed.record(&r.join("missing"), unlisted.git);
        assert_eq!(listed.entries(&r.join("missing")), None);
    }

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
