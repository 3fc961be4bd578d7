//! Path helpers for the hot paths of reading a workspace.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// `dir.join(name)` in one allocation of the right size. `Path::join` copies `dir` and grows the
/// copy for `name`, a reallocation each time: with jemalloc the dearest call of reading the
/// 1,000-project monorepo, where every file and directory is joined (callgrind; issue 7).
pub fn join(dir: &Path, name: impl AsRef<Path>) -> PathBuf {
    let name = name.as_ref();
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.as_os_str().len());
    path.push(dir);
    path.push(name);
    path
}

/// A path's bytes as the OS holds them.
pub fn bytes_of(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The bytes of `path` spelt one way: its own when it is [`spelt_once`], else those of its
/// components joined again. Paths `Path` holds equal have equal spelt bytes, so these stand in
/// for `Path`'s comparisons and hashes (a component at a time) where those are too dear.
pub fn spelt_bytes(path: &Path) -> Cow<'_, [u8]> {
    let bytes = bytes_of(path);
    match spelt_once(bytes) {
        true => Cow::Borrowed(bytes),
        false => Cow::Owned(bytes_of(&path.components().collect::<PathBuf>()).to_vec()),
    }
}

/// Whether a path is spelt as its components join again: no empty or `.` component after the
/// first, no trailing separator. Paths `Path` holds equal are then equal as bytes. Elsewhere
/// than Unix (other separators, prefixes) a path is always joined again.
pub fn spelt_once(bytes: &[u8]) -> bool {
    if !cfg!(unix) {
        return false;
    }
    // Between separators (the first part is empty for an absolute path, `.` for `./a`).
    bytes == b"/"
        || bytes
            .split(|&b| b == b'/')
            .skip(1)
            .all(|part| !part.is_empty() && part != b".")
}

/// Paths, each spelt one way, whose order by bytes is not their order by components (`p-x` before
/// `p/.dlt`, a shorter name first, relative ones with `.` and `..`): the orders that stand in for
/// `Path`'s ([`super::folder_map`], the walk's sort in [`super::discovery`]) are tested on them.
#[cfg(test)]
pub const TRICKY_PATHS: &[&str] = &[
    "/",
    "/a",
    "/a/b",
    "/a-b",
    "/a.b",
    "/a/b/.dlt",
    "/ab",
    "/a/bb",
    "/a/b-",
    "/p",
    "/p-x",
    "/p/.dlt",
    "/p-x/deep/.dlt",
    "a",
    "a/b",
    "./a",
    "../a",
    "/\u{e9}",
    "/z",
    "/A",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The same path as `Path::join`, also for an absolute name, an empty one or a trailing
    /// separator, with no room to spare.
    #[test]
    fn joins_as_path_join_does() {
        for (dir, name) in [
            ("/a/b", "c.toml"),
            ("/a/b/", "c"),
            ("a", ""),
            ("", "c"),
            ("/a", "/etc/passwd"),
            ("/a", "x/y"),
        ] {
            let joined = join(Path::new(dir), name);
            assert_eq!(joined, Path::new(dir).join(name), "{dir} + {name}");
            assert!(joined.capacity() <= dir.len() + 1 + name.len());
        }
    }
}
