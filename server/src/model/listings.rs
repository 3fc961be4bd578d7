//! What the listings of a walk tell git about the directories on the way to the `.dlt` folders
//! it found, so that loading their git state need not ask the disk again (issue 7).
//!
//! For a folder, git looks for a `.git` entry in each directory from the folder up to its
//! repository's root, the server resolves the symlinks of the folder's path, and git reads the
//! `.gitignore` of each directory from the work tree's root down to the folder. The walk that
//! found the folder listed every directory from its root down to it, and the folder itself: in a
//! monorepo of 1,000 projects those listings answered six of the eight lookups per folder
//! (`lstat`s of missing `.git` and `.gitignore` entries, and of directories the listing had
//! typed already). A listing is as old as the walk: a `.gitignore` created since is reported by
//! the editor's file watcher, which starts a new pass.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The entries git looks up in a directory, as its listing showed them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GitEntries {
    /// An entry named `.git`, of any kind (a file points to a repository elsewhere).
    pub dot_git: bool,
    /// An entry named `.gitignore`, of any kind (git then reads it if it is a regular file).
    pub gitignore: bool,
    /// An entry of the listing could not be read: the listing says nothing about the directory.
    pub unreadable: bool,
}

impl GitEntries {
    /// Takes note of an entry `name` of the listing.
    pub fn note(&mut self, name: &OsStr) {
        if name == ".git" {
            self.dot_git = true;
        } else if name == ".gitignore" {
            self.gitignore = true;
        }
    }
}

/// The directories a walk listed: every directory from one of its tops (the walk's roots) down
/// to each folder it found. Only the ones with something git looks for are kept; a directory on
/// such a way that is not kept holds neither `.git` nor `.gitignore`.
///
/// Ask only about directories on the way from a top to a folder the walk found: of any other
/// directory below a top, the answer is a guess.
#[derive(Debug, Default)]
pub struct ListedDirs {
    /// Tells listings apart (see [`ListedDirs::id`]).
    id: u64,
    tops: Vec<PathBuf>,
    marked: HashMap<PathBuf, GitEntries>,
}

impl ListedDirs {
    /// Listings of the directories below `tops`, none noted yet.
    pub fn below(tops: &[PathBuf]) -> ListedDirs {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ListedDirs {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            tops: tops.to_vec(),
            marked: HashMap::new(),
        }
    }

    /// Different for every listing: what was built from one serves only its folders.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The directories the walk started from.
    pub fn tops(&self) -> &[PathBuf] {
        &self.tops
    }

    /// The listed directories that hold a `.gitignore`, or may (their listing was not read whole).
    pub fn dirs_with_gitignore(&self) -> impl Iterator<Item = &Path> {
        self.marked
            .iter()
            .filter(|(_, e)| e.gitignore || e.unreadable)
            .map(|(dir, _)| dir.as_path())
    }

    /// Records the listing of `dir`.
    pub fn record(&mut self, dir: &Path, entries: GitEntries) {
        if entries != GitEntries::default() {
            self.marked.insert(dir.to_path_buf(), entries);
        }
    }

    /// Keeps only the directories for which `on_the_way` holds (the walk lists many more than it
    /// keeps going through).
    pub fn keep(&mut self, mut on_the_way: impl FnMut(&Path) -> bool) {
        self.marked.retain(|dir, _| on_the_way(dir));
    }

    /// What the listing of `dir` showed; `None` when `dir` is not at or below a top, or its
    /// listing could not be read whole.
    pub fn entries(&self, dir: &Path) -> Option<GitEntries> {
        let bytes = dir.as_os_str().as_encoded_bytes();
        let listed = self.tops.iter().any(|top| {
            let top = top.as_os_str().as_encoded_bytes();
            top == bytes || is_strict_ancestor(top, bytes)
        });
        match self.marked.get(dir) {
            _ if !listed => None,
            Some(e) if e.unreadable => None,
            Some(e) => Some(*e),
            None => Some(GitEntries::default()),
        }
    }

    /// Whether the walk went into `dir` from a listing of its parent (strictly below a top): a
    /// directory, not a symlink to one, since the walk follows none.
    pub fn was_entered(&self, dir: &Path) -> bool {
        let bytes = dir.as_os_str().as_encoded_bytes();
        self.tops
            .iter()
            .any(|top| is_strict_ancestor(top.as_os_str().as_encoded_bytes(), bytes))
    }
}

/// Whether the path spelt `dir` lies strictly above the path spelt `path` (compared by bytes: a
/// path spelt another way is not recognised, which only costs a lookup on the disk).
pub fn is_strict_ancestor(dir: &[u8], path: &[u8]) -> bool {
    let sep = std::path::MAIN_SEPARATOR as u8;
    path.len() > dir.len()
        && path.starts_with(dir)
        && (dir.ends_with(&[sep]) || path[dir.len()] == sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(names: &[&str]) -> GitEntries {
        let mut e = GitEntries::default();
        names.iter().for_each(|n| e.note(OsStr::new(n)));
        e
    }

    #[test]
    fn a_listing_answers_at_and_below_its_tops_only() {
        let mut listed = ListedDirs::below(&[PathBuf::from("/w/mono")]);
        listed.record(Path::new("/w/mono"), entries(&[".git", "README.md"]));
        listed.record(Path::new("/w/mono/p1"), entries(&[".gitignore", ".dlt"]));
        listed.record(Path::new("/w/mono/p2"), entries(&["main.py"]));
        listed.record(
            Path::new("/w/mono/p3"),
            GitEntries {
                unreadable: true,
                ..entries(&[])
            },
        );
        let at = |d: &str| listed.entries(Path::new(d));
        assert_eq!(at("/w/mono").map(|e| e.dot_git), Some(true));
        assert_eq!(at("/w/mono/p1").map(|e| e.gitignore), Some(true));
        assert_eq!(at("/w/mono/p2"), Some(GitEntries::default()));
        assert_eq!(at("/w/mono/p1/.dlt"), Some(GitEntries::default()));
        assert_eq!(
            at("/w/mono/p3"),
            None,
            "a listing read in part says nothing"
        );
        assert_eq!(at("/w"), None, "above the top");
        assert_eq!(
            at("/w/monorepo/p1"),
            None,
            "a sibling sharing the top's name"
        );
        assert!(listed.was_entered(Path::new("/w/mono/p1")));
        assert!(
            !listed.was_entered(Path::new("/w/mono")),
            "a top may be a symlink"
        );
        assert!(!listed.was_entered(Path::new("/w/monorepo")));
    }
}
