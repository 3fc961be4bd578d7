//! One `.dlt` TOML file: its text (from the editor or the disk), line index and parse.

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    pub line_index: LineIndex,
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
            line_index: LineIndex::new(&text),
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
            line_index: LineIndex::new(&text),
            doc,
            text,
            load_error: None,
            version,
        }
    }

    /// Reads and analyses `path` from disk; a failure becomes `load_error`, never a panic.
    pub fn load(path: &Path) -> SourceFile {
        match read_text(path) {
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

    /// Whether the editor owns this text.
    pub fn is_open(&self) -> bool {
        self.version.is_some()
    }
}

/// Reads a file as UTF-8 text, dropping a UTF-8 byte order mark the way editors hide it.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let io = |e: std::io::Error| LoadError::Io(e.to_string());
    // One open and the open file's size: no second lookup of the path.
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // A file that grew since is read up to the limit and one byte more, never further.
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    decode(bytes)
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
