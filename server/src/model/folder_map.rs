//! The snapshot's folders by their `.dlt` directory: a persistent map whose keys compare fast.
//!
//! `Path`'s own order parses both paths into components at every comparison, and a lookup among
//! 1,000 folders makes ten of them on paths that share most of their bytes: the lookups, inserts
//! and replacements of indexing the monorepo spent 5 % of its instructions comparing paths
//! (callgrind, issue 7). Here a path is spelt one way ([`spelt_once`]) and compared as bytes, a
//! separator before any other byte, which orders such paths as `Path` does.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::paths::{bytes_of, spelt_bytes, spelt_once};
use super::workspace::DltFolder;

/// Folders by their `.dlt` directory, in the order of the directories' paths. Cheap to clone:
/// a copy is O(1), a change O(log n) (see [`super::workspace::Snapshot::folders`]).
#[derive(Debug, Clone, Default)]
pub struct FolderMap(imbl::OrdMap<FolderKey, Arc<DltFolder>>);

impl FolderMap {
    /// A map of one folder.
    pub fn unit(dir: PathBuf, folder: Arc<DltFolder>) -> FolderMap {
        FolderMap(imbl::OrdMap::unit(FolderKey::new(dir), folder))
    }

    pub fn get(&self, dir: &Path) -> Option<&Arc<DltFolder>> {
        self.0.get(KeyBytes::new(&spelt_bytes(dir)))
    }

    pub fn get_mut(&mut self, dir: &Path) -> Option<&mut Arc<DltFolder>> {
        self.0.get_mut(KeyBytes::new(&spelt_bytes(dir)))
    }

    /// Puts `folder` at `dir`; the folder it replaces, if any.
    pub fn insert(&mut self, dir: PathBuf, folder: Arc<DltFolder>) -> Option<Arc<DltFolder>> {
        self.0.insert(FolderKey::new(dir), folder)
    }

    pub fn remove(&mut self, dir: &Path) -> Option<Arc<DltFolder>> {
        self.0.remove(KeyBytes::new(&spelt_bytes(dir)))
    }

    /// The folder at `dir`, put there by `make` when there is none.
    pub fn get_or_insert_with(
        &mut self,
        dir: &Path,
        make: impl FnOnce() -> Arc<DltFolder>,
    ) -> &mut Arc<DltFolder> {
        self.0
            .entry(FolderKey::new(dir.to_path_buf()))
            .or_insert_with(make)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `.dlt` directories, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Path> {
        self.0.keys().map(|k| k.0.as_path())
    }

    pub fn values(&self) -> impl Iterator<Item = &Arc<DltFolder>> {
        self.0.values()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Path, &Arc<DltFolder>)> {
        self.0.iter().map(|(k, v)| (k.0.as_path(), v))
    }
}

impl<P: AsRef<Path>> std::ops::Index<P> for FolderMap {
    type Output = Arc<DltFolder>;

    /// The folder at a directory; panics when there is none.
    fn index(&self, dir: P) -> &Arc<DltFolder> {
        let dir = dir.as_ref();
        self.get(dir)
            .unwrap_or_else(|| panic!("no folder at {}", dir.display()))
    }
}

impl FromIterator<(PathBuf, Arc<DltFolder>)> for FolderMap {
    fn from_iter<I: IntoIterator<Item = (PathBuf, Arc<DltFolder>)>>(folders: I) -> FolderMap {
        FolderMap(
            folders
                .into_iter()
                .map(|(dir, f)| (FolderKey::new(dir), f))
                .collect(),
        )
    }
}

/// A directory spelt one way ([`spelt_once`]), ordered by [`order`].
#[derive(Debug, Clone)]
struct FolderKey(PathBuf);

impl FolderKey {
    fn new(dir: PathBuf) -> FolderKey {
        match spelt_once(bytes_of(&dir)) {
            true => FolderKey(dir),
            false => FolderKey(dir.components().collect()),
        }
    }
}

impl PartialEq for FolderKey {
    fn eq(&self, other: &Self) -> bool {
        bytes_of(&self.0) == bytes_of(&other.0)
    }
}

impl Eq for FolderKey {}

impl PartialOrd for FolderKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for FolderKey {
    fn cmp(&self, other: &Self) -> Ordering {
        order(bytes_of(&self.0), bytes_of(&other.0))
    }
}

/// The bytes of a key, for looking it up without building a [`FolderKey`].
#[derive(PartialEq, Eq)]
#[repr(transparent)]
struct KeyBytes([u8]);

impl KeyBytes {
    fn new(bytes: &[u8]) -> &KeyBytes {
        // SAFETY: `KeyBytes` is a `repr(transparent)` wrapper of `[u8]`, so both references have
        // the same layout and metadata; the lifetime is kept.
        unsafe { &*(bytes as *const [u8] as *const KeyBytes) }
    }
}

impl PartialOrd for KeyBytes {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyBytes {
    fn cmp(&self, other: &Self) -> Ordering {
        order(&self.0, &other.0)
    }
}

impl Borrow<KeyBytes> for FolderKey {
    fn borrow(&self) -> &KeyBytes {
        KeyBytes::new(bytes_of(&self.0))
    }
}

/// `Path`'s order for paths [`spelt_once`]: bytes up to the first difference, where a separator
/// (or the end) comes before any other byte. Compared eight bytes at a time: the paths of a
/// monorepo's folders differ only near their ends.
fn order(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= common {
        let x = u64::from_ne_bytes(a[i..i + 8].try_into().expect("eight bytes"));
        let y = u64::from_ne_bytes(b[i..i + 8].try_into().expect("eight bytes"));
        if x != y {
            break;
        }
        i += 8;
    }
    while i < common && a[i] == b[i] {
        i += 1;
    }
    let rank = |c: Option<&u8>| match c {
        None => 0,
        Some(b'/') => 1,
        Some(&c) => u16::from(c) + 2,
    };
    rank(a.get(i)).cmp(&rank(b.get(i)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(dir: &str) -> Arc<DltFolder> {
        Arc::new(DltFolder::in_memory(Path::new(dir), false, None, []))
    }

    /// Keys sort as `Path` sorts them and find each other under any spelling `Path` holds
    /// equal, also where bytes alone would not (`p-x` before `p/.dlt`, a shorter name first,
    /// doubled and trailing separators, `.` components).
    #[test]
    fn keys_sort_and_match_as_paths_do() {
        let monorepo = ["/w/monorepo/p0999/.dlt", "/w/monorepo/p1000/.dlt"];
        let dirs: Vec<&str> = super::super::paths::TRICKY_PATHS
            .iter()
            .copied()
            .chain(monorepo)
            .collect();
        let map: FolderMap = dirs.iter().map(|d| (PathBuf::from(d), folder(d))).collect();
        let mut by_path: Vec<&Path> = dirs.iter().map(Path::new).collect();
        by_path.sort();
        let keys: Vec<&Path> = map.keys().collect();
        assert_eq!(keys, by_path);
        for d in dirs {
            assert_eq!(map.get(Path::new(d)).unwrap().dlt_dir, Path::new(d), "{d}");
        }
        for (spelling, dir) in [
            ("/a//b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/b/", "/a/b"),
            ("/a/b/.", "/a/b"),
            ("//a", "/a"),
        ] {
            assert_eq!(Path::new(spelling), Path::new(dir));
            let found = map.get(Path::new(spelling));
            assert_eq!(found.unwrap().dlt_dir, Path::new(dir), "{spelling}");
        }
        assert!(map.get(Path::new("/a/c")).is_none());
        assert!(map.get(Path::new("/w/monorepo/p0998/.dlt")).is_none());
    }

    /// Inserting under another spelling replaces the folder; removing under one removes it.
    #[test]
    fn one_folder_per_directory_however_spelt() {
        let mut map = FolderMap::default();
        map.insert("/w/p/.dlt".into(), folder("/w/p/.dlt"));
        assert!(map
            .insert("/w//p/.dlt/".into(), folder("/w/p/.dlt"))
            .is_some());
        assert_eq!(map.len(), 1);
        assert!(map.remove(Path::new("/w/./p/.dlt")).is_some());
        assert!(map.is_empty());
    }
}
