//! One `.dlt` TOML file: its text (from the editor or the disk), line index and parse.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::files::FileRole;
use super::text::{Change, LineIndex};
use super::toml::TomlDoc;

/// Files larger than this are not parsed; they get one diagnostic instead.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Why a file's text could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("file is {size} bytes, larger than the {limit} byte limit; it was not analysed")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "file is not valid UTF-8 (first bad byte at offset {offset}); dlt reads TOML as UTF-8 and will fail on it"
    )]
    NotUtf8 { offset: usize },
    #[error("file is UTF-16 encoded; dlt reads TOML as UTF-8 and will fail on it")]
    Utf16,
    #[error("cannot read file: {0}")]
    Io(String),
}

/// An analysed file; immutable, shared between snapshots.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    /// File name, e.g. `prod.secrets.toml`.
    pub name: String,
    pub role: FileRole,
    pub text: Arc<str>,
    /// Built on first use ([`SourceFile::line_index`]); boxed, as most files of a monorepo never
    /// need one (issue 7).
    lines: OnceLock<Box<LineIndex>>,
    /// Shared with the file's earlier states while its text is unchanged.
    pub doc: Arc<TomlDoc>,
    /// Set when the text could not be read or decoded; `text` is then empty.
    pub load_error: Option<LoadError>,
    /// The editor's version when the text comes from an open document.
    pub version: Option<i32>,
}

impl SourceFile {
    /// Analyses `text` as the content of `path`.
    pub fn from_text(path: &Path, text: Arc<str>, version: Option<i32>) -> SourceFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        SourceFile {
            role: FileRole::of(&name),
            path: path.to_path_buf(),
            name,
            lines: OnceLock::new(),
            doc: Arc::new(TomlDoc::parse(&text)),
            text,
            load_error: None,
            version,
        }
    }

    /// Analyses `text`, an edit of this file's text: only the sections the edit touches are
    /// parsed again when that gives the same parse ([`TomlDoc::reparse`]).
    pub fn edited(&self, text: Arc<str>, version: Option<i32>) -> SourceFile {
        if self.load_error.is_some() {
            return SourceFile::from_text(&self.path, text, version);
        }
        let doc = match Change::between(&self.text, &text) {
            None => self.doc.clone(),
            Some(change) => Arc::new(self.doc.reparse_change(&self.text, &text, change)),
        };
        SourceFile {
            role: self.role.clone(),
            path: self.path.clone(),
            name: self.name.clone(),
            lines: OnceLock::new(),
            doc,
            text,
            load_error: None,
            version,
        }
    }

    /// Reads and analyses `path` from disk; a failure becomes `load_error`, never a panic.
    pub fn load(path: &Path) -> SourceFile {
        Self::from_read(path, read_text(path))
    }

    /// Reads and analyses the files at `paths`, in order. Their reads are asked of the disk all
    /// at once first ([`read_texts`]).
    pub fn load_all(paths: &[&Path]) -> Vec<SourceFile> {
        paths
            .iter()
            .zip(read_texts(paths))
            .map(|(path, read)| Self::from_read(path, read))
            .collect()
    }

    fn from_read(path: &Path, read: Result<String, LoadError>) -> SourceFile {
        crate::pace::step();
        match read {
            Ok(text) => {
                let mut file = SourceFile::from_text(path, text.into(), None);
                if let Some(doc) = Arc::get_mut(&mut file.doc) {
                    doc.shrink_to_fit();
                    doc.drop_tree(file.text.clone());
                }
                file
            }
            Err(e) => {
                let mut file = SourceFile::from_text(path, "".into(), None);
                file.load_error = Some(e);
                file
            }
        }
    }

    /// This file without its tables, syntax tree and line index, built again from the text when
    /// a feature asks ([`TomlDoc::dormant`]); `None` for a document open in the editor and for
    /// a file with nothing to let go of.
    pub fn dormant(&self) -> Option<SourceFile> {
        if self.is_open() {
            return None;
        }
        Some(SourceFile {
            path: self.path.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            text: self.text.clone(),
            lines: OnceLock::new(),
            doc: Arc::new(self.doc.dormant(self.text.clone())?),
            load_error: self.load_error.clone(),
            version: None,
        })
    }

    /// The start of every line, for converting offsets to positions and back.
    pub fn line_index(&self) -> &LineIndex {
        self.lines
            .get_or_init(|| Box::new(LineIndex::new(&self.text)))
    }

    /// Whether the editor owns this text.
    pub fn is_open(&self) -> bool {
        self.version.is_some()
    }
}

/// Reads a file as UTF-8 text, dropping a UTF-8 byte order mark the way editors hide it.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    read_open(&std::fs::File::open(path).map_err(io_error)?)
}

fn io_error(e: std::io::Error) -> LoadError {
    LoadError::Io(e.to_string())
}

/// [`read_text`] of each path, in order. A file is taken from the kernel's cache when all of it
/// is there, the usual case, and read from the disk when not; files that look cold are asked
/// of the kernel together first ([`ColdCache`]). Asking so for every file, cached or not, was
/// 5,000 system calls of a monorepo's indexing (issue 7).
pub fn read_texts(paths: &[&Path]) -> Vec<Result<String, LoadError>> {
    let mut out = Vec::with_capacity(paths.len());
    // At most this many files open at once.
    for chunk in paths.chunks(64) {
        let opened: Vec<_> = chunk
            .iter()
            .map(|p| std::fs::File::open(p).map_err(io_error))
            .collect();
        let mut cold = ColdCache::default();
        for (i, file) in opened.iter().enumerate() {
            crate::pace::step();
            let mut read = |file: &std::fs::File| {
                let size = checked_size(file)?;
                if !cold.advised(i) {
                    if let Some(bytes) = read_cached_bytes(file, size) {
                        cold.hit();
                        return decode(bytes);
                    }
                    let ahead = cold.miss(i, opened.len());
                    opened[ahead].iter().flatten().for_each(will_need);
                }
                read_sized_text(file, size)
            };
            out.push(match file {
                Ok(file) => read(file),
                Err(e) => Err(e.clone()),
            });
        }
    }
    out
}

/// When a run of files looks cold: two in a row not in the kernel's cache. The next
/// [`COLD_WINDOW`] files are then asked of the kernel at once (`POSIX_FADV_WILLNEED`), so that
/// they come from the disk together, not one wait after another, and are read without asking
/// the cache first; after them the cache is asked again. Here a few projects in a hundred drop
/// out of the cache between two runs of the server.
#[derive(Debug, Default)]
struct ColdCache {
    /// Files in a row just found not in the cache.
    misses: usize,
    /// Files before this index have been asked of the disk.
    advised_until: usize,
}

/// How many files are asked of the disk together once the cache looks cold.
const COLD_WINDOW: usize = 16;

impl ColdCache {
    /// Whether file `i` has been asked of the disk already.
    fn advised(&self, i: usize) -> bool {
        i < self.advised_until
    }

    /// File `i` was in the cache.
    fn hit(&mut self) {
        self.misses = 0;
    }

    /// File `i` of `len` was not in the cache: the files to ask of the disk now (often none).
    fn miss(&mut self, i: usize, len: usize) -> std::ops::Range<usize> {
        self.misses += 1;
        if self.misses < 2 {
            return i + 1..i + 1;
        }
        self.misses = 0;
        self.advised_until = (i + 1 + COLD_WINDOW).min(len);
        i + 1..self.advised_until
    }
}

/// The `size` bytes of `file` if the cache holds them (`preadv2` with `RWF_NOWAIT`); `None`
/// when it does not, the file's size changed, or the kernel does not read so.
#[cfg(target_os = "linux")]
fn read_cached_bytes(file: &std::fs::File, size: u64) -> Option<Vec<u8>> {
    use std::os::fd::AsRawFd;
    // One byte more than `size`, as `read_sized` asks: a read that stops at `size` met the end.
    let mut bytes = vec![0u8; size as usize + 1];
    let iov = libc::iovec {
        iov_base: bytes.as_mut_ptr().cast(),
        iov_len: bytes.len(),
    };
    // SAFETY: the kernel writes at most `iov_len` bytes at `iov_base`, which `bytes` holds; the
    // descriptor is open for the call.
    let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, 0, libc::RWF_NOWAIT) };
    (u64::try_from(n).ok()? == size).then(|| {
        bytes.truncate(size as usize);
        bytes
    })
}

#[cfg(not(target_os = "linux"))]
fn read_cached_bytes(_: &std::fs::File, _: u64) -> Option<Vec<u8>> {
    None
}

/// Asks the kernel to start reading `file` into its cache.
#[cfg(target_os = "linux")]
fn will_need(file: &std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fadvise only reads its arguments; the descriptor is open for the call.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
}

#[cfg(not(target_os = "linux"))]
fn will_need(_: &std::fs::File) {}

/// The size of an open file, if it is not too large to analyse.
fn checked_size(file: &std::fs::File) -> Result<u64, LoadError> {
    let size = file.metadata().map_err(io_error)?.len();
    if size > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    Ok(size)
}

/// Reads an open file as [`read_text`] does.
fn read_open(file: &std::fs::File) -> Result<String, LoadError> {
    read_sized_text(file, checked_size(file)?)
}

/// Reads an open file of `size` bytes (its `stat`) as [`read_text`] does.
fn read_sized_text(file: &std::fs::File, size: u64) -> Result<String, LoadError> {
    let bytes = read_sized(file, size).map_err(io_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    decode(bytes)
}

/// Reads `from` to its end, expecting `size` bytes (its `stat`), up to [`MAX_FILE_BYTES`] and
/// one byte more. Asking for one byte more than expected, a read that stops short at `size` has
/// met the end: the usual file takes one `read`, not one more that finds nothing (a monorepo
/// has thousands of files, issue 7). A file that changed since is read to its real end.
fn read_sized(mut from: impl std::io::Read, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::{ErrorKind, Read};
    let expected = size.min(MAX_FILE_BYTES) as usize;
    let mut bytes = vec![0; expected + 1];
    let mut len = 0;
    while len < bytes.len() {
        match from.read(&mut bytes[len..]) {
            Ok(0) => break,
            // Short of the one byte more: the end, where `stat` said it is.
            Ok(n) if len + n == expected => {
                len += n;
                bytes.truncate(len);
                return Ok(bytes);
            }
            Ok(n) => len += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    bytes.truncate(len);
    if len > expected {
        // It grew: read on, up to the limit and one byte more, never further.
        from.take(MAX_FILE_BYTES + 1 - len as u64)
            .read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

/// Decodes file bytes as dlt would read them.
pub fn decode(mut bytes: Vec<u8>) -> Result<String, LoadError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(LoadError::Utf16);
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_bom_and_rejects_other_encodings_with_a_reason() {
        assert_eq!(decode(b"\xEF\xBB\xBFa = 1".to_vec()).unwrap(), "a = 1");
        assert_eq!(decode(b"\xFF\xFEa\0".to_vec()), Err(LoadError::Utf16));
        assert_eq!(
            decode(b"a = \"\xC3\x28\"".to_vec()),
            Err(LoadError::NotUtf8 { offset: 5 })
        );
    }

    /// Reading many files together gives each what reading it alone gives, in order, across
    /// the chunks of files open at once; one that fails fails alone.
    #[test]
    fn files_read_together_read_as_each_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..70 {
            let p = dir.path().join(format!("f{i:02}.toml"));
            match i {
                3 => {} // missing
                10 => std::fs::write(&p, b"a = \"\xC3\x28\"").unwrap(),
                64 => std::fs::write(&p, b"\xEF\xBB\xBFbom = 1").unwrap(),
                _ => std::fs::write(&p, format!("n = {i}\n")).unwrap(),
            }
            paths.push(p);
        }
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let together = read_texts(&refs);
        let alone: Vec<_> = refs.iter().map(|p| read_text(p)).collect();
        assert_eq!(together, alone);
        assert_eq!(together[69], Ok("n = 69\n".to_string()));
        assert_eq!(together[64], Ok("bom = 1".to_string()));
        assert!(matches!(together[3], Err(LoadError::Io(_))));
        assert_eq!(together[10], Err(LoadError::NotUtf8 { offset: 5 }));
        let files = SourceFile::load_all(&refs[60..]);
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names[..2], ["f60.toml", "f61.toml"]);
        assert_eq!(files.len(), 10);
    }

    /// A reader that hands out at most `step` bytes per call, and counts the calls.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        calls: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_file_of_its_stat_size_takes_one_read_and_a_changed_one_is_read_to_its_end() {
        let read = |data: &[u8], step: usize, size: u64| {
            let mut r = Trickle {
                data,
                step,
                calls: 0,
            };
            let bytes = read_sized(&mut r, size).unwrap();
            (bytes, r.calls)
        };
        let text = b"a = 1\nb = 2\n";
        assert_eq!(read(text, 1 << 20, 12), (text.to_vec(), 1));
        assert_eq!(read(b"", 1 << 20, 0), (vec![], 1));
        // Short reads add up to the size.
        assert_eq!(read(text, 5, 12), (text.to_vec(), 3));
        // Shrunk since `stat`: the end comes as a read of nothing.
        assert_eq!(read(&text[..4], 1 << 20, 12).0, text[..4].to_vec());
        // Grown since `stat`: read on to the real end.
        let grown = [text.as_slice(), b"c = 3\n"].concat();
        assert_eq!(read(&grown, 1 << 20, 12).0, grown);
        assert_eq!(read(&grown, 5, 12).0, grown);
        // A short read that ends exactly at the old size is taken as the end: the growth is
        // read when the change is reported, as for a file written after it was read.
        assert_eq!(read(&grown, 4, 12).0, text.to_vec());
    }

    /// Two misses in a row ask the next 16 files of the disk; a cold cache is asked so window
    /// after window, and a hit starts the count again.
    #[test]
    fn a_cold_cache_is_asked_of_the_disk_a_window_at_a_time() {
        let advised = |hits: &[bool]| {
            let mut cold = ColdCache::default();
            let mut ranges = Vec::new();
            for (i, &hit) in hits.iter().enumerate() {
                if cold.advised(i) {
                    continue;
                }
                if hit {
                    cold.hit();
                } else {
                    let ahead = cold.miss(i, hits.len());
                    if !ahead.is_empty() {
                        ranges.push((ahead.start, ahead.end));
                    }
                }
            }
            ranges
        };
        assert_eq!(advised(&[false; 40]), [(2, 18), (20, 36), (38, 40)]);
        assert!(advised(&[true; 40]).is_empty());
        let scattered: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        assert!(advised(&scattered).is_empty(), "never two misses in a row");
        let mut one_project = [true; 40];
        one_project[10..15].fill(false);
        assert_eq!(advised(&one_project), [(12, 28)]);
    }

    /// Files in the kernel's cache are read from it, one that is not (evicted here) from the
    /// disk; after two such in a row the rest are asked of the disk at once and read as before:
    /// every text comes back, in order.
    #[cfg(target_os = "linux")]
    #[test]
    fn reads_what_the_cache_holds_and_the_rest_from_the_disk() {
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let evict = |p: &Path| {
            let f = std::fs::File::open(p).unwrap();
            f.sync_all().unwrap();
            // SAFETY: posix_fadvise only reads its arguments; the descriptor is open.
            unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        };
        let texts = ["a = 1\n", "", "b = 'x'\n", "c = [1, 2]\n", "d = true\n"];
        let mut paths = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let p = dir.path().join(format!("{i}.toml"));
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        paths.insert(2, dir.path().join("missing.toml"));
        // SAFETY: statfs writes into `fs`, a struct of its size; the path is NUL-terminated.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        let c = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::statfs(c.as_ptr(), &mut fs) }, 0);
        // On tmpfs the cache is the storage: nothing can be evicted.
        let evictable = fs.f_type != libc::TMPFS_MAGIC;
        evict(&paths[3]);
        evict(&paths[4]);
        let cold = std::fs::File::open(&paths[3]).unwrap();
        if evictable {
            assert_eq!(read_cached_bytes(&cold, 8), None, "evicted");
        }
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let read: Vec<_> = read_texts(&refs).into_iter().map(|t| t.ok()).collect();
        let mut expected: Vec<_> = texts.iter().map(|t| Some(t.to_string())).collect();
        expected.insert(2, None);
        assert_eq!(read, expected);
        let now_cached = read_cached_bytes(&cold, 8);
        assert_eq!(now_cached.as_deref(), Some(&b"b = 'x'\n"[..]));
        assert_eq!(read_cached_bytes(&cold, 7), None, "not the size it has");
    }

    #[test]
    fn refuses_huge_files_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let file = SourceFile::load(&p);
        assert!(matches!(file.load_error, Some(LoadError::TooLarge { .. })));
        assert!(file.text.is_empty());
    }
}
